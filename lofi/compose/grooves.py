"""The hand-played parts: lofi drums, a bass line from the chord roots, chord comping.

Times are in beats. Every random choice comes from the generator passed in, so a seed
gives the same parts every time.
"""

from __future__ import annotations

import numpy as np

from lofi.core.types import Note
from lofi.encoding.chords import NO_CHORD, symbol, voicing

KICK, SNARE, RIM, CLOSED_HAT, OPEN_HAT, RIDE = 36, 38, 37, 42, 46, 51
SWING = 0.58  # share of an eighth note taken by its first sixteenth pair
LAID_BACK = 0.03  # beats late for the snare and bass: the lazy lofi feel

# Sixteenth-step patterns over one bar: boom-bap kicks, backbeat snares.
KICK_PATTERNS = (
    (0, 10),
    (0, 7, 10),
    (0, 3, 10),
    (0, 10, 11),
    (0, 6, 10),
)
SNARE_STEPS = (4, 12)
GHOST_STEPS = (7, 15)
HAT_STEPS = tuple(range(0, 16, 2))


def _step_time(step: int, swing: float = SWING) -> float:
    """Beat offset of a sixteenth step with swing on the off-beat eighths."""
    beat, sub = divmod(step, 4)
    offsets = (0.0, swing / 2, swing, swing + (1 - swing) / 2)
    return beat + offsets[sub]


def _hit(rng: np.random.Generator, pitch: int, t: float, vel: float, late: float = 0.0) -> Note:
    onset = max(t + late + rng.normal(0.0, 0.008), 0.0)
    velocity = int(np.clip(round(vel + rng.normal(0.0, 6.0)), 1, 127))
    return Note(pitch, round(onset, 4), 0.25, velocity)


def drum_bar(
    rng: np.random.Generator,
    start: float,
    pattern: int,
    energy: float,
    fill: bool,
    swing: float = SWING,
    push: float = 1.0,
) -> list[Note]:
    """One bar of drums. `energy` 0–1 scales velocities; 0 leaves only soft hats.

    `push` is the user's energy (1: the default groove): it scales the hits' velocities and
    the chance of ghost notes; above 1 an extra kick may land on the "and" of beat two.
    """
    notes: list[Note] = []
    level = energy * push
    for i, step in enumerate(HAT_STEPS):
        accent = 62 if i % 2 == 0 else 46
        pitch = OPEN_HAT if fill and step == 14 else CLOSED_HAT
        hat = accent * (0.6 + 0.4 * energy) * push
        notes.append(_hit(rng, pitch, start + _step_time(step, swing), hat))
    if energy <= 0.0:
        return notes
    for step in KICK_PATTERNS[pattern % len(KICK_PATTERNS)]:
        vel = 100 if step == 0 else 84
        notes.append(_hit(rng, KICK, start + _step_time(step, swing), vel * level))
    for step in SNARE_STEPS:
        notes.append(_hit(rng, SNARE, start + _step_time(step, swing), 92 * level, LAID_BACK))
    for step in GHOST_STEPS:
        if rng.random() < (0.6 if fill else 0.25) * push:
            t = start + _step_time(step, swing)
            notes.append(_hit(rng, SNARE, t, 34 * level, LAID_BACK))
    if push > 1.0 and rng.random() < push - 1.0:  # busier: a pushed kick
        notes.append(_hit(rng, KICK, start + _step_time(6, swing), 78 * level))
    return notes


def bass_line(
    rng: np.random.Generator, chords: list[tuple[float, float, str]], shift: int
) -> list[Note]:
    """Roots on the chord changes, a pickup and the fifth or octave between them."""
    notes: list[Note] = []
    for onset, beats, name in chords:
        if name == NO_CHORD:
            continue
        sym = symbol(name)
        root = 33 + ((sym.root + shift - 9) % 12)  # A1..G#2
        fifth = root + sym.fifth
        late = LAID_BACK
        first = min(beats, 1.5 if beats >= 2 else beats) - 0.05
        notes.append(_bass(rng, root, onset + late, first, 88))
        if beats >= 4:
            other = root + 12 if rng.random() < 0.4 else fifth
            notes.append(_bass(rng, root, onset + 2.5 + late, 0.4, 70))
            notes.append(_bass(rng, other, onset + 3.0 + late, 0.9, 76))
            for bar in range(1, int(beats // 4)):
                notes.append(_bass(rng, root, onset + 4 * bar + late, 1.45, 84))
        elif beats >= 2 and rng.random() < 0.6:
            notes.append(_bass(rng, fifth, onset + 1.5 + late, 0.45, 70))
    return notes


def _bass(rng: np.random.Generator, pitch: int, t: float, dur: float, vel: float) -> Note:
    velocity = int(np.clip(round(vel + rng.normal(0.0, 5.0)), 1, 127))
    return Note(pitch, round(t + rng.normal(0.0, 0.006), 4), round(dur, 4), velocity)


def comp_chords(
    rng: np.random.Generator, chords: list[tuple[float, float, str]], shift: int, level: float
) -> list[Note]:
    """Voiced chords, rolled a little from the bottom, with a soft re-attack on long chords."""
    notes: list[Note] = []
    previous: tuple[int, ...] | None = None
    for onset, beats, name in chords:
        if name == NO_CHORD:
            continue
        voiced = voicing(name, shift, previous)
        previous = voiced
        attacks = [(onset, beats - 0.08, 62.0)]
        if beats >= 4 and rng.random() < 0.5:
            attacks = [(onset, 2.42, 62.0), (onset + 2.5, beats - 2.58, 50.0)]
        for start, dur, vel in attacks:
            for i, pitch in enumerate(voiced):
                roll = 0.012 * i + abs(rng.normal(0.0, 0.006))
                velocity = int(np.clip(round(vel * level + rng.normal(0.0, 4.0)), 1, 127))
                notes.append(Note(pitch, round(start + roll, 4), round(dur - roll, 4), velocity))
    return notes
