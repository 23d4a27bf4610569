"""A note's loudness as a token: relative to its line in its piece, or absolute.

The melody, bass and comping models learn relative loudness: a note's velocity over the
median velocity of its line in its piece (RELATIVE_VELOCITY, an eighth of an octave apart).
How loud a piece plays as a whole is not theirs to learn: a song takes each part's level
from its timing feel (lofi.models.timing), so the models spend their tokens on accents and
swells. A ratio is played at NOMINAL_VELOCITY times it before that level is applied.

Models trained before hold absolute velocity bins (VELOCITY_CENTRES, as the drums still do)
and play them as they always did: a vocabulary's own tokens say which kind it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from lofi.core.constants import (
    NOMINAL_VELOCITY,
    RELATIVE_VELOCITY,
    VELOCITY_CENTRES,
    VELOCITY_EDGES,
)

RELATIVE_PREFIX = "x"
RELATIVE_TOKENS: tuple[str, ...] = tuple(f"{RELATIVE_PREFIX}{r:g}" for r in RELATIVE_VELOCITY)
ABSOLUTE_TOKENS: tuple[str, ...] = tuple(str(v) for v in VELOCITY_CENTRES)
# Geometric midpoints between neighbouring ratios: a ratio goes to the nearest bin in log scale.
_RATIO_EDGES = np.sqrt(np.asarray(RELATIVE_VELOCITY[:-1]) * np.asarray(RELATIVE_VELOCITY[1:]))


def is_relative(tokens: Sequence[str]) -> bool:
    """Whether a vocabulary's velocity tokens are ratios to the line's median."""
    return any(t.startswith(RELATIVE_PREFIX) for t in tokens)


def reference_level(velocities: Iterable[int]) -> float:
    """The median velocity of a line in its piece (NOMINAL_VELOCITY for an empty line)."""
    values = [v for v in velocities if v > 0]
    return float(np.median(values)) if values else float(NOMINAL_VELOCITY)


def absolute_slot(velocity: int) -> int:
    """The 0-based absolute bin of `velocity`: the first whose upper edge it does not pass."""
    return next(i for i, edge in enumerate(VELOCITY_EDGES) if velocity <= edge)


def velocity_slot(velocity: int, reference: float, relative: bool) -> int:
    """The 0-based bin of `velocity`: of its ratio to `reference`, or of its absolute value."""
    if relative:
        return int(np.searchsorted(_RATIO_EDGES, velocity / max(reference, 1.0)))
    return absolute_slot(velocity)


def default_slot(relative: bool) -> int:
    """The bin a line's loudness input starts from before its first note (×1, or 64)."""
    return RELATIVE_VELOCITY.index(1.0) if relative else VELOCITY_CENTRES.index(64)


def velocity_of(token: str) -> int:
    """The MIDI velocity a velocity token plays at."""
    if token.startswith(RELATIVE_PREFIX):
        ratio = float(token[len(RELATIVE_PREFIX) :])
        return int(np.clip(round(NOMINAL_VELOCITY * ratio), 1, 127))
    return int(token)
