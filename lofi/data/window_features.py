"""The feature vector of one window (1, 2 or 4 bars) of key-normalised pitched notes.

The evaluation (lofi.tools.features) measures pieces and songs by these features, and a
style's loop critic (lofi.models.critic) judges the loops its piano draws by the same ones,
plus how the register moves from bar to bar inside the window (MOTION_NAMES).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from lofi.core.constants import BEATS_PER_BAR, RING_OVER
from lofi.core.types import Note

WINDOW_BARS = 4  # the default window; 1 and 2 bars suit a pack of 2–4-bar loops
WINDOW_BEATS = WINDOW_BARS * BEATS_PER_BAR
MIN_NOTES = 4  # a 4-bar window with fewer (a silent intro) is skipped; see min_notes
SHORT_NOTE, HELD_NOTE, BIG_LEAP = 0.3, 2.0, 8  # beats, beats, semitones (the readable shares)
STEPS_PER_BEAT = 4  # sixteenth-note grid
LENGTH_EDGES = (0.375, 0.75, 1.5, 3.0)  # sixteenth, eighth, quarter, half, longer
PITCH_CLASSES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
FEATURE_NAMES: tuple[str, ...] = (
    *(f"pc_{n}" for n in PITCH_CLASSES),
    "onset_downbeat",
    "onset_beat",
    "onset_offbeat_8th",
    "onset_16th",
    "onset_off_grid",
    "length_16th",
    "length_8th",
    "length_quarter",
    "length_half",
    "length_long",
    "top_interval_mean",
    "top_repeat",
    "top_step",
    "top_leap",
    "polyphony",
    "silence",
    "register_mean",
    "register_spread",
    "velocity_mean",
    "velocity_spread",
    "onsets_per_bar",
    "notes_per_beat",
    "short_notes",
    "held_notes",
    "top_big_leap",
    "range",
    "notes_on_one",
    "notes_per_onset",
)

# How the lowest and the top note of each bar move inside a window of 2 or more bars (mean
# move between neighbouring bars, and their span), in semitones: 0 in a 1-bar window.
MOTION_NAMES: tuple[str, ...] = ("bar_low_move", "bar_top_move", "bar_low_span", "bar_top_span")


def top_line(notes: Iterable[Note]) -> tuple[Note, ...]:
    """The highest note of each onset (a skyline), in time order."""
    best: dict[float, Note] = {}
    for n in notes:
        t = round(n.onset, 3)
        if t not in best or n.pitch > best[t].pitch:
            best[t] = n
    return tuple(best[t] for t in sorted(best))


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts, dtype=float)


def window_features(
    notes: list[Note], start: float, shift: int, bars: int = WINDOW_BARS
) -> np.ndarray:
    """The feature vector (see FEATURE_NAMES) of the notes starting in one window.

    Args:
        notes: the window's notes (onsets in [start, start + bars * BEATS_PER_BAR)).
        start: the window's first beat.
        shift: semitones that move the key's relative major to C.
        bars: the window's length in bars.
    """
    window_beats = bars * BEATS_PER_BAR
    pitch = np.array([n.pitch + shift for n in notes], dtype=float)
    onset = np.array([n.onset - start for n in notes], dtype=float)
    length = np.array([n.duration for n in notes], dtype=float)
    velocity = np.array([n.velocity for n in notes], dtype=float)
    pcs = _shares(np.bincount(pitch.astype(int) % 12, minlength=12).astype(float))

    times = np.unique(np.round(onset, 3))
    grid = times * STEPS_PER_BEAT
    step = np.rint(grid).astype(int)
    on_grid = np.abs(grid - step) <= 0.2
    pos = step % (BEATS_PER_BAR * STEPS_PER_BEAT)
    onsets = np.array(
        [
            np.sum(on_grid & (pos == 0)),
            np.sum(on_grid & (pos % 4 == 0) & (pos != 0)),
            np.sum(on_grid & (pos % 4 == 2)),
            np.sum(on_grid & (pos % 2 == 1)),
            np.sum(~on_grid),
        ],
        dtype=float,
    )
    lengths = np.bincount(np.searchsorted(LENGTH_EDGES, length), minlength=5).astype(float)

    top = np.array([n.pitch for n in top_line(notes)], dtype=float)
    steps = np.abs(np.diff(top))
    if steps.size:
        contour = [steps.mean(), np.mean(steps == 0), np.mean((steps > 0) & (steps <= 2))]
        contour.append(np.mean(steps >= 5))
    else:
        contour = [0.0, 0.0, 0.0, 0.0]

    n_steps = window_beats * STEPS_PER_BEAT
    centres = (np.arange(n_steps) + 0.5) / STEPS_PER_BEAT
    sounding = (onset[:, None] <= centres[None, :]) & ((onset + length)[:, None] > centres[None, :])
    per_step = sounding.sum(axis=0)
    busy = per_step[per_step > 0]
    note_step = np.rint(onset * STEPS_PER_BEAT)
    on_one = (np.abs(onset * STEPS_PER_BEAT - note_step) <= 0.2) & (
        note_step % (BEATS_PER_BAR * STEPS_PER_BEAT) == 0
    )
    return np.concatenate(
        [
            pcs,
            _shares(onsets),
            _shares(lengths),
            contour,
            [
                busy.mean() if busy.size else 0.0,
                float(np.mean(per_step == 0)),
                pitch.mean(),
                pitch.std(),
                velocity.mean(),
                velocity.std(),
                times.size / bars,
                len(notes) / window_beats,
                float(np.mean(length < SHORT_NOTE)),
                float(np.mean(length >= HELD_NOTE)),
                float(np.mean(steps >= BIG_LEAP)) if steps.size else 0.0,
                float(pitch.max() - pitch.min()),
                float(np.mean(on_one)),
                len(notes) / max(times.size, 1),
            ],
        ]
    )


def bar_motion(notes: list[Note], start: float, bars: int) -> np.ndarray:
    """How the window's register moves from bar to bar (see MOTION_NAMES).

    A loop whose left hand jumps an octave from one bar to the next can have every bar's
    features right and still not sound like a piece that stays put; these say it.
    """
    lows, tops = [], []
    for bar in range(bars):
        first = start + bar * BEATS_PER_BAR
        pitches = [n.pitch for n in notes if first <= n.onset < first + BEATS_PER_BAR]
        if pitches:
            lows.append(min(pitches))
            tops.append(max(pitches))
    if len(lows) < 2:
        return np.zeros(len(MOTION_NAMES))
    low, top = np.array(lows, dtype=float), np.array(tops, dtype=float)
    return np.array(
        [np.abs(np.diff(low)).mean(), np.abs(np.diff(top)).mean(), np.ptp(low), np.ptp(top)]
    )


def min_notes(bars: int) -> int:
    """The fewest notes a window of `bars` bars needs to count (one a bar, at least two)."""
    return max(2, bars * MIN_NOTES // WINDOW_BARS)


def _order(n: Note) -> tuple[float, int]:
    return (n.onset, n.pitch)


def unisons_merged(notes: Iterable[Note]) -> tuple[Note, ...]:
    """The notes in time order, those of one pitch and onset merged into one.

    The merged note lasts as long as the longest and is as loud as the loudest.
    """
    merged: dict[tuple[int, float], Note] = {}
    for n in notes:
        key = (n.pitch, round(n.onset, 3))
        seen = merged.get(key)
        if seen is not None:
            n = Note(
                n.pitch, seen.onset, max(n.duration, seen.duration), max(n.velocity, seen.velocity)
            )
        merged[key] = n
    return tuple(sorted(merged.values(), key=_order))


def whole_bars(beats: float) -> int:
    """A piece's length in whole bars: a loop whose last note ends early is still whole.

    A 4-bar loop often ends half a beat before its last bar line; a note ringing RING_OVER
    beats past a bar line does not start another bar.
    """
    return max(0, math.ceil((beats - RING_OVER) / BEATS_PER_BAR - 1e-9))


def windows_of(notes: Iterable[Note], beats: float, bars: int) -> list[list[Note]]:
    """The notes starting in each full window of `bars` bars, window by window.

    Args:
        notes: the notes (a piece's or a song's, or a loop's from beat 0).
        beats: their length in beats (whole_bars counts the windows).
        bars: the window's length in bars.
    """
    window_beats = bars * BEATS_PER_BAR
    buckets: list[list[Note]] = [[] for _ in range(whole_bars(beats) // bars)]
    for n in notes:
        w = int(n.onset // window_beats)
        if 0 <= w < len(buckets):
            buckets[w].append(n)
    return buckets


def window_row(notes: list[Note], start: float, shift: int, bars: int, motion: bool) -> np.ndarray:
    """window_features, and with `motion` the window's bar_motion after them."""
    row = window_features(notes, start, shift, bars)
    return np.concatenate([row, bar_motion(notes, start, bars)]) if motion else row


def note_windows(
    notes: Iterable[Note], beats: float, shift: int, bars: int, motion: bool = False
) -> np.ndarray:
    """One feature row per full window of `bars` bars holding at least min_notes notes.

    Args:
        notes: the notes (see windows_of).
        beats: their length in beats.
        shift: semitones that move the key's relative major to C.
        bars: the window's length in bars.
        motion: each row ends with the window's bar_motion (MOTION_NAMES), as the loop
            critic reads it.
    """
    rows = [
        window_row(inside, w * bars * BEATS_PER_BAR, shift, bars, motion)
        for w, inside in enumerate(windows_of(notes, beats, bars))
        if len(inside) >= min_notes(bars)
    ]
    width = len(FEATURE_NAMES) + (len(MOTION_NAMES) if motion else 0)
    return np.array(rows, dtype=float).reshape(len(rows), width)
