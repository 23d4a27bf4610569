"""Drum parts as bar-step tokens: which kit pieces hit on each sixteenth, how hard, how late.

A step's `hits` token is a bit mask over a small kit (kick, snare, closed hat, open hat, ride,
perc); `velocity` is the loudest hit's bin and `timing` the hits' mean distance from the
grid (swing and push/pull), binned. Drums need no key, so nothing is transposed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from lofi.core.constants import (
    DRUM_STEPS_PER_BAR,
    DRUM_TIMING_BINS,
    VELOCITY_CENTRES,
)
from lofi.core.types import Note
from lofi.encoding.dynamics import absolute_slot
from lofi.encoding.tokens import Sequence

KIT = ("kick", "snare", "closed_hat", "open_hat", "ride", "perc")
KIT_PITCH = (36, 38, 42, 46, 51, 45)  # the General MIDI drum each kit piece plays
_GM_TO_KIT = {
    **dict.fromkeys((35, 36), 0),
    **dict.fromkeys((37, 38, 39, 40), 1),
    **dict.fromkeys((42, 44), 2),
    46: 3,
    **dict.fromkeys((49, 51, 52, 53, 55, 57, 59), 4),
}
NO_HIT = "-"
STEP = 1.0 / (DRUM_STEPS_PER_BAR / 4)  # beats per step


def kit_piece(gm_pitch: int) -> int:
    """The kit piece (index into KIT) a General MIDI drum number plays; others are perc."""
    return _GM_TO_KIT.get(gm_pitch, KIT.index("perc"))


def _bin(value: float, bins: tuple[float, ...]) -> int:
    return int(np.argmin([abs(value - b) for b in bins]))


def drum_steps(hits: Iterable[Note]) -> list[tuple[int, int, int]]:
    """(kit mask, velocity bin + 1 or 0 for none, timing bin) per step over whole bars.

    Steps run from the first bar holding a hit to the last; empty steps have mask 0.
    """
    hits = list(hits)
    if not hits:
        return []
    steps: dict[int, list[Note]] = {}
    for note in hits:
        steps.setdefault(round(note.onset / STEP), []).append(note)
    first = min(steps) // DRUM_STEPS_PER_BAR * DRUM_STEPS_PER_BAR
    last = (max(steps) // DRUM_STEPS_PER_BAR + 1) * DRUM_STEPS_PER_BAR
    zero = DRUM_TIMING_BINS.index(0.0)
    out = []
    for step in range(max(first, 0), last):
        notes = steps.get(step, [])
        if not notes:
            out.append((0, 0, zero))
            continue
        mask = 0
        for n in notes:
            mask |= 1 << kit_piece(n.pitch)
        deviation = float(np.mean([n.onset - step * STEP for n in notes]))
        vel = 1 + absolute_slot(max(n.velocity for n in notes))
        out.append((mask, vel, _bin(deviation, DRUM_TIMING_BINS)))
    return out


def encode_drums(hits: Iterable[Note]) -> Sequence:
    """Token indices of a drum part (the drum vocabulary's order: index 0 is BOS)."""
    steps = drum_steps(hits)
    targets = {
        "hits": np.array([1 + m for m, _, _ in steps], np.int32),
        "velocity": np.array([1 + v for _, v, _ in steps], np.int32),
        "timing": np.array([1 + t for _, _, t in steps], np.int32),
    }
    inputs = {k: np.concatenate([[0], v[:-1]]).astype(np.int32) for k, v in targets.items()}
    inputs["position"] = (np.arange(len(steps)) % DRUM_STEPS_PER_BAR).astype(np.int32)
    return Sequence(inputs, targets)


def step_notes(start: float, hits: int, velocity: int, timing: int) -> list[Note]:
    """The notes of one step from its token indices, `start` being the step's grid time."""
    mask = hits - 1
    if mask <= 0 or velocity <= 1:
        return []
    onset = max(start + DRUM_TIMING_BINS[max(timing, 1) - 1], 0.0)
    vel = VELOCITY_CENTRES[velocity - 2]
    return [
        Note(KIT_PITCH[i], round(onset, 4), 0.25, vel) for i in range(len(KIT)) if mask & (1 << i)
    ]


def decode_drums(seq_targets: dict[str, np.ndarray], start: float = 0.0) -> list[Note]:
    """Target token indices back to drum notes, the first step at `start` beats."""
    notes: list[Note] = []
    triples = zip(
        seq_targets["hits"].tolist(),
        seq_targets["velocity"].tolist(),
        seq_targets["timing"].tolist(),
        strict=True,
    )
    for i, (h, v, t) in enumerate(triples):
        notes += step_notes(start + i * STEP, h, v, t)
    return notes
