"""A toy part, added the way any part is: this module and one registry line (in its test).

The pad holds one note a bar: the key-normalised pitch class of the bar's lowest melody
note, learned by a tiny LSTM over one token per bar. Without a model it plays nothing.
"""

from __future__ import annotations

import numpy as np

from lofi.compose.parts import LearnedPart, SongSoFar
from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import Note
from lofi.data.corpus import Corpus
from lofi.encoding.tokens import Sequence, key_shift
from lofi.encoding.vocab import BOS, Vocabulary
from lofi.models.sampler import StepModel, choose

CLASSES = tuple(str(pc) for pc in range(12))


class PadPart(LearnedPart):
    """One held note a bar, on a track of its own."""

    name = "pad"

    def vocabulary(self, corpus: Corpus) -> Vocabulary:
        return Vocabulary(
            "pad", {"pc": (BOS, "rest", *CLASSES), "bar": ("0", "1", "2", "3")}, ("pc",)
        )

    def encode(self, corpus: Corpus, vocab: Vocabulary) -> list[Sequence]:
        out = []
        for piece in corpus.pieces:
            bars = int(piece.length_beats // BEATS_PER_BAR)
            lowest: dict[int, int] = {}
            for n in piece.melody:
                bar = int(n.onset // BEATS_PER_BAR)
                lowest[bar] = min(lowest.get(bar, 128), n.pitch)
            tokens = [
                vocab.index("pc", str((lowest[b] + key_shift(piece.key)) % 12))
                if b in lowest
                else vocab.index("pc", "rest")
                for b in range(bars)
            ]
            targets = {"pc": np.array(tokens, np.int32)}
            inputs = {"pc": np.concatenate([[0], targets["pc"][:-1]]).astype(np.int32)}
            inputs["bar"] = (np.arange(bars) % 4).astype(np.int32)
            if bars > 1:
                out.append(Sequence(inputs, targets))
        return out

    def sample(self, song: SongSoFar, model: StepModel | None) -> list[Note]:
        if model is None:  # its fallback, rules:pad, is silence
            return []
        rng = np.random.default_rng((song.config.seed_of(self.spec.track), 1))
        state, token, notes = model.initial_state(), 0, []
        for bar in range(song.config.bars):
            probs = model.step({"pc": token, "bar": bar % 4}, state)["pc"]
            allowed = np.array([i > 0 for i in range(len(probs))])
            token = choose(probs, rng, song.config.sampling.temperature, 0, 1.0, allowed)
            name = model.vocab.inputs["pc"][token]
            if name != "rest":
                notes.append(Note(48 + (int(name) + song.shift) % 12, bar * 4.0, 4.0, 60))
        return notes


PART = PadPart()
