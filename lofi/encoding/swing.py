"""Swing: where a piece plays its off-beat eighths, learned per piece and taken out for the models.

A swung piece (in the bundled corpora about one in five, and some of the longest) plays the
second eighth of each beat late, typically on the last triplet (2/3 of the beat); on a
sixteenth grid those onsets fall between steps or on the wrong one, so the note models would
learn a swung eighth as a dotted figure. Each piece's ratio is found as the one that puts
most of its onsets on the sixteenth grid once the beat is straightened: [0, ratio) of each
beat is stretched onto its first half and [ratio, 1) onto its second. The encoders read
straightened pieces, the timing model keeps each piece's ratio as part of its feel, and a
song that draws a swung feel is swung back by the inverse map.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from lofi.core.types import Note, Piece

STRAIGHT = 0.5
# Straight to nearly dotted, in 48ths of a beat. A dotted swing (3/4) is on the sixteenth grid
# already: read as straight sixteenths, it is learned and played back as it was.
RATIOS = tuple(0.5 + i / 48 for i in range(12))
TOLERANCE = 0.1  # of a sixteenth: how near the grid a straightened onset must land
MIN_GAIN = 0.1  # the share of onsets a ratio must bring onto the grid over straight


def straightened(beats: np.ndarray, ratio: float) -> np.ndarray:
    """Times in beats with [0, ratio) of each beat mapped onto [0, 1/2) and the rest after."""
    if ratio == STRAIGHT:
        return beats
    whole = np.floor(beats)
    f = beats - whole
    moved: np.ndarray = whole + np.where(
        f < ratio, f * 0.5 / ratio, 0.5 + (f - ratio) * 0.5 / (1 - ratio)
    )
    return moved


def swung(beats: float, ratio: float) -> float:
    """The inverse of `straightened`: a straight time in beats moved to the swung beat."""
    if ratio == STRAIGHT:
        return beats
    whole = float(np.floor(beats))
    f = beats - whole
    return whole + (f * 2 * ratio if f < 0.5 else ratio + (f - 0.5) * 2 * (1 - ratio))


def _fit(beats: np.ndarray) -> tuple[int, float]:
    """How many times land on the sixteenth grid, and how far off those are in all."""
    off = np.abs(beats * 4 - np.rint(beats * 4))
    near = off <= TOLERANCE
    return int(near.sum()), float(off[near].sum())


def swing_ratio(notes: Iterable[Note]) -> float:
    """The piece's ratio: the one of RATIOS that puts most distinct onsets on the grid.

    Of ratios that do equally, the one that puts them nearest. Straight unless that ratio
    brings MIN_GAIN more of the onsets onto the grid, so a piece with a few triplets stays
    straight.
    """
    onsets = np.unique(np.round([n.onset for n in notes], 4))
    if onsets.size == 0:
        return STRAIGHT
    fits = [_fit(straightened(onsets, r)) for r in RATIOS]
    best = min(range(len(RATIOS)), key=lambda i: (-fits[i][0], fits[i][1], i))
    return RATIOS[best] if fits[best][0] - fits[0][0] >= MIN_GAIN * onsets.size else STRAIGHT


def straighten_notes(notes: Iterable[Note], ratio: float) -> tuple[Note, ...]:
    """The notes with onsets and ends straightened (see `straightened`), rounded to 1e-4."""
    notes = tuple(notes)
    if ratio == STRAIGHT or not notes:
        return notes
    onsets = straightened(np.array([n.onset for n in notes]), ratio)
    ends = straightened(np.array([n.onset + n.duration for n in notes]), ratio)
    return tuple(
        Note(n.pitch, round(float(a), 4), round(float(max(b - a, 1e-3)), 4), n.velocity)
        for n, a, b in zip(notes, onsets, ends, strict=True)
    )


def straight_piece(piece: Piece, ratio: float | None = None) -> Piece:
    """The piece with its swing taken out of notes and melody.

    The swing is `ratio` when the caller has it, else `swing_ratio` of the piece's notes.
    """
    ratio = swing_ratio(piece.notes) if ratio is None else ratio
    if ratio == STRAIGHT:
        return piece
    return replace(
        piece,
        notes=straighten_notes(piece.notes, ratio),
        melody=straighten_notes(piece.melody, ratio),
    )
