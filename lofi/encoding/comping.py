"""How a piece's chords are played, as sixteenth-step tokens.

The accompaniment is every note that is neither the top line (the melody) nor the bass line.
Notes starting on the same sixteenth are one strike: its voicing is the semitones of its
notes above the chord root (the lowest folded into the first octave, so spread and inversion
are kept), played from an octave of the root, with one length (its notes' mean) and one
loudness bin. The voicing vocabulary is learned: the corpus' most common shapes, every other
strike assigned to its nearest shape (the same note count first, so a strike keeps its
fullness, then shared pitch classes, then the same semitones).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable

import numpy as np

from lofi.core.constants import (
    BEATS_PER_BAR,
    COMP_MAX_NOTES,
    COMP_MAX_SPAN,
    COMP_OCTAVES,
    COMP_STEPS_PER_BAR,
    COMP_VOICINGS,
    DURATION_BINS,
)
from lofi.core.types import Note, Piece
from lofi.encoding.bass import bass_notes
from lofi.encoding.chord_context import root_of
from lofi.encoding.density import bar_bins, bar_density_steps, with_density
from lofi.encoding.dynamics import is_relative, reference_level, velocity_of, velocity_slot
from lofi.encoding.swing import straight_piece
from lofi.encoding.tokens import (
    HARMONY_WINDOW,
    Sequence,
    chord_inputs,
    duration_bin,
    harmony,
    key_shift,
)
from lofi.encoding.vocab import (
    BAR_DENSITY,
    CEILING,
    CEILING_TOKENS,
    NONE,
    Vocabulary,
    check_voicing,
)

STEP = BEATS_PER_BAR / COMP_STEPS_PER_BAR  # beats per step
Strike = tuple[str, int, float, int]  # voicing token, MIDI octave of its root, beats, velocity


def comp_notes(piece: Piece) -> list[Note]:
    """The piece's notes that are neither its melody nor its bass line, key-normalised."""
    shift = key_shift(piece.key)
    lines = {(n.pitch, n.onset) for n in (*piece.melody, *bass_notes(piece))}
    return [
        Note(n.pitch + shift, n.onset, n.duration, n.velocity)
        for n in piece.notes
        if (n.pitch, n.onset) not in lines
    ]


def strike_of(notes: list[Note], root: int) -> Strike:
    """One strike's voicing token, root octave, length and loudness (unbinned)."""
    pitches = sorted({n.pitch for n in notes})[:COMP_MAX_NOTES]
    base = pitches[0] - (pitches[0] - root) % 12  # the root at or below the lowest note
    octave = base // 12 - 1  # MIDI octave: 60 is C4
    intervals = [p - base for p in pitches if p - base <= COMP_MAX_SPAN]
    octave = min(max(octave, COMP_OCTAVES[0]), COMP_OCTAVES[-1])  # extremes move inside
    beats = float(np.mean([n.duration for n in notes]))
    return ".".join(map(str, intervals)), octave, beats, max(n.velocity for n in notes)


