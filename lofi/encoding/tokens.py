"""Pieces to key-relative token sequences and back.

Every piece is moved so that its relative major is C (C major / A minor). Melody steps are
(pitch or rest, duration bin, velocity bin) with the chord sounding at the step and the step's
position in the bar; chord steps are (symbol, duration bin) with the beat in the bar.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from lofi.core.constants import (
    BEATS_PER_BAR,
    CHORD_DURATION_BINS,
    DURATION_BINS,
    MELODY_PITCH_MAX,
    MELODY_PITCH_MIN,
    POSITIONS_PER_BAR,
)
from lofi.core.types import ChordSpan, Key, Note, Piece
from lofi.encoding.chord_context import chord_context
from lofi.encoding.chord_inference import infer_chords
from lofi.encoding.chords import NO_CHORD, context_name
from lofi.encoding.density import with_density
from lofi.encoding.dynamics import (
    default_slot,
    is_relative,
    reference_level,
    velocity_of,
    velocity_slot,
)
from lofi.encoding.swing import straight_piece
from lofi.encoding.vocab import BOS, MODE_TOKENS, REST, Vocabulary

HARMONY_WINDOW = 1  # beats per analysed chord: one, the HMM decides where chords change
MIN_REST = 0.25  # shorter gaps are absorbed into the previous note
MAX_REST = 4.0


def key_shift(key: Key) -> int:
    """Semitones that move `key`'s relative major to C, in -5..6."""
    shift = (-key.relative_major) % 12
    return shift - 12 if shift > 6 else shift


