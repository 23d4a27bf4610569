"""The piano part as one multi-voice event sequence (REMI-style), key-relative, and back.

A piece's pitched notes, every voice together, become one token stream: `bar` moves to the
next bar, `p<k>` to a position in it (twelfths of a beat: sixteenths and triplets), then
each note struck there as `n<pitch>` `d<duration>` `v<velocity>`, lowest note first. A rest
is the time no note covers: the positions and bars a stream skips, and each note's own
duration, so held chords and silences are what the model learns rather than artefacts of
splitting the texture into melody, chords and bass. Pitches are moved so the piece's
relative major is C (C major / A minor), like every other part.

Hand-written rather than MidiTok's REMI: the pieces are already parsed and key-normalised
`Piece`s, and the tokens must live in the product's versioned `Vocabulary`, which the numpy
sampler and fine-tuning read by token name; MidiTok would add symusic and its own config.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import Key, Note, Piece
from lofi.encoding.tokens import Sequence, key_shift
from lofi.encoding.vocab import BOS, MODE_TOKENS, Vocabulary

TICKS_PER_BEAT = 12  # sixteenths and triplets both fall on this grid
TICKS_PER_BAR = TICKS_PER_BEAT * BEATS_PER_BAR
PIANO_PITCH_MIN, PIANO_PITCH_MAX = 24, 103  # C1–G7; notes outside are folded in by octaves
# Note lengths in beats: the grid's short values, then held chords up to four bars.
PIANO_DURATIONS: tuple[float, ...] = (
    1 / 6,
    0.25,
    1 / 3,
    0.5,
    2 / 3,
    0.75,
    1.0,
    1.25,
    1.5,
    1.75,
    2.0,
    2.5,
    3.0,
    3.5,
    4.0,
    5.0,
    6.0,
    8.0,
    12.0,
    16.0,
)
PIANO_VELOCITIES: tuple[int, ...] = (24, 36, 46, 54, 62, 70, 78, 88, 100, 114)
BAR = "bar"
DURATION_OF = {f"d{round(d, 4):g}": d for d in PIANO_DURATIONS}
LOOP_BARS_IN = 4  # the bar input counts bars modulo this (a loop's place)
REPEAT_TO_BARS = 8  # every piece trains as this many bars: a loop played again, or cut


def fmt(x: float) -> str:
    """A number as its token text (4 decimals at most, no trailing zeros)."""
    return f"{round(x, 4):g}"


def piano_vocabulary() -> Vocabulary:
    """One token stream (bar, position, pitch, duration, velocity) and its context inputs.

    Context, known before each token is drawn: the position in the bar the stream has reached,
    the bar's place in a 4-bar loop, and the mode.
    """
    tokens = (
        BOS,
        BAR,
        *(f"p{k}" for k in range(TICKS_PER_BAR)),
        *(f"n{p}" for p in range(PIANO_PITCH_MIN, PIANO_PITCH_MAX + 1)),
        *(f"d{fmt(d)}" for d in PIANO_DURATIONS),
        *(f"v{v}" for v in PIANO_VELOCITIES),
    )
    return Vocabulary(
        kind="piano",
        inputs={
            "token": tokens,
            "position": tuple(str(k) for k in range(TICKS_PER_BAR)),
            "bar": tuple(str(b) for b in range(LOOP_BARS_IN)),
            "mode": MODE_TOKENS,
        },
        outputs=("token",),
    )


def _nearest(values: tuple[float, ...] | tuple[int, ...], x: float) -> int:
    return int(np.argmin([abs(x - v) for v in values]))


def _fold(pitch: int) -> int:
    while pitch < PIANO_PITCH_MIN:
        pitch += 12
    while pitch > PIANO_PITCH_MAX:
        pitch -= 12
    return pitch


def piece_bars(piece: Piece, ring: float = 0.0) -> int:
    """The piece's length in whole bars (at least one, and the last onset's bar).

    A last note ringing `ring` beats or less past a bar line does not start another bar.
    """
    end = max((n.end for n in piece.notes), default=0.0)
    last = max((n.onset for n in piece.notes), default=0.0)
    held = int(np.ceil((max(piece.length_beats, end) - ring) / BEATS_PER_BAR - 1e-6))
    return max(1, held, int(last // BEATS_PER_BAR) + 1)


def onset_events(notes: Iterable[Note], shift: int) -> dict[int, dict[int, tuple[int, int]]]:
    """Notes (onsets from bar 0) by tick and pitch (moved by `shift`): (duration, velocity) steps.

    A pitch struck twice at once sounds once, as long as the longer.
    """
    events: dict[int, dict[int, tuple[int, int]]] = {}
    for n in notes:
        tick = round(n.onset * TICKS_PER_BEAT)
        pitch = _fold(n.pitch + shift)
        d = _nearest(PIANO_DURATIONS, n.duration)
        v = _nearest(PIANO_VELOCITIES, n.velocity)
        held = events.setdefault(tick, {}).get(pitch)
        if held is None or d > held[0]:
            events[tick][pitch] = (d, v)
    return events


def note_tokens(notes: Iterable[Note], shift: int) -> list[str]:
    """Notes (onsets from bar 0) as tokens, pitches moved by `shift` semitones."""
    events = onset_events(notes, shift)
    out: list[str] = []
    bar = 0
    for tick in sorted(events):
        while tick >= (bar + 1) * TICKS_PER_BAR:
            out.append(BAR)
            bar += 1
        out.append(f"p{tick - bar * TICKS_PER_BAR}")
        for pitch in sorted(events[tick]):  # the lowest voice first
            d, v = events[tick][pitch]
            out += [f"n{pitch}", f"d{fmt(PIANO_DURATIONS[d])}", f"v{PIANO_VELOCITIES[v]}"]
    return out


def piece_origin(piece: Piece, ring: float = 0.0) -> tuple[list[Note], int]:
    """The piece's notes from the bar of its first onset, and its length in bars from there.

    A last note ringing `ring` beats or less past a bar line does not start another bar.
    """
    start = min((n.onset for n in piece.notes), default=0.0)
    origin = start - start % BEATS_PER_BAR
    notes = [Note(n.pitch, n.onset - origin, n.duration, n.velocity) for n in piece.notes]
    return notes, piece_bars(piece, ring) - round(origin / BEATS_PER_BAR)


def piece_tokens(piece: Piece) -> list[str]:
    """The piece's notes as tokens (key-normalised), ending with the bar that closes it."""
    notes, closing = piece_origin(piece)
    tokens = note_tokens(notes, key_shift(piece.key))
    bars = 1 + tokens.count(BAR)
    return tokens + [BAR] * (max(closing, bars) - bars + 1)


