"""A track around the user's loop: the loop's part kept note for note, the others conditioned.

With the loop as the chords, the song's harmony is the loop's chords per beat, as the HMM
hears them (the analysis the melody, bass and comping models learned over), so the melody
model hears the loop's chords as in training. With the loop as the melody, the chord model
hears it: each chord it proposes is weighted by how likely the loop's notes under it are
(the HMM's emission model), a chord loop as long as the loop is drawn once and repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import Note
from lofi.data.analysis import beat_spans
from lofi.encoding.chord_inference import MODEL, emissions, pitch_class_emissions
from lofi.encoding.chords import SYMBOL_NAMES
from lofi.encoding.loop import LOOP_PARTS, Loop
from lofi.encoding.tokens import key_shift

ChordEvents = list[tuple[float, float, str]]
WHOLE_TRACK = "whole"  # the loop plays from the first bar to the last
A_SECTIONS = "A"  # the loop is the form's first chord loop (intro, its blocks, outro)
LOOP_SCOPES = (WHOLE_TRACK, A_SECTIONS)
A_SECTION_BARS = (1, 2, 4)  # loop lengths that fill a 4-bar block of the form
HEARD_BEATS = 2  # beats of the loop's melody a proposed chord is judged against
# How strongly the piano's top notes hear a user's chord loop (a power on the emission
# weights). The piano already plays chords of its own, so the full weights double-count:
# over the lofi pack's training part its top notes landed on chord tones on beats 1 and 3
# 0.590 of the time unweighted, 0.770 at 0.25, 0.896 at 0.5 (the pieces' own: 0.911), 0.97
# at 1.
CHORD_HEARING = 0.5


@dataclass(frozen=True)
class LoopPart:
    """A loop and the part it plays, for the whole track or the A sections (`scope`).

    In the A sections, the loop is the chords of the form's first chord loop (the intro,
    the outro and every block of its letter); the chord model hears it, then draws the
    others (B, C…) after it, and the comping model plays those.
    """

    loop: Loop
    part: str = LOOP_PARTS[0]
    scope: str = WHOLE_TRACK

    @property
    def is_chords(self) -> bool:
        """The loop is the chords part."""
        return self.part == "chords"

    @property
    def in_a_sections(self) -> bool:
        """The loop plays the A sections only."""
        return self.scope == A_SECTIONS


def scope_problem(part: str, scope: str, bars: int) -> str | None:
    """Why a loop cannot play `scope` (None when it can)."""
    if scope not in LOOP_SCOPES:
        return f"a loop plays the whole track or the A sections, not {scope!r}"
    if scope == A_SECTIONS and part != "chords":
        return "only a chords loop can play the A sections; a melody loop plays the whole track"
    if scope == A_SECTIONS and bars not in A_SECTION_BARS:
        return f"a {bars}-bar loop cannot fill the form's 4-bar blocks; it plays the whole track"
    return None


def in_blocks(
    notes: tuple[Note, ...] | list[Note], period: float, starts: list[float], block: float
) -> list[Note]:
    """The notes repeated every `period` beats through each block from `starts`."""
    out: list[Note] = []
    for start in starts:
        out += [
            Note(n.pitch, n.onset + start, n.duration, n.velocity)
            for n in tiled(notes, period, block)
        ]
    return out


def tiled(notes: tuple[Note, ...] | list[Note], period: float, end: float) -> list[Note]:
    """The notes repeated every `period` beats from beat 0, none starting at or after `end`.

    A note ringing past `end` is cut there.
    """
    out: list[Note] = []
    start = 0.0
    while start < end - 1e-6:
        for n in notes:
            onset = n.onset + start
            if onset < end - 1e-6:
                length = min(n.duration, end - onset)
                out.append(Note(n.pitch, onset, round(length, 6), n.velocity))
        start += period
    return out


def loop_harmony(loop: Loop, end: float) -> ChordEvents:
    """The loop's chord per beat repeated to `end`, a held chord as one event."""
    per_beat = [loop.chords[b % len(loop.chords)] for b in range(int(end))]
    events: ChordEvents = []
    for b, name in enumerate(per_beat):
        if events and events[-1][2] == name and b % int(loop.beats) != 0:
            t, beats, _ = events[-1]
            events[-1] = (t, beats + 1.0, name)
        else:
            events.append((float(b), 1.0, name))
    return events


def tiled_events(events: ChordEvents, period: float, end: float) -> ChordEvents:
    """Chord events repeated every `period` beats, cut at `end`."""
    out: ChordEvents = []
    start = 0.0
    while start < end - 1e-6:
        out += [(t + start, min(b, end - t - start), n) for t, b, n in events if t + start < end]
        start += period
    return out


def normalised(notes: list[Note], loop: Loop) -> list[Note]:
    """The notes moved to the normalised key (C major / A minor) the models work in."""
    shift = key_shift(loop.key)
    return [Note(n.pitch + shift, n.onset, n.duration, n.velocity) for n in notes]


def tune_returns(loop: LoopPart | None, origin: float, start: float) -> bool:
    """Whether a tune first played at `origin` may come back at `start` over the same chords."""
    if loop is None:
        return True
    return abs((start - origin) % loop.loop.beats) < 1e-6


def melody_likelihood(loop: Loop, names: Sequence[str]) -> Callable[[float], np.ndarray]:
    """Per beat `t`: how likely the loop's notes in the next beats are under each chord.

    The HMM's emission model (lofi.encoding.chord_inference) scores the loop's pitch
    classes over HEARD_BEATS beats from `t` (the loop repeating), relative to the best chord;
    names outside the chord vocabulary (mode and start tokens) get 1.
    """
    beats = beat_spans(loop.notes, loop.beats)
    shift = key_shift(loop.key)
    chroma = np.roll(np.array([b.weights for b in beats], dtype=float), shift, axis=1)
    index = {name: i for i, name in enumerate(SYMBOL_NAMES)}
    columns = np.array([index.get(n, -1) for n in names])
    minor = loop.key.mode == "minor"

    def weights(t: float) -> np.ndarray:
        first = int(t) % len(chroma)
        rows = [(first + k) % len(chroma) for k in range(HEARD_BEATS)]
        window = chroma[rows].sum(axis=0, keepdims=True)
        ll = emissions(window, [None], MODEL, minor)[0]
        ll = ll - ll.max()
        return np.where(columns >= 0, np.exp(ll[np.maximum(columns, 0)]), 1.0)

    return weights


def chord_tone_weights(loop: Loop) -> Callable[[float], np.ndarray]:
    """Per beat `t` (the loop repeating): how likely each pitch class is over the loop's chord.

    The HMM's emission model (lofi.encoding.chord_inference), P(pitch class | chord), over
    its largest value and to the power CHORD_HEARING: the piano's top notes drawn over a
    user's chord loop are weighted by it, as the chord model's chords are by a user's melody
    (melody_likelihood).
    """
    log_emit = pitch_class_emissions(loop.key.mode == "minor")
    index = {name: i for i, name in enumerate(SYMBOL_NAMES)}
    rows = np.array([index.get(name, 0) for name in loop.chords])
    scaled = CHORD_HEARING * (log_emit[rows] - log_emit[rows].max(axis=1, keepdims=True))
    table = np.exp(scaled)

    def weights(t: float) -> np.ndarray:
        row: np.ndarray = table[int(t) % len(table)]
        return row

    return weights


def loop_bars(loop: LoopPart) -> int:
    """The loop's length in bars."""
    return int(loop.loop.beats // BEATS_PER_BAR)
