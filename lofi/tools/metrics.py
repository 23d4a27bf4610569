"""Symbolic music quality measures, as MusPy defines them, on the project's own types.

Plus the melody's chord-tone ratio and how much of it is copied from a training corpus.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import Key, Note, Song
from lofi.encoding.chords import NO_CHORD, symbol
from lofi.encoding.tokens import duration_bin, key_shift
from lofi.tools.features import Material

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
MUSIC_METRICS = ("pitch_class_entropy", "scale_consistency", "groove_consistency")
FRAGMENT_NOTES = 8
Fragment = tuple[tuple[int, ...], tuple[int, ...]]  # (intervals, duration bins)


def _pitched(song: Song) -> list[Note]:
    return [n for p in song.parts if not p.is_drum for n in p.notes]


def note_pitch_class_entropy(notes: Iterable[Note]) -> float:
    """Shannon entropy (bits) of the pitch-class histogram of `notes`."""
    counts = np.bincount([n.pitch % 12 for n in notes], minlength=12).astype(float)
    if counts.sum() == 0:
        return float("nan")
    p = counts / counts.sum()
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def note_scale_consistency(notes: Iterable[Note]) -> float:
    """The largest share of `notes` inside one of the 24 major and minor scales."""
    pcs = np.array([n.pitch % 12 for n in notes])
    if pcs.size == 0:
        return float("nan")
    best = 0.0
    for tonic in range(12):
        for scale in (MAJOR, MINOR):
            members = {(tonic + i) % 12 for i in scale}
            best = max(best, float(np.isin(pcs, list(members)).mean()))
    return best


def note_groove_consistency(notes: Iterable[Note], bars: int, resolution: int = 24) -> float:
    """1 − mean Hamming distance between consecutive bars' onset patterns.

    Args:
        notes: the notes whose onsets count.
        bars: how many bars to compare (onsets beyond them are left out).
        resolution: grid steps per beat.
    """
    steps = BEATS_PER_BAR * resolution
    grid = np.zeros((max(bars, 0), steps), dtype=bool)
    for n in notes:
        tick = round(n.onset * resolution)
        bar, step = divmod(tick, steps)
        if 0 <= bar < bars:
            grid[bar, step] = True
    if bars < 2:
        return float("nan")
    distance = np.logical_xor(grid[1:], grid[:-1]).sum(axis=1) / steps
    return float(1.0 - distance.mean())


def pitch_class_entropy(song: Song) -> float:
    """Shannon entropy (bits) of the pitch-class histogram of all pitched notes."""
    return note_pitch_class_entropy(_pitched(song))


def scale_consistency(song: Song) -> float:
    """The largest share of pitched notes inside one of the 24 major and minor scales."""
    return note_scale_consistency(_pitched(song))


def groove_consistency(song: Song, resolution: int = 24) -> float:
    """1 − mean Hamming distance between consecutive bars' onset patterns (all parts).

    Args:
        song: the song whose parts' onsets count, over its bars.
        resolution: grid steps per beat.
    """
    return note_groove_consistency((n for p in song.parts for n in p.notes), song.bars, resolution)


def _chord_tones(name: str) -> frozenset[int] | None:
    if name == NO_CHORD:
        return None
    try:
        return symbol(name).pitch_classes
    except KeyError:  # a symbol this vocabulary does not know is not judged
        return None


def chord_tone_counts(
    melody: Iterable[Note], chords: Sequence[tuple[float, float, str]], key: Key
) -> tuple[int, int]:
    """(chord tones, judged notes) of the melody notes on the strong beats (1 and 3).

    Args:
        melody: notes at sounding pitch.
        chords: (onset, beats, symbol) with key-relative symbols, in time order.
        key: the key the melody sounds in.
    """
    shift = key_shift(key)
    onsets = [c[0] for c in chords]
    hits = judged = 0
    for n in melody:
        beat = n.onset % BEATS_PER_BAR
        if min(abs(beat - 0.0), abs(beat - 2.0), abs(beat - 4.0)) > 0.05:
            continue
        i = bisect.bisect_right(onsets, n.onset + 0.05) - 1
        if i < 0 or n.onset >= chords[i][0] + chords[i][1]:
            continue
        tones = _chord_tones(chords[i][2])
        if tones is None:
            continue
        judged += 1
        hits += (n.pitch + shift) % 12 in tones
    return hits, judged


def fragments(melody: Iterable[Note], size: int = FRAGMENT_NOTES) -> list[Fragment]:
    """Every run of `size` consecutive melody notes as (intervals, duration bins).

    Intervals make a fragment independent of key and octave; duration bins make it
    independent of how long a note is held within its bin.
    """
    notes = sorted(melody, key=lambda n: (n.onset, -n.pitch))
    pitch = [n.pitch for n in notes]
    bins = [duration_bin(n.duration) for n in notes]
    out = []
    for i in range(len(notes) - size + 1):
        run = pitch[i : i + size]
        intervals = tuple(b - a for a, b in pairwise(run))
        out.append((intervals, tuple(bins[i : i + size])))
    return out


def copying(
    generated: Iterable[Iterable[Note]],
    training: Iterable[Iterable[Note]],
    size: int = FRAGMENT_NOTES,
) -> float:
    """The share of the generated melodies' fragments found verbatim in the training melodies.

    Args:
        generated: one melody per generated song.
        training: one melody per training piece.
        size: notes per fragment.

    Returns:
        A share in [0, 1]; NaN when no generated melody has `size` notes.
    """
    known = {f for melody in training for f in fragments(melody, size)}
    made = [f for melody in generated for f in fragments(melody, size)]
    if not made:
        return float("nan")
    return float(np.mean([f in known for f in made]))


def music_metrics(materials: Sequence[Material]) -> dict[str, float]:
    """MusPy's metrics (pitched notes) averaged over pieces; the pooled chord-tone ratios.

    `chord_tone_ratio` judges a song's melody against the chords it was written over, a
    piece's against the chords the analysis hears in it, melody included. So
    `chord_tone_ratio_heard` judges both against the chords heard in their own notes.
    """
    rows = [
        (
            note_pitch_class_entropy(m.notes),
            note_scale_consistency(m.notes),
            note_groove_consistency(m.notes, int(m.beats // 4)),
        )
        for m in materials
    ]
    means = np.nanmean(np.array(rows, dtype=float).reshape(-1, 3), axis=0) if rows else [np.nan] * 3
    result = dict(zip(MUSIC_METRICS, (float(v) for v in means), strict=True))
    for name, chords in (("chord_tone_ratio", "chords"), ("chord_tone_ratio_heard", "heard")):
        counts = np.array(
            [chord_tone_counts(m.melody, getattr(m, chords), m.key) for m in materials]
        ).reshape(-1, 2)
        hits, judged = counts.sum(axis=0)
        result[name] = float(hits / judged) if judged else float("nan")
    return result
