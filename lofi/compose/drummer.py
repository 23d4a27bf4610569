"""Learned drums: a drum model sampled one sixteenth step at a time, bar after bar."""

from __future__ import annotations

import numpy as np

from lofi.core.constants import DRUM_STEPS_PER_BAR
from lofi.core.types import Note, SamplingConfig
from lofi.encoding.drums import KIT, KIT_PITCH, STEP, step_notes
from lofi.learn.sampler import StepModel, choose, draw

CYMBALS = frozenset(KIT_PITCH[KIT.index(k)] for k in ("closed_hat", "open_hat", "ride"))


class DrumSampler:
    """Carries the drum model's state across bars, so grooves continue from bar to bar."""

    def __init__(
        self,
        model: StepModel,
        rng: np.random.Generator,
        sampling: SamplingConfig,
        as_learned: bool = True,
    ) -> None:
        self.model = model
        self.rng = rng
        self.sampling = sampling
        self.as_learned = as_learned  # a groove is rhythm: every head at the model's own odds
        self.state = model.initial_state()
        self.prev = {"hits": 0, "velocity": 0, "timing": 0}
        self.not_bos = {
            name: np.arange(model.vocab.size(name)) > 0 for name in ("hits", "velocity", "timing")
        }
        self.loud = np.arange(model.vocab.size("velocity")) > 1  # neither BOS nor "no hit"

    def _choose(self, probs: np.ndarray, mask: np.ndarray) -> int:
        if self.as_learned:
            return draw(probs, self.rng, mask)
        s = self.sampling
        return choose(probs, self.rng, s.temperature, s.top_k, s.top_p, mask)

    def bar(self, start: float, energy: float | None, cymbal_floor: float = 0.6) -> list[Note]:
        """One bar from `start` beats; `energy` scales velocities (None: sampled, not played)."""
        notes: list[Note] = []
        for step in range(DRUM_STEPS_PER_BAR):
            probs = self.model.step({**self.prev, "position": step}, self.state)
            h = self._choose(probs["hits"], self.not_bos["hits"])
            # An empty step has no velocity.
            v = 1 if h == 1 else self._choose(probs["velocity"], self.loud)
            t = self._choose(probs["timing"], self.not_bos["timing"])
            self.prev = {"hits": h, "velocity": v, "timing": t}
            if energy is None:
                continue
            for n in step_notes(start + step * STEP, h, v, t):
                scale = cymbal_floor + (1 - cymbal_floor) * energy if n.pitch in CYMBALS else energy
                if scale > 0:
                    vel = int(np.clip(round(n.velocity * scale), 1, 127))
                    notes.append(Note(n.pitch, n.onset, n.duration, vel))
        return notes
