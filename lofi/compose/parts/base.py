"""What a part hears of the song so far, and what every learned part shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lofi.compose.arrangement import Arrangement
from lofi.compose.form import FormPlan
from lofi.compose.melody import ChordEvents
from lofi.core.constants import BEATS_PER_BAR
from lofi.core.errors import ConfigError
from lofi.core.parts import PartSpec, part_spec
from lofi.core.types import GenerationConfig, Note
from lofi.encoding.tokens import Sequence
from lofi.encoding.vocab import Vocabulary, vocabulary
from lofi.models import Loaded
from lofi.models.critic import LoopCritic
from lofi.models.loading import load_part
from lofi.models.sampler import StepModel

if TYPE_CHECKING:
    from lofi.compose.around_loop import LoopPart
    from lofi.data.corpus import Corpus


@dataclass
class SongSoFar:
    """The song as the parts write it, in registry order: each part reads what came before.

    `harmony` is the chord progression (the chords part, the harmony the piano sounds, or
    a user's chord loop), `heard` what a part offers the later ones to listen to (the
    melody's tune in the normalised key, before humanising), `notes` every part's notes so
    far (by track for a part that plays on several), `densities` the density bin per track
    the later parts play at.
    """

    config: GenerationConfig
    arrangement: Arrangement
    plan: FormPlan
    rngs: dict[str, np.random.Generator]
    shift: int  # semitones from the song's key to the normalised key (C major / A minor)
    densities: dict[str, int]  # the timing feel's density bin per track (empty: none)
    comping_bars: tuple[int, ...]  # the feel's accompaniment, bar by bar (empty: none)
    blocks: list[tuple[str, float]]  # (form token, start beat) per main block
    loop: LoopPart | None = None  # a user's loop, one part note for note
    # The loop's notes where they play and, in the A sections only, where its blocks start.
    given: tuple[list[Note], list[float]] = field(default_factory=lambda: ([], []))
    harmony: ChordEvents = field(default_factory=list)
    heard: dict[str, list[Note]] = field(default_factory=dict)
    notes: dict[str, list[Note] | dict[str, list[Note]]] = field(default_factory=dict)
    untimed: set[str] = field(default_factory=set)  # tracks the timing feel leaves alone
    critic: LoopCritic | None = None  # the style's loop critic (lofi.models.critic), if any

    @property
    def end(self) -> float:
        """The song's last beat."""
        return float(self.config.bars * BEATS_PER_BAR)


class LearnedPart:
    """A part played by a model trained on the corpus (an LSTM over its own tokens).

    Subclasses give the part's name, how it plays (`sample`) and, where its tokens are not
    the shared melody/chord ones, its vocabulary and encoding.
    """

    name = ""
    lacking = "usable pieces"  # what a corpus without this part has too few of

    @property
    def spec(self) -> PartSpec:
        """The part's registry entry."""
        return part_spec(self.name)

    def vocabulary(self, corpus: Corpus) -> Vocabulary:
        """The part's vocabulary (fixed; a part that learns it from the corpus overrides)."""
        return vocabulary(self.name)

    def encode(self, corpus: Corpus, vocab: Vocabulary) -> list[Sequence]:
        """The corpus' pieces as token sequences of this part (too short ones left out)."""
        from lofi.encoding.tokens import encode

        return [s for s in (encode(p, vocab) for p in corpus.pieces) if len(s) > 1]

    def load(self, folder: Path) -> Loaded:
        """The part's checkpoint as a numpy sampler and its id (lofi.models)."""
        return load_part(folder, self.name)

    def sample(
        self, song: SongSoFar, model: StepModel | None
    ) -> list[Note] | dict[str, list[Note]]:
        """The part's notes (by track, for a part on several); without a model, its fallback."""
        raise NotImplementedError

    def needed(self, model: StepModel | None) -> StepModel:
        """`model`, which a part without a hand-written fallback cannot play without."""
        if model is None:
            raise ConfigError(f"these models have no {self.name} model, which the song needs")
        return model
