"""The piano stream, voice-led: the top voice moves by intervals, the notes under it hang from it.

Version 2 of the piano stream (lofi.encoding.piano holds version 1 and what both share).
Each onset is read from the top down: `p<k>` the position, then its highest note (the bar's
first names it, `n<pitch>`; every later one moves from the top note before, `t<±k>`), then
every note under it as the interval down from the note above (`i<k>`), and after each run of
notes with the same length and loudness their `d<duration>` (`d~`: held until the next
onset, as two in five of a pack's notes are) and `v<velocity>` (the stream's first names
its touch, the others step from it). So the model predicts what a listener follows, the top
line's steps and leaps, the voicing's shape under it, chords held into the next, one touch,
rather than absolute pitches and lengths it must learn one by one from a pack of a few
thousand chords. The piano draws each loop as a stream of its own (lofi.compose.pianist),
so a loop repeats note for note.

Context inputs, known before each token: the position in the bar, the bar in a 4-bar loop,
the mode, the top note last struck, the note last struck (the register the stream is in),
the touch, the notes of this onset so far (`depth`), and `ref`, the note the next one
is measured from (the last top note after a position, else the note last struck). The
network adds a learned table of `ref` × next token to its logits (lofi.models.network), so
which moves and drops land in the key is learned per pitch at once.

Version 3 names the stream's texture first (held chords, broken chords, sparse stabs: the
share of it with nothing sounding), which a `texture` input then carries, and hears the
highest and lowest notes the stream has struck (`high`, `low`), so a loop keeps its register.

Measured with `python -m lofi evaluate --corpus lofi` (docs/piano.md): against version 1,
the top line's steps and leaps, the voicing and the pitch classes came to the pieces'.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from lofi.core.constants import BEATS_PER_BAR, RING_OVER
from lofi.core.types import Key, Note, Piece
from lofi.encoding.piano import (
    BAR,
    DURATION_OF,
    LOOP_BARS_IN,
    PIANO_DURATIONS,
    PIANO_PITCH_MAX,
    PIANO_PITCH_MIN,
    PIANO_VELOCITIES,
    TICKS_PER_BAR,
    TICKS_PER_BEAT,
    encode_tokens,
    fmt,
    looped,
    onset_events,
    piece_origin,
)
from lofi.encoding.tokens import Sequence, key_shift
from lofi.encoding.vocab import BOS, MODE_TOKENS, Vocabulary

MAX_MOVE = 24  # the top voice moves at most two octaves from one onset to the next
MAX_DROP = 48  # a note hangs at most four octaves under the note above it
REFERENCE = 72  # the `top` and `last` inputs before any note is struck (C5)
# Every piece trains as this many bars (its loop played again, or cut). Training windows are
# as long as the shortest stream: at 8 bars a sparse loop's 62 tokens made them shorter than
# one 4-bar loop of the piano, which then drifted in its last bars; at 16 they hold one.
STREAM_BARS = 16
MAX_DEPTH = 7  # the `depth` input counts an onset's notes so far up to this
LEGATO = "d~"  # held until the stream's next onset (the loop's end after its last)
LEGATO_SLACK = 2  # ticks: a note ending this near the next onset is held until it
_LEGATO = -1  # the duration index of a legato run while encoding
PITCHES = tuple(range(PIANO_PITCH_MIN, PIANO_PITCH_MAX + 1))
# Version 3's first token: how much of the stream is silent (sixteenths with nothing
# sounding): under 5 %, up to 30 %, more. A pack holds held-chord loops and sparse stabs,
# and a model without it drew every loop half-way between them.
TEXTURES = ("x0", "x1", "x2")
TEXTURE_EDGES = (0.05, 0.3)
HELD_TEXTURE = TEXTURES[0]  # what a song plays unless its user asks for the pack's odds
UNKNOWN_TEXTURE = "?"  # the texture input before the stream's first token has named it


def interval_vocabulary(textures: bool = True) -> Vocabulary:
    """The voice-led piano tokens and their context inputs (version 2 without `textures`)."""
    tokens = (
        BOS,
        BAR,
        *(f"p{k}" for k in range(TICKS_PER_BAR)),
        *(f"n{p}" for p in PITCHES),
        *(f"t{k:+d}" for k in range(-MAX_MOVE, MAX_MOVE + 1)),
        *(f"i{k}" for k in range(1, MAX_DROP + 1)),
        *(f"d{fmt(d)}" for d in PIANO_DURATIONS),
        LEGATO,
        *(f"v{v}" for v in PIANO_VELOCITIES),
        *(f"v{k:+d}" for k in range(1 - len(PIANO_VELOCITIES), len(PIANO_VELOCITIES))),
        *(TEXTURES if textures else ()),
    )
    pitches = tuple(str(p) for p in PITCHES)
    texture = {"texture": (UNKNOWN_TEXTURE, *TEXTURES), "high": pitches, "low": pitches}
    texture = texture if textures else {}
    return Vocabulary(
        kind="piano",
        inputs={
            "token": tokens,
            "position": tuple(str(k) for k in range(TICKS_PER_BAR)),
            "bar": tuple(str(b) for b in range(LOOP_BARS_IN)),
            "mode": MODE_TOKENS,
            "top": pitches,
            "last": pitches,
            "ref": pitches,
            "loudness": tuple(str(v) for v in PIANO_VELOCITIES),
            "depth": tuple(str(k) for k in range(MAX_DEPTH + 1)),
            **texture,
        },
        outputs=("token",),
    )


def is_interval_vocabulary(vocab: Vocabulary) -> bool:
    """Whether a piano model reads this stream (version 2 or 3) rather than version 1's."""
    return "top" in vocab.inputs