def looped(tokens: list[str], bars: int = REPEAT_TO_BARS) -> list[str]:
    """A piece's tokens (ending on its closing bar) as exactly `bars` bars.

    A loop shorter than that is played again, as a loop is; a longer piece keeps its first
    `bars` bars. So every piece of a pack weighs the same in training: by tokens, the few
    long pieces (one of 32 bars holds a sixth of the pack's notes) taught a wider, busier
    texture than the loops that make up the pack.
    """
    length = tokens.count(BAR)
    if length == 0:
        return tokens
    repeats = max(1, -(-bars // length))
    out: list[str] = []
    passed = 0
    for token in tokens * repeats:
        out.append(token)
        passed += token == BAR
        if passed == bars:
            break
    return out


@dataclass
class Cursor:
    """Where a stream has got to, read from its tokens so far (the encoder's and the sampler's).

    `position` is the tick in the bar, `bar` the bars passed, `struck` the position of the
    last onset in this bar (-1: none yet), `last` the pitch last struck there (notes of an
    onset come lowest first, each higher than the one before).
    """

    position: int = 0
    bar: int = 0
    struck: int = -1
    last: int = -1

    def advance(self, token: str) -> None:
        """Moves past one token."""
        if token == BAR:
            self.bar += 1
            self.position, self.struck = 0, -1
        elif token.startswith("p"):
            self.position = self.struck = int(token[1:])
            self.last = -1
        elif token.startswith("n"):
            self.last = int(token[1:])

    def inputs(self) -> dict[str, int]:
        """The context inputs before the next token (all but the previous token and mode)."""
        return {"position": self.position, "bar": self.bar % LOOP_BARS_IN}


class StreamCursor(Protocol):
    """What follows a piano stream token by token (Cursor here, IntervalCursor in version 2)."""

    def advance(self, token: str) -> None:
        """Moves past one token."""

    def inputs(self) -> dict[str, int]:
        """The context inputs before the next token."""


def contexts(tokens: list[str], cursor: StreamCursor | None = None) -> dict[str, list[int]]:
    """Before each token: the cursor's context inputs (version 1's: position, bar in loop)."""
    cursor = cursor or Cursor()
    out: dict[str, list[int]] = {name: [] for name in cursor.inputs()}
    for token in tokens:
        for name, value in cursor.inputs().items():
            out[name].append(value)
        cursor.advance(token)
    return out


def encode_tokens(
    tokens: list[str], mode: str, vocab: Vocabulary, cursor: StreamCursor | None = None
) -> Sequence:
    """Token names to the model's aligned inputs and targets (a BOS first)."""
    ids = np.array([vocab.index("token", t) for t in tokens], np.int32)
    n = len(ids)
    context = {k: np.array(v, np.int32) for k, v in contexts(tokens, cursor).items()}
    return Sequence(
        inputs={
            "token": np.concatenate([[0], ids[:-1]]).astype(np.int32),
            **context,
            "mode": np.full(n, MODE_TOKENS.index(f"<{mode}>"), np.int32),
        },
        targets={"token": ids},
    )


def encode_piano(piece: Piece, vocab: Vocabulary) -> Sequence:
    """The piece as one piano stream of 8 bars (its loop played again, or its first 8)."""
    return encode_tokens(looped(piece_tokens(piece)), piece.key.mode, vocab)


def decode_tokens(tokens: Iterable[str], key: Key | None = None) -> list[Note]:
    """Tokens back to notes; with `key`, moved from the normalised key into it.

    A note whose duration or velocity token is missing is dropped.
    """
    shift = -key_shift(key) if key is not None else 0
    notes: list[Note] = []
    bar, tick = 0, 0
    pitch: int | None = None
    duration: float | None = None
    for token in tokens:
        if token == BAR:
            bar, tick, pitch = bar + 1, 0, None
        elif token.startswith("p"):
            tick, pitch = int(token[1:]), None
        elif token.startswith("n"):
            pitch, duration = int(token[1:]), None
        elif token.startswith("d") and pitch is not None:
            duration = DURATION_OF.get(token)
        elif token.startswith("v") and pitch is not None and duration is not None:
            onset = bar * BEATS_PER_BAR + tick / TICKS_PER_BEAT
            notes.append(Note(pitch + shift, round(onset, 6), duration, int(token[1:])))
            pitch = None
    return notes
