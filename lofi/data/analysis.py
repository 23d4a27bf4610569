"""From a score's notes to a Piece: key, monophonic top line and per-beat pitch classes.

Shared by every reader. Only the key finder touches music21, and only for its profile weights:
the analysis itself runs on a 12-bin pitch-class histogram in numpy.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

from lofi.core.types import ChordSpan, Key, Note, Piece

MIN_MELODY_NOTE = 0.25  # beats: shorter top-line fragments are dropped
_EPS = 1e-6


@functools.lru_cache(maxsize=1)
def _key_profiles() -> tuple[np.ndarray, np.ndarray]:
    """music21's Aarden-Essen major and minor profiles (the default of `analyze('key')`)."""
    from music21.analysis.discrete import AardenEssen

    analysis = AardenEssen()
    return (
        np.asarray(analysis.getWeights("major"), dtype=float),
        np.asarray(analysis.getWeights("minor"), dtype=float),
    )


def pitch_class_histogram(notes: list[Note] | tuple[Note, ...]) -> np.ndarray:
    """How many beats each pitch class sounds, summed over the notes."""
    hist = np.zeros(12)
    if notes:
        pcs = np.fromiter((n.pitch % 12 for n in notes), np.int64, len(notes))
        np.add.at(hist, pcs, np.fromiter((n.duration for n in notes), float, len(notes)))
    return hist


def key_of_histogram(hist: np.ndarray) -> Key:
    """music21's key finder on a compact summary: the 12-bin duration-weighted histogram.

    Correlates the histogram with the 24 rotated profiles exactly as `analyze('key')` does,
    without building music21 objects for every note.
    """
    rows = np.arange(12)[:, None]
    best: tuple[float, int, str] = (-2.0, 0, "major")
    for mode, profile in zip(("major", "minor"), _key_profiles(), strict=True):
        rotated = profile[(np.arange(12)[None, :] - rows) % 12]  # row i: profile of tonic i
        a = rotated - profile.mean()
        b = hist - hist.mean()
        denom = np.sqrt((a**2).sum(axis=1) * (b**2).sum())
        corr = np.where(denom > 0, (a @ b) / np.where(denom > 0, denom, 1.0), 0.0)
        tonic = int(np.argmax(corr))
        if corr[tonic] > best[0]:
            best = (float(corr[tonic]), tonic, mode)
    return Key(best[1], best[2])


def find_key(notes: list[Note] | tuple[Note, ...]) -> Key:
    """The key whose profile best matches the notes' duration-weighted pitch classes."""
    return key_of_histogram(pitch_class_histogram(notes))


def skyline(notes: list[Note] | tuple[Note, ...], lowest: bool = False) -> tuple[Note, ...]:
    """A monophonic top line (bottom line if `lowest`): the highest (lowest) note per onset.

    A note that starts below (above) the line's still-sounding note is skipped; otherwise it
    cuts the line's note where it starts. Fragments shorter than a 16th are dropped.
    """
    sign = -1 if lowest else 1
    by_onset: dict[float, Note] = {}
    for n in notes:
        top = by_onset.get(n.onset)
        if top is None or sign * n.pitch > sign * top.pitch:
            by_onset[n.onset] = n
    line: list[Note] = []
    for t in sorted(by_onset):
        n = by_onset[t]
        if line and line[-1].end > t + _EPS:
            if sign * line[-1].pitch > sign * n.pitch:
                continue  # the held top note goes on
            last = line[-1]
            line[-1] = Note(last.pitch, last.onset, t - last.onset, last.velocity)
        line.append(n)
    return tuple(n for n in line if n.duration >= MIN_MELODY_NOTE - _EPS)


def beat_spans(notes: list[Note] | tuple[Note, ...], length_beats: float) -> tuple[ChordSpan, ...]:
    """Per beat: how long and how loud each pitch class sounds in it, and the lowest pitch class.

    A pitch class weighs the beats it sounds for times its velocity over 127, so a soft
    grace note counts less than a struck chord tone.
    """
    n_beats = int(np.ceil(length_beats - _EPS))
    if n_beats <= 0 or not notes:
        return ()
    onset = np.array([n.onset for n in notes])
    end = np.array([n.end for n in notes])
    pitch = np.array([n.pitch for n in notes])
    loudness = np.array([n.velocity for n in notes]) / 127.0
    first = np.floor(onset).astype(int)
    count = np.maximum(np.ceil(end).astype(int) - first, 1)
    which = np.repeat(np.arange(len(notes)), count)  # one row per (note, beat it touches)
    beat = np.repeat(first, count) + (
        np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    )
    overlap = np.minimum(end[which], beat + 1.0) - np.maximum(onset[which], beat)
    keep = (overlap > _EPS) & (beat < n_beats)
    which, beat, overlap = which[keep], beat[keep], overlap[keep]
    weights = np.zeros((n_beats, 12))
    np.add.at(weights, (beat, pitch[which] % 12), overlap * loudness[which])
    lowest = np.full(n_beats, 999)
    np.minimum.at(lowest, beat, pitch[which])
    rounded = np.round(weights, 4).tolist()
    return tuple(
        ChordSpan(
            float(b), 1.0, tuple(rounded[b]), int(lowest[b] % 12) if lowest[b] < 999 else None
        )
        for b in range(n_beats)
    )


def build_piece(name: str, data: bytes, notes: list[Note], tempo_bpm: float) -> Piece:
    """The Piece of a file's bytes and its pitched notes (sorted by onset, pitch, duration)."""
    length = max(n.end for n in notes)
    return Piece(
        name=name,
        content_hash=hashlib.sha256(data).hexdigest(),
        key=find_key(notes),
        tempo_bpm=tempo_bpm,
        notes=tuple(notes),
        melody=skyline(notes),
        beats=beat_spans(notes, length),
        length_beats=float(length),
    )
