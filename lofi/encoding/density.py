"""How busy a part plays: a piece-level token the melody, bass and comping models are given.

Sampled free, step after step, the part models drifted from the corpus' note density (the
melody to 1.94 onsets a beat where teacher-forced it expected 1.77; the comping struck 3.9 to
8.2 times a bar depending on the training run, against the pieces' 6.2): nothing told them
how busy the piece they were continuing was. So each training sequence carries, at every
step, the bin of its part's onsets per bar (counted over the bars where the part plays), and
a song gives each part the bin of one training piece, the same piece as its timing feel
(lofi.learn.timing), so the parts keep one piece's pace together.

Their dynamics come the same way. In a quarter of the bundled pieces a part plays at one
velocity throughout; in the others its velocities spread by 12 to 20. A model that did not
know which kind of piece it continued drew every note from the mixture, and the songs'
velocities spread by 17 within four bars where the pieces' spread by 12 to 13. So each
sequence also carries the bin of its part's velocity spread in its piece.

The comping model is given the bin of its own bar as well. Sampled with the piece's bin
alone, it fell silent for most of a song once it had missed a few strikes (45 % of the bars,
where the pieces leave 19 % without accompaniment): its silence fed itself. A song gives it
the bars of the feel's piece, in order, so it rests and plays where that piece's
accompaniment did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from lofi.core.constants import BEATS_PER_BAR, COMP_STEPS_PER_BAR
from lofi.core.types import Note
from lofi.encoding.vocab import (
    BAR_DENSITY,
    DENSITY,
    DENSITY_EDGES,
    DENSITY_TOKENS,
    DYNAMICS,
    DYNAMICS_EDGES,
    DYNAMICS_TOKENS,
    Vocabulary,
)

if TYPE_CHECKING:
    from lofi.encoding.tokens import Sequence

# A song without a timing feel (the grid fallback, or arrangements 1 and 2) plays at the
# bin that holds the bundled corpora's typical part: 6 to 8 onsets a bar.
FALLBACK_DENSITY = "d5"
# ... and at the bin of the default corpus' median part's velocity spread: 8 to 12.
FALLBACK_DYNAMICS = "v3"


def density_bin(notes: Iterable[Note]) -> int:
    """The bin of the notes' distinct onsets per bar, over the bars holding one (0: none)."""
    onsets = np.unique(np.round([n.onset for n in notes], 3))
    if onsets.size == 0:
        return 0
    bars = np.unique(np.floor(onsets / BEATS_PER_BAR)).size
    return int(np.searchsorted(DENSITY_EDGES, onsets.size / bars, side="right"))


def bar_bins(notes: Iterable[Note], bars: int) -> tuple[int, ...]:
    """The bin of each bar's distinct onsets, for bars 0 to `bars` - 1 (0: a silent bar)."""
    onsets = np.unique(np.round([n.onset for n in notes], 3))
    bar_of = np.floor(onsets / BEATS_PER_BAR).astype(np.int64).clip(0)
    counts = np.bincount(bar_of, minlength=bars)[:bars]
    return tuple(int(b) for b in np.searchsorted(DENSITY_EDGES, counts, side="right"))


def bar_density_steps(bins: tuple[int, ...], steps: int) -> np.ndarray:
    """Each comping step's bar bin, the bins repeated from the first when the steps outlast them."""
    bars = np.arange(steps) // COMP_STEPS_PER_BAR
    return np.asarray(bins, np.int32)[bars % len(bins)]


def dynamics_bin(notes: Iterable[Note]) -> int:
    """The bin of the notes' velocities' standard deviation (0: one velocity, or no notes)."""
    velocities = [n.velocity for n in notes]
    spread = float(np.std(velocities)) if velocities else 0.0
    return int(np.searchsorted(DYNAMICS_EDGES, spread, side="right"))


def with_density(sequence: Sequence, vocab: Vocabulary, notes: Iterable[Note]) -> Sequence:
    """The sequence with its part's density and dynamics bins as inputs at every step.

    Each only if `vocab` has that input.
    """
    notes = list(notes)
    bins = {DENSITY: density_bin, DYNAMICS: dynamics_bin}
    inputs = {
        name: np.full(len(sequence), find(notes), np.int32)
        for name, find in bins.items()
        if name in vocab.inputs
    }
    return replace(sequence, inputs={**sequence.inputs, **inputs}) if inputs else sequence


def density_tokens(
    vocab: Vocabulary, bin_index: int | None, dynamics: int | None = None
) -> dict[str, int]:
    """The piece-level inputs a sampler feeds each step, those `vocab` has.

    The density bin `bin_index`, else FALLBACK_DENSITY; the dynamics bin `dynamics`, else
    FALLBACK_DYNAMICS.
    """
    tokens = {}
    if DENSITY in vocab.inputs:
        fallback = DENSITY_TOKENS.index(FALLBACK_DENSITY)
        tokens[DENSITY] = fallback if bin_index is None else int(bin_index)
    if DYNAMICS in vocab.inputs:
        fallback = DYNAMICS_TOKENS.index(FALLBACK_DYNAMICS)
        tokens[DYNAMICS] = fallback if dynamics is None else int(dynamics)
    return tokens


def bar_density_tokens(
    vocab: Vocabulary, bins: tuple[int, ...], piece_bin: int | None, steps: int
) -> np.ndarray | None:
    """The bar-density input of each of `steps` comping steps (None if `vocab` has none).

    The bars `bins` of a feel's piece; without them (a timing model from before them, or no
    feel) every bar gets the piece's bin `piece_bin`, else FALLBACK_DENSITY.
    """
    if BAR_DENSITY not in vocab.inputs:
        return None
    if not bins:
        bins = (DENSITY_TOKENS.index(FALLBACK_DENSITY) if piece_bin is None else piece_bin,)
    return bar_density_steps(bins, steps)