def _step_chords(chords: list[str], steps: int) -> list[str]:
    per_window = int(HARMONY_WINDOW / STEP)
    return [chords[min(s // per_window, len(chords) - 1)] for s in range(steps)]


def piece_strikes(piece: Piece) -> tuple[dict[int, Strike], list[str]]:
    """The strikes of the piece's accompaniment by sixteenth step, and each step's chord.

    The chords run from the piece's start to the end of its last strike's bar. A swung piece
    is straightened first (lofi.encoding.swing).
    """
    return _strikes(straight_piece(piece))


def _strikes(piece: Piece, notes: list[Note] | None = None) -> tuple[dict[int, Strike], list[str]]:
    """`piece_strikes` of a piece already straightened (its `comp_notes`, if known)."""
    by_step: dict[int, list[Note]] = {}
    for n in comp_notes(piece) if notes is None else notes:
        by_step.setdefault(round(n.onset / STEP), []).append(n)
    chords = harmony(piece)
    if not by_step or not chords:
        return {}, []
    steps = (max(by_step) // COMP_STEPS_PER_BAR + 1) * COMP_STEPS_PER_BAR
    step_chords = _step_chords(chords, steps)
    return {
        s: strike_of(notes, root_of(step_chords[s])) for s, notes in sorted(by_step.items())
    }, step_chords


def learn_voicings(pieces: Iterable[Piece], size: int = COMP_VOICINGS) -> tuple[str, ...]:
    """The `size` most common voicings of the pieces' accompaniment (ties by name)."""
    counts: Counter[str] = Counter()
    for piece in pieces:
        counts.update(v for v, _, _, _ in piece_strikes(piece)[0].values())
    return tuple(v for v, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size])


@functools.lru_cache(maxsize=65536)
def nearest_voicing(token: str, voicings: tuple[str, ...]) -> str:
    """The voicing of the vocabulary nearest to `token`.

    Nearest is the closest note count (a strike keeps its fullness: ranked after the pitch
    classes, the vocabulary thinned the corpus' strikes by 0.3 notes), then the most shared
    pitch classes (Jaccard), then the fewest semitones in one and not the other (spread and
    inversion).
    """
    if token in voicings:
        return token
    want = check_voicing(token)
    classes = {i % 12 for i in want}

    def distance(candidate: str) -> tuple[int, float, int]:
        have = check_voicing(candidate)
        other = {i % 12 for i in have}
        jaccard = len(classes & other) / len(classes | other)
        return abs(len(have) - len(want)), -jaccard, len(set(have) ^ set(want))

    return min(voicings, key=distance)


def ceiling_inputs(
    vocab: Vocabulary, melody: Iterable[Note], step_chords: list[str], first: int = 0
) -> np.ndarray | None:
    """The ceiling input of each step from `first` (None if `vocab` has no such input).

    A step's ceiling is the highest melody pitch sounding there, in semitones above the root
    of the step's chord in MIDI octave -1 (the root's pitch class), clipped into the
    vocabulary's range. Where the melody rests (a song's intro has no tune), the ceiling is
    its next note's pitch, after its last note the last one; NONE only without any melody.
    Melody and chords are in the same key.
    """
    if CEILING not in vocab.inputs:
        return None
    steps = len(step_chords)
    top = np.full(steps, -1, np.int64)
    for n in melody:
        a = max(round(n.onset / STEP), 0)
        b = min(max(round((n.onset + n.duration) / STEP), a + 1), steps)
        top[a:b] = np.maximum(top[a:b], n.pitch)
    sounding = np.flatnonzero(top >= 0)
    out = np.full(max(steps - first, 0), CEILING_TOKENS.index(NONE), np.int32)
    if sounding.size == 0:
        return out
    nearest = sounding[np.minimum(np.searchsorted(sounding, np.arange(steps)), sounding.size - 1)]
    low, high = int(CEILING_TOKENS[1]), int(CEILING_TOKENS[-1])
    for s in range(first, steps):
        pitch = top[nearest[s]] - root_of(step_chords[s])
        out[s - first] = 1 + int(np.clip(pitch, low, high)) - low
    return out


def encode_comping(piece: Piece, vocab: Vocabulary) -> Sequence:
    """Token indices per sixteenth, from the bar of the first strike to that of the last.

    The accompaniment's density bin and the melody's ceiling above each step's root are
    inputs at every step (lofi.encoding.density, `ceiling_inputs`).
    """
    straight = straight_piece(piece)
    comp = comp_notes(straight)
    strikes, step_chords = _strikes(straight, comp)
    if not strikes:
        return Sequence({}, {"voicing": np.zeros(0, np.int32)})
    first = min(strikes) // COMP_STEPS_PER_BAR * COMP_STEPS_PER_BAR
    voicings = vocab.inputs["voicing"][2:]
    relative = is_relative(vocab.inputs["velocity"])
    reference = reference_level(strike[3] for strike in strikes.values())
    rows = []
    for s in range(first, len(step_chords)):
        if s not in strikes:
            rows.append((1, 1, 1, 1))
            continue
        voicing, octave, beats, velocity = strikes[s]
        rows.append(
            (
                vocab.index("voicing", nearest_voicing(voicing, voicings)),
                vocab.index("octave", str(octave)),
                2 + duration_bin(beats),
                2 + velocity_slot(velocity, reference, relative),
            )
        )
    table = np.array(rows, np.int32)
    targets = {name: table[:, i] for i, name in enumerate(vocab.outputs)}
    inputs = {k: np.concatenate([[0], v[:-1]]).astype(np.int32) for k, v in targets.items()}
    inputs.update(chord_inputs(vocab, step_chords[first:]))
    inputs["position"] = (np.arange(first, len(step_chords)) % COMP_STEPS_PER_BAR).astype(np.int32)
    shift = key_shift(straight.key)
    tune = (Note(n.pitch + shift, n.onset, n.duration, n.velocity) for n in straight.melody)
    ceiling = ceiling_inputs(vocab, tune, step_chords, first)
    if ceiling is not None:
        inputs[CEILING] = ceiling
    if BAR_DENSITY in vocab.inputs:
        bins = bar_bins(comp, len(step_chords) // COMP_STEPS_PER_BAR)
        inputs[BAR_DENSITY] = bar_density_steps(bins[first // COMP_STEPS_PER_BAR :], len(table))
    return with_density(Sequence(inputs, targets), vocab, comp)


def step_notes(vocab: Vocabulary, tokens: dict[str, int], start: float, root: int) -> list[Note]:
    """The notes of one step's output tokens; none for the no-strike token.

    They start at `start` beats, over a chord whose root is `root`, in the normalised key.
    """
    voicing = vocab.inputs["voicing"][tokens["voicing"]]
    if tokens["voicing"] < 2 or min(tokens["octave"], tokens["duration"], tokens["velocity"]) < 2:
        return []
    base = 12 * (int(vocab.inputs["octave"][tokens["octave"]]) + 1) + root
    beats = DURATION_BINS[tokens["duration"] - 2]
    velocity = velocity_of(vocab.inputs["velocity"][tokens["velocity"]])
    return [Note(base + i, start, beats, velocity) for i in check_voicing(voicing)]


def decode_comping(
    targets: dict[str, np.ndarray], vocab: Vocabulary, step_chords: list[str], start: float = 0.0
) -> list[Note]:
    """Target token indices back to notes, one step per sixteenth from `start` beats."""
    notes: list[Note] = []
    for s in range(len(targets["voicing"])):
        tokens = {name: int(targets[name][s]) for name in vocab.outputs}
        notes += step_notes(vocab, tokens, start + s * STEP, root_of(step_chords[s]))
    return notes