def _into_range(pitch: int, near: int, span: int) -> int | None:
    """`pitch` moved by octaves to within `span` semitones of `near` and the piano's range."""
    while pitch - near > span:
        pitch -= 12
    while near - pitch > span:
        pitch += 12
    if PIANO_PITCH_MIN <= pitch <= PIANO_PITCH_MAX and abs(pitch - near) <= span:
        return pitch
    return None


def onset_tokens(
    events: dict[int, tuple[int, int]], top: int | None, touch: list[int]
) -> tuple[list[str], int]:
    """One onset's notes (pitch → duration and velocity indices) as tokens, top note first.

    `top` is the top note of the bar's previous onset (None: the bar's first onset); `touch`
    holds the stream's touch once its first run has named it (see _closing). Returns the
    tokens and this onset's top note. An onset whose top note is out of reach moves by
    octaves as a whole; a note hanging too far under the one above it moves up by octaves.
    """
    pitches = sorted(events, reverse=True)
    head = pitches[0] if top is None else _into_range(pitches[0], top, MAX_MOVE)
    if head is None:
        return [], top or REFERENCE
    octaves = head - pitches[0]
    out = [f"n{head}" if top is None else f"t{head - top:+d}"]
    run, above = events[pitches[0]], head
    for pitch in pitches[1:]:
        placed = pitch + octaves
        while above - placed > MAX_DROP:
            placed += 12
        if not PIANO_PITCH_MIN <= placed < above:
            continue
        if events[pitch] != run:
            out += _closing(run, touch)
        out.append(f"i{above - placed}")
        run, above = events[pitch], placed
    return out + _closing(run, touch), head


def _closing(run: tuple[int, int], touch: list[int]) -> list[str]:
    """A run's length and loudness.

    The stream's first run names its velocity (the stream's touch); every later one steps
    from it (`v+0` the same), so a piece keeps one touch rather than drifting run by run.
    """
    length = LEGATO if run[0] == _LEGATO else f"d{fmt(PIANO_DURATIONS[run[0]])}"
    if not touch:
        touch.append(run[1])
        return [length, f"v{PIANO_VELOCITIES[run[1]]}"]
    return [length, f"v{run[1] - touch[0]:+d}"]


