"""Symbolic music quality measures, as MusPy defines them, on the project's own types."""

from __future__ import annotations

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import Note, Song

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)


def _pitched(song: Song) -> list[Note]:
    return [n for p in song.parts if not p.is_drum for n in p.notes]


def pitch_class_entropy(song: Song) -> float:
    """Shannon entropy (bits) of the pitch-class histogram of all pitched notes."""
    counts = np.bincount([n.pitch % 12 for n in _pitched(song)], minlength=12).astype(float)
    if counts.sum() == 0:
        return float("nan")
    p = counts / counts.sum()
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def scale_consistency(song: Song) -> float:
    """The largest share of pitched notes inside one of the 24 major and minor scales."""
    pcs = np.array([n.pitch % 12 for n in _pitched(song)])
    if pcs.size == 0:
        return float("nan")
    best = 0.0
    for tonic in range(12):
        for scale in (MAJOR, MINOR):
            members = {(tonic + i) % 12 for i in scale}
            best = max(best, float(np.isin(pcs, list(members)).mean()))
    return best


def groove_consistency(song: Song, resolution: int = 24) -> float:
    """1 − mean Hamming distance between consecutive bars' onset patterns (all parts).

    Args:
        resolution: grid steps per beat.
    """
    steps = BEATS_PER_BAR * resolution
    grid = np.zeros((song.bars, steps), dtype=bool)
    for part in song.parts:
        for n in part.notes:
            tick = int(round(n.onset * resolution))
            bar, step = divmod(tick, steps)
            if bar < song.bars:
                grid[bar, step] = True
    if song.bars < 2:
        return float("nan")
    distance = np.logical_xor(grid[1:], grid[:-1]).sum(axis=1) / steps
    return float(1.0 - distance.mean())