def fold_pitch(pitch: int, low: int = MELODY_PITCH_MIN, high: int = MELODY_PITCH_MAX) -> int:
    """The pitch moved by octaves into low..high (the melody range unless given)."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def duration_bin(quarters: float, bins: tuple[float, ...] = DURATION_BINS) -> int:
    """Index of the bin nearest to `quarters` beats (the first of two equally near)."""
    return int(np.argmin([abs(quarters - b) for b in bins]))


def harmony(piece: Piece) -> list[str]:
    """The vocabulary chord of each beat, in normalised key (HMM over the whole piece)."""
    return list(_harmony(piece.beats, key_shift(piece.key), piece.key.mode == "minor"))


@functools.lru_cache(maxsize=512)
def _harmony(beats: tuple[ChordSpan, ...], shift: int, minor: bool) -> tuple[str, ...]:
    return tuple(infer_chords(beats, shift, minor))


@dataclass(frozen=True)
class Sequence:
    """Aligned token-index arrays of one piece; inputs are shifted targets plus context."""

    inputs: dict[str, np.ndarray]
    targets: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.targets.values())))


def melody_steps(piece: Piece, high: int = MELODY_PITCH_MAX) -> list[tuple[str, float, int, float]]:
    """(pitch token, duration, velocity, onset) per step, key-normalised, folded under `high`."""
    return line_steps(piece.melody, piece.key, MELODY_PITCH_MIN, high)


def pitch_ceiling(vocab: Vocabulary) -> int:
    """The highest pitch a line vocabulary holds (C6 in melody models from before C7)."""
    return max(int(t) for t in vocab.inputs["pitch"] if t.isdigit())


def line_steps(
    line: tuple[Note, ...] | list[Note],
    key: Key,
    low: int = MELODY_PITCH_MIN,
    high: int = MELODY_PITCH_MAX,
) -> list[tuple[str, float, int, float]]:
    """A monophonic line's (pitch token, duration, velocity, onset) steps, rests between.

    Pitches are key-normalised and folded into low–high. A note's duration is its length, or
    the time to the next onset when the gap is shorter than MIN_REST: the durations and rests
    are how far a sampled line moves on, so a dropped gap would make it play faster than the
    corpus (dropping them packed the melody's steps into 94 % of its time).
    """
    shift = key_shift(key)
    steps: list[tuple[str, float, int, float]] = []
    melody = sorted(line, key=lambda n: n.onset)
    clock = melody[0].onset - melody[0].onset % BEATS_PER_BAR if melody else 0.0
    for i, note in enumerate(melody):
        gap = note.onset - clock
        while gap >= MIN_REST:
            rest = min(gap, MAX_REST)
            steps.append((REST, DURATION_BINS[duration_bin(rest)], 0, clock))
            clock += rest
            gap -= rest
        nxt = melody[i + 1].onset if i + 1 < len(melody) else note.end
        length = max(min(note.duration, nxt - note.onset), 0.25)
        if nxt - note.onset - length < MIN_REST:  # a shorter gap is absorbed into the note,
            length = max(nxt - note.onset, 0.25)  # so the steps keep the line's time
        d = DURATION_BINS[duration_bin(length)]
        steps.append((str(fold_pitch(note.pitch + shift, low, high)), d, note.velocity, note.onset))
        clock = note.onset + length
    return steps


def encode_melody(piece: Piece, vocab: Vocabulary) -> Sequence:
    """The top line as pitch, duration and velocity targets with the chord and bar position.

    Inputs are the targets shifted right by one (a BOS first), plus the chord class of the beat
    (`context_name`) and the sixteenth position in the bar of each step. A swung piece is
    straightened first (lofi.encoding.swing); its density bin is an input at every step
    (lofi.encoding.density).
    """
    straight = straight_piece(piece)
    steps = melody_steps(straight, pitch_ceiling(vocab))
    sequence = encode_line(steps, harmony(piece), vocab)
    return with_density(sequence, vocab, straight.melody)


def chord_inputs(vocab: Vocabulary, names: list[str]) -> dict[str, np.ndarray]:
    """The chord-conditioning inputs of `vocab` for one chord symbol per step.

    The symbol's melody context class (melody) or its root and quality family (bass,
    comping).
    """
    if "chord" in vocab.inputs:
        chord = [vocab.index("chord", context_name(n)) for n in names]
        return {"chord": np.array(chord, np.int32)}
    context = [chord_context(n) for n in names]
    return {
        "root": np.array([vocab.index("root", r) for r, _ in context], np.int32),
        "quality": np.array([vocab.index("quality", q) for _, q in context], np.int32),
    }


def _held_velocities(steps: list[tuple[str, float, int, float]], relative: bool) -> list[int]:
    """Each step's velocity token: a rest holds the loudness of the note before it.

    So the line's loudness stays in the model's inputs across its rests (a rest before the
    first note takes the ×1 bin, or the 64 bin in an absolute vocabulary). Relative bins are
    of the line's median velocity (lofi.encoding.dynamics).
    """
    reference = reference_level(v for p, _, v, _ in steps if p != REST)
    held, out = default_slot(relative), []
    for p, _, v, _ in steps:
        if p != REST:
            held = velocity_slot(v, reference, relative)
        out.append(1 + held)
    return out


def encode_line(
    steps: list[tuple[str, float, int, float]], chords: list[str], vocab: Vocabulary
) -> Sequence:
    """Steps of a line (see `line_steps`) with the half-bar chords sounding under them."""
    pitch = [vocab.index("pitch", p) for p, _, _, _ in steps]
    dur = [1 + duration_bin(d) for _, d, _, _ in steps]
    vel = _held_velocities(steps, is_relative(vocab.inputs["velocity"]))
    sounding = [
        chords[min(int(t // HARMONY_WINDOW), len(chords) - 1)] if chords else NO_CHORD
        for _, _, _, t in steps
    ]
    pos = [round(t * 4) % POSITIONS_PER_BAR for _, _, _, t in steps]
    targets = {
        "pitch": np.array(pitch, np.int32),
        "duration": np.array(dur, np.int32),
        "velocity": np.array(vel, np.int32),
    }
    inputs = {
        name: np.concatenate([[0], arr[:-1]]).astype(np.int32) for name, arr in targets.items()
    }
    inputs.update(chord_inputs(vocab, sounding))
    inputs["position"] = np.array(pos, np.int32)
    return Sequence(inputs, targets)


def chord_events(piece: Piece) -> list[tuple[str, float]]:
    """Runs of the same chord, split to fit the duration bins; N at the ends dropped."""
    runs: list[tuple[str, float]] = []
    for sym in harmony(piece):
        if runs and runs[-1][0] == sym:
            runs[-1] = (sym, runs[-1][1] + HARMONY_WINDOW)
        else:
            runs.append((sym, float(HARMONY_WINDOW)))
    while runs and runs[0][0] == NO_CHORD:
        runs.pop(0)
    while runs and runs[-1][0] == NO_CHORD:
        runs.pop()
    events: list[tuple[str, float]] = []
    longest = CHORD_DURATION_BINS[-1]
    for sym, beats in runs:
        left = beats
        while left > 0:
            part = min(left, longest)
            events.append((sym, CHORD_DURATION_BINS[duration_bin(part, CHORD_DURATION_BINS)]))
            left -= part
    return events


def encode_chords(piece: Piece, vocab: Vocabulary) -> Sequence:
    """The chord events as chord and duration targets; inputs start with the mode token."""
    events = chord_events(piece)
    names = vocab.inputs["chord"]
    chord = np.array([names.index(s) for s, _ in events], np.int32)
    dur = np.array([1 + duration_bin(d, CHORD_DURATION_BINS) for _, d in events], np.int32)
    onsets = np.concatenate([[0.0], np.cumsum([d for _, d in events])[:-1]])[: len(events)]
    mode_token = names.index(MODE_TOKENS[0 if piece.key.mode == "major" else 1])
    inputs = {
        "chord": np.concatenate([[mode_token], chord[:-1]]).astype(np.int32),
        "duration": np.concatenate([[0], dur[:-1]]).astype(np.int32),
        "position": (np.asarray(onsets) % BEATS_PER_BAR).astype(np.int32),
    }
    return Sequence(inputs, {"chord": chord, "duration": dur})


def encode(piece: Piece, vocab: Vocabulary) -> Sequence:
    """The piece's token sequence for the vocabulary's kind (melody or chords)."""
    return encode_melody(piece, vocab) if vocab.kind == "melody" else encode_chords(piece, vocab)


def decode_melody(
    pitch: np.ndarray, duration: np.ndarray, velocity: np.ndarray, vocab: Vocabulary, start: float
) -> list[Note]:
    """Token indices (targets) to notes in normalised key, starting at `start` beats."""
    notes = []
    clock = start
    for p, d, v in zip(pitch.tolist(), duration.tolist(), velocity.tolist(), strict=True):
        token = vocab.inputs["pitch"][p]
        beats = DURATION_BINS[max(d, 1) - 1]
        if token not in (REST, BOS):
            vel = velocity_of(vocab.inputs["velocity"][max(v, 1)])
            notes.append(Note(int(token), clock, beats, vel))
        clock += beats
    return notes


def windows(sequences: list[Sequence], length: int, stride: int) -> Sequence:
    """Cuts every sequence into windows of `length` steps (the tail is padded by a last window)."""
    ins: dict[str, list[np.ndarray]] = {k: [] for k in sequences[0].inputs} if sequences else {}
    outs: dict[str, list[np.ndarray]] = {k: [] for k in sequences[0].targets} if sequences else {}
    for seq in sequences:
        n = len(seq)
        if n < length:
            continue
        starts = list(range(0, n - length + 1, stride))
        if starts[-1] != n - length:
            starts.append(n - length)
        for name, arr in seq.inputs.items():
            ins[name].extend(arr[s : s + length] for s in starts)
        for name, arr in seq.targets.items():
            outs[name].extend(arr[s : s + length] for s in starts)
    return Sequence(
        {k: np.stack(v) if v else np.zeros((0, length), np.int32) for k, v in ins.items()},
        {k: np.stack(v) if v else np.zeros((0, length), np.int32) for k, v in outs.items()},
    )