def legato(
    events: dict[int, dict[int, tuple[int, int]]],
) -> dict[int, dict[int, tuple[int, int]]]:
    """The events with every note that ends at the next onset marked as held until it.

    Two in five of a lofi pack's notes end where the next chord starts: one token says so,
    rather than a length the model must match to a rhythm it has not drawn yet.
    """
    ticks = sorted(events)
    out = {}
    for tick, after in zip(ticks, [*ticks[1:], None], strict=True):
        out[tick] = {
            pitch: (
                _LEGATO
                if after is not None
                and abs(tick + PIANO_DURATIONS[d] * TICKS_PER_BEAT - after) <= LEGATO_SLACK
                else d,
                v,
            )
            for pitch, (d, v) in events[tick].items()
        }
    return out


def interval_note_tokens(notes: Iterable[Note], shift: int) -> list[str]:
    """Notes (onsets from bar 0) as voice-led tokens, pitches moved by `shift` semitones."""
    events = legato(onset_events(notes, shift))
    out: list[str] = []
    bar = 0
    top: int | None = None
    touch: list[int] = []
    for tick in sorted(events):
        while tick >= (bar + 1) * TICKS_PER_BAR:
            out.append(BAR)
            bar += 1
            top = None
        tokens, head = onset_tokens(events[tick], top, touch)
        if tokens:
            out.append(f"p{tick - bar * TICKS_PER_BAR}")
            out += tokens
            top = head
    return out


def interval_piece_tokens(piece: Piece) -> list[str]:
    """The piece's notes as voice-led tokens (key-normalised), ending with its closing bar."""
    notes, closing = piece_origin(piece, RING_OVER)  # a loop's last chord rings over
    tokens = interval_note_tokens(notes, key_shift(piece.key))
    bars = 1 + tokens.count(BAR)
    return tokens + [BAR] * (max(closing, bars) - bars + 1)


def _pitch_index(pitch: int) -> int:
    return min(max(pitch, PIANO_PITCH_MIN), PIANO_PITCH_MAX) - PIANO_PITCH_MIN


@dataclass
class IntervalCursor:
    """Where a voice-led stream has got to (the encoder's and the sampler's view).

    `struck` is the position of the bar's last onset (-1: none yet), `top` the top note of
    the last onset, `last` the note last struck, `fresh` whether the bar has no onset yet,
    `loudness` the stream's touch (`touched` once its first run has named it), `depth` the
    notes of this onset so far.
    """

    position: int = 0
    bar: int = 0
    struck: int = -1
    top: int = REFERENCE
    last: int = REFERENCE
    fresh: bool = True
    after_position: bool = False
    loudness: int = len(PIANO_VELOCITIES) // 2
    touched: bool = False
    depth: int = 0
    high: int | None = None  # the highest and lowest notes the stream has struck
    low: int | None = None

    def advance(self, token: str) -> None:
        """Moves past one token."""
        kind = token[0]
        self.after_position = kind == "p"
        if token == BAR:
            self.bar += 1
            self.position, self.struck, self.fresh = 0, -1, True
        elif token == BOS or kind == "x":
            return
        elif kind == "p":
            self.position = self.struck = int(token[1:])
            self.depth = 0
        elif kind == "n":
            self.top = self.last = int(token[1:])
            self.fresh, self.depth = False, 1
            self._spans()
        elif kind == "t":
            self.top = self.last = self.top + int(token[1:])
            self.fresh, self.depth = False, 1
            self._spans()
        elif kind == "i":
            self.last -= int(token[1:])
            self.depth += 1
            self._spans()
        elif kind == "v" and token[1] not in "+-":
            self.loudness = PIANO_VELOCITIES.index(int(token[1:]))
            self.touched = True

    def _spans(self) -> None:
        self.high = self.last if self.high is None else max(self.high, self.last)
        self.low = self.last if self.low is None else min(self.low, self.last)

    def inputs(self) -> dict[str, int]:
        """The context inputs before the next token (all but the previous token and mode)."""
        return {
            "position": self.position,
            "bar": self.bar % LOOP_BARS_IN,
            "top": _pitch_index(self.top),
            "last": _pitch_index(self.last),
            "ref": _pitch_index(self.top if self.after_position else self.last),
            "loudness": self.loudness,
            "depth": min(self.depth, MAX_DEPTH),
            "high": _pitch_index(REFERENCE if self.high is None else self.high),
            "low": _pitch_index(REFERENCE if self.low is None else self.low),
        }


