"""Never the same tune twice, and settings that drift gently from one track to the next.

4-bar chord+melody fragments, the share of them that repeats across tracks, and drift within
a user's limits.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.errors import ConfigError
from lofi.core.settings import GENERATION
from lofi.core.types import GenerationConfig, Key, Song

FRAGMENT_BARS = 4
GRID = 4  # onsets and durations on a sixteenth-note grid (the melody is humanised)
Fragment = tuple[tuple[tuple[float, str], ...], tuple[tuple[int, int, int], ...]]


def fragments(song: Song) -> set[Fragment]:
    """The song's 4-bar windows (on bar lines) as key-relative chord+melody fragments.

    A fragment is the chord symbols with their onsets in the window and the melody notes as
    (sixteenth onset, sixteenth duration, semitones above the tonic); windows without melody
    notes are left out (an intro's chords alone are not a tune).
    """
    span = FRAGMENT_BARS * BEATS_PER_BAR
    melody = song.part("melody").notes
    out: set[Fragment] = set()
    for start in range(0, song.bars * BEATS_PER_BAR - span + 1, BEATS_PER_BAR):
        stop = start + span
        notes = tuple(
            (
                round((n.onset - start) * GRID),
                round(n.duration * GRID),
                n.pitch - song.key.tonic,
            )
            for n in melody
            if start <= round(n.onset * GRID) / GRID < stop
        )
        if not notes:
            continue
        chords = tuple(
            (round(max(t, start) - start, 2), name)
            for t, b, name in song.chords
            if t < stop and t + b > start
        )
        out.add((chords, notes))
    return out


def repeated_share(songs: Iterable[Song]) -> float:
    """The share of all fragments (over every track) that also occur in another track."""
    per_song = [fragments(s) for s in songs]
    counts = Counter(f for frags in per_song for f in frags)
    total = sum(len(frags) for frags in per_song)
    if not total:
        return 0.0
    repeated = sum(1 for frags in per_song for f in frags if counts[f] > 1)
    return repeated / total


@dataclass
class History:
    """Fragments of the tracks made so far; a new song may share none of them."""

    seen: set[Fragment] = field(default_factory=set)
    redraws: int = 0

    def collides(self, song: Song) -> bool:
        """Whether the song shares any fragment with the tracks made so far."""
        return not self.seen.isdisjoint(fragments(song))

    def add(self, song: Song) -> None:
        """Remembers the song's fragments."""
        self.seen |= fragments(song)


@dataclass(frozen=True)
class DriftLimits:
    """What a listener allows: the keys, the tempo range, the energy (sampling temperature)."""

    keys: tuple[str, ...] = ("A-minor", "D-minor", "E-minor", "C-major", "F-major", "G-major")
    bpm_range: tuple[float, float] = (70.0, 88.0)
    energy: float = 0.5  # 0 calm … 1 lively: temperature 0.7 … 1.1
    bpm_step: float = 4.0  # the most the tempo moves from one track to the next

    def checked(self) -> DriftLimits:
        """These limits, or ConfigError naming the first one out of range."""
        low, high = self.bpm_range
        allowed = GENERATION.bpm_range
        if not (low in allowed and high in allowed and low <= high):
            raise ConfigError(f"the tempo range must lie within {allowed} BPM")
        if not self.keys:
            raise ConfigError("choose at least one key")
        for key in self.keys:
            Key.parse(key)
        if not 0.0 <= self.energy <= 1.0:
            raise ConfigError("energy is between 0 and 1")
        return self

    @property
    def temperature(self) -> float:
        """The sampling temperature of the energy: 0.7 (calm) to 1.1 (lively)."""
        return round(0.7 + 0.4 * self.energy, 3)


def _fifths(key: Key) -> int:
    """Position of the key's relative major on the circle of fifths."""
    return (key.relative_major * 7) % 12


def drift(
    config: GenerationConfig, limits: DriftLimits, rng: np.random.Generator
) -> GenerationConfig:
    """The next track's settings: a new seed, a nearby allowed key, a tempo a few BPM away."""
    keys = [Key.parse(k) for k in limits.keys]
    here = _fifths(config.key)

    def distance(k: Key) -> int:
        d = abs(_fifths(k) - here) % 12
        return min(d, 12 - d) + (k.mode != config.key.mode)

    weights = np.array([math.exp(-1.2 * distance(k)) for k in keys])
    key = keys[int(rng.choice(len(keys), p=weights / weights.sum()))]
    low, high = limits.bpm_range
    bpm = float(np.clip(config.bpm + rng.uniform(-limits.bpm_step, limits.bpm_step), low, high))
    sampling = dataclasses.replace(config.sampling, temperature=limits.temperature)
    return dataclasses.replace(
        config,
        seed=int(rng.integers(1, 2**31)),
        key=key,
        bpm=round(bpm, 1),
        sampling=sampling,
    )


def first_config(limits: DriftLimits, bars: int, rng: np.random.Generator) -> GenerationConfig:
    """The first track's settings, drawn inside the limits."""
    low, high = limits.bpm_range
    base = GenerationConfig(
        seed=int(rng.integers(1, 2**31)),
        key=Key.parse(limits.keys[int(rng.integers(len(limits.keys)))]),
        bpm=round(float(rng.uniform(low, high)), 1),
        bars=bars,
    )
    return dataclasses.replace(
        base, sampling=dataclasses.replace(base.sampling, temperature=limits.temperature)
    )


def distinct(
    config: GenerationConfig,
    compose_fn: Callable[[GenerationConfig], Song],
    history: History,
    rng: np.random.Generator,
    attempts: int = 16,
) -> tuple[GenerationConfig, Song]:
    """Composes `config`, drawing a new seed while the song repeats a fragment of the history.

    Returns the config used and its song, which joins the history.
    """
    song = compose_fn(config)
    for _ in range(attempts):
        if not history.collides(song):
            break
        history.redraws += 1
        config = dataclasses.replace(config, seed=int(rng.integers(1, 2**31)))
        song = compose_fn(config)
    history.add(song)
    return config, song
