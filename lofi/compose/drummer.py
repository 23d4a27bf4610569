"""Learned drums: a drum model sampled one sixteenth step at a time, bar after bar."""

from __future__ import annotations

import numpy as np

from lofi.compose.player import Player
from lofi.core.constants import DRUM_STEPS_PER_BAR
from lofi.core.types import Note
from lofi.encoding.drums import KIT, KIT_PITCH, STEP, step_notes

CYMBALS = frozenset(KIT_PITCH[KIT.index(k)] for k in ("closed_hat", "open_hat", "ride"))


class DrumSampler(Player):
    """Carries the drum model's state across bars, so grooves continue from bar to bar.

    A groove is rhythm: with `as_learned`, every head is drawn at the model's own odds.
    """

    def _setup(self) -> None:
        self.prev = {"hits": 0, "velocity": 0, "timing": 0}
        self.not_bos = {
            name: np.arange(self.model.vocab.size(name)) > 0
            for name in ("hits", "velocity", "timing")
        }
        self.loud = np.arange(self.model.vocab.size("velocity")) > 1  # neither BOS nor "no hit"

    def bar(self, start: float, energy: float | None, cymbal_floor: float = 0.6) -> list[Note]:
        """One bar from `start` beats; `energy` scales velocities (None: sampled, not played)."""
        notes: list[Note] = []
        for step in range(DRUM_STEPS_PER_BAR):
            probs = self.model.step({**self.prev, "position": step}, self.state)
            h = self._rhythm(probs["hits"], self.not_bos["hits"])
            # An empty step has no velocity.
            v = 1 if h == 1 else self._rhythm(probs["velocity"], self.loud)
            t = self._rhythm(probs["timing"], self.not_bos["timing"])
            self.prev = {"hits": h, "velocity": v, "timing": t}
            if energy is None:
                continue
            for n in step_notes(start + step * STEP, h, v, t):
                scale = cymbal_floor + (1 - cymbal_floor) * energy if n.pitch in CYMBALS else energy
                if scale > 0:
                    vel = int(np.clip(round(n.velocity * scale), 1, 127))
                    notes.append(Note(n.pitch, n.onset, n.duration, vel))
        return notes
