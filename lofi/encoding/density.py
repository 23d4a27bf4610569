"""How busy a part plays: a piece-level token the melody, bass and comping models are given.

Sampled free, step after step, the part models drifted from the corpus' note density (the
melody to 1.94 onsets a beat where teacher-forced it expected 1.77; the comping struck 3.9 to
8.2 times a bar depending on the training run, against the pieces' 6.2): nothing told them
how busy the piece they were continuing was. So each training sequence carries, at every
step, the bin of its part's onsets per bar (counted over the bars where the part plays), and
a song gives each part the bin of one training piece, the same piece as its timing feel
(lofi.models.timing), so the parts keep one piece's pace together.

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
from lofi.encoding.vocab import BAR_DENSITY, DENSITY, DENSITY_EDGES, DENSITY_TOKENS, Vocabulary

if TYPE_CHECKING:
    from lofi.encoding.tokens import Sequence

# A song without a timing feel (the grid fallback, or arrangements 1 and 2) plays at the
# bin that holds the bundled corpora's typical part: 6 to 8 onsets a bar.
FALLBACK_DENSITY = "d5"


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


def with_density(sequence: Sequence, vocab: Vocabulary, notes: Iterable[Note]) -> Sequence:
    """The sequence with its part's density bin as an input at every step (if `vocab` has one)."""
    if DENSITY not in vocab.inputs:
        return sequence
    inputs = {**sequence.inputs, DENSITY: np.full(len(sequence), density_bin(notes), np.int32)}
    return replace(sequence, inputs=inputs)


def density_tokens(vocab: Vocabulary, bin_index: int | None) -> dict[str, int]:
    """The density input a sampler feeds each step: the given bin, or FALLBACK_DENSITY."""
    if DENSITY not in vocab.inputs:
        return {}
    fallback = DENSITY_TOKENS.index(FALLBACK_DENSITY)
    return {DENSITY: fallback if bin_index is None else int(bin_index)}


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