def encode_interval_piano(piece: Piece, vocab: Vocabulary) -> Sequence:
    """The piece as one voice-led stream of STREAM_BARS bars (its loop again, or its first).

    Version 3 names the stream's texture first; the `texture` input carries it after that.
    """
    tokens = looped(interval_piece_tokens(piece), STREAM_BARS)
    texture = texture_of(tokens) if "texture" in vocab.inputs else None
    head = [texture] if texture is not None else []
    sequence = encode_tokens([*head, *tokens], piece.key.mode, vocab, IntervalCursor())
    for extra in set(sequence.inputs) - set(vocab.inputs):  # version 3's register, for version 2
        del sequence.inputs[extra]
    if texture is not None:
        named = np.full(len(sequence), vocab.index("texture", texture), np.int32)
        named[0] = vocab.index("texture", UNKNOWN_TEXTURE)
        sequence.inputs["texture"] = named
    return sequence


def texture_of(tokens: list[str]) -> str:
    """The texture token of a stream: the share of its sixteenths with nothing sounding."""
    bars = max(1, tokens.count(BAR))
    steps = bars * BEATS_PER_BAR * 4
    sounding = np.zeros(steps, dtype=bool)
    for n in decode_interval_tokens(tokens):
        first = math.ceil(n.onset * 4 - 0.5)
        sounding[max(first, 0) : max(math.ceil((n.onset + n.duration) * 4 - 0.5), 0)] = True
    silent = 1.0 - float(sounding.mean())
    return TEXTURES[int(np.searchsorted(TEXTURE_EDGES, silent, side="right"))]


def decode_interval_tokens(tokens: Iterable[str], key: Key | None = None) -> list[Note]:
    """Voice-led tokens back to notes; with `key`, moved from the normalised key into it.

    A stream decodes from its start (each loop the piano plays is one, drawn from a fresh
    state). Notes whose run never gets its duration and velocity are dropped; a loudness
    step before the touch is named counts from the middle loudness.
    """
    shift = -key_shift(key) if key is not None else 0
    notes: list[Note] = []
    bar, tick = 0, 0
    top = last = REFERENCE
    touch = len(PIANO_VELOCITIES) // 2
    run: list[int] = []
    duration: float | None = None
    held: list[tuple[int, float, int]] = []  # legato notes waiting for the next onset
    for token in tokens:
        kind = token[0]
        if kind == "p":
            onset = bar * BEATS_PER_BAR + int(token[1:]) / TICKS_PER_BEAT
            notes += [Note(p, at, round(onset - at, 6), v) for p, at, v in held]
            held = []
        if token == BAR:
            bar, tick, run, top = bar + 1, 0, [], REFERENCE
        elif kind == "p":
            tick, run = int(token[1:]), []
        elif kind == "n":
            top = last = int(token[1:])
            run = [last]
        elif kind == "t":
            top = last = top + int(token[1:])
            run = [last]
        elif kind == "i":
            last -= int(token[1:])
            run.append(last)
        elif token == LEGATO:
            duration = 0.0
        elif kind == "d":
            duration = DURATION_OF.get(token)
        elif kind == "v" and duration is not None:
            onset = round(bar * BEATS_PER_BAR + tick / TICKS_PER_BEAT, 6)
            if token[1] in "+-":
                step = min(max(touch + int(token[1:]), 0), len(PIANO_VELOCITIES) - 1)
                velocity = PIANO_VELOCITIES[step]
            else:
                velocity = int(token[1:])
                touch = PIANO_VELOCITIES.index(velocity)
            if duration == 0.0:
                held += [(p + shift, onset, velocity) for p in run]
            else:
                notes += [Note(p + shift, onset, duration, velocity) for p in run]
            run, duration = [], None
    # The last onset's legato notes ring to the end of the stream's last bar.
    end = bar * BEATS_PER_BAR
    for p, at, v in held:
        stop = end if end > at else (at // BEATS_PER_BAR + 1) * BEATS_PER_BAR
        notes.append(Note(p, at, round(stop - at, 6), v))
    return sorted(notes, key=lambda n: (n.onset, n.pitch))
