"""The shared base of the learned part samplers: a step model with its state and settings."""

from __future__ import annotations

import numpy as np

from lofi.core.types import SamplingConfig
from lofi.models.sampler import StepModel, choose, draw, plays


class Player:
    """A part model with its LSTM state, its generator and the sampling settings.

    `shift` moves the normalised key to the song's. With `as_learned` (the arrangement's
    rhythm "as-learned"), whether the part plays at a step and its lengths, loudness and
    octave are drawn at the model's own odds; the temperature, top-k and top-p shape only
    which pitch or voicing. Without, they shape every head (arrangements 1 and 2).
    """

    def __init__(
        self,
        model: StepModel,
        rng: np.random.Generator,
        sampling: SamplingConfig,
        shift: int = 0,
        as_learned: bool = True,
    ) -> None:
        self.model = model
        self.rng = rng
        self.sampling = sampling
        self.shift = shift
        self.as_learned = as_learned
        self.state = model.initial_state()
        self.context: dict[str, int] = {}  # piece-level inputs fed every step (density)
        self._setup()

    def _setup(self) -> None:
        """What a part's sampler prepares once from its model and shift."""

    def _choose(self, probs: np.ndarray, mask: np.ndarray) -> int:
        s = self.sampling
        return choose(probs, self.rng, s.temperature, s.top_k, s.top_p, mask)

    def _rhythm(self, probs: np.ndarray, mask: np.ndarray) -> int:
        return draw(probs, self.rng, mask) if self.as_learned else self._choose(probs, mask)

    def _sound(self, probs: np.ndarray, silent: int, mask: np.ndarray) -> int:
        """A token of the head: `silent` or, if the part plays, a shaped choice of the rest."""
        if not self.as_learned:
            return self._choose(probs, mask)
        if not plays(probs, silent, mask, self.rng):
            return silent
        sounding = mask.copy()
        sounding[silent] = False
        return self._choose(probs, sounding) if sounding.any() else silent
