"""Key-normalised windows (1, 2 or 4 bars) of the pitched parts as fixed feature vectors.

Pieces and generated Songs are both seen as `Material` (pitched notes, melody, chords), so one
feature function measures the corpus and the generator alike. Drums are left out, and a pitch
struck at once by two tracks (an instrument doubling another in unison) is one note: a song
has one instrument per part, and a listener hears the doubled pitch once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import Key, Note, Piece, Song
from lofi.data.analysis import beat_spans
from lofi.data.window_features import (
    FEATURE_NAMES as FEATURE_NAMES,  # the pages read the names here
)
from lofi.data.window_features import (
    WINDOW_BARS,
    note_windows,
    top_line,
    unisons_merged,
)
from lofi.encoding.chord_inference import infer_chords
from lofi.encoding.tokens import HARMONY_WINDOW, harmony, key_shift


@dataclass(frozen=True)
class Material:
    """What the evaluation sees of a piece or a song.

    Attributes:
        name: groups the windows of one piece or song (cross-validation never splits it).
        key: the key; features move it to C major / A minor.
        notes: every pitched note at its sounding pitch.
        melody: the monophonic melody (the piece's top line, or the song's melody part).
        beats: length in beats.
        chords: (onset, beats, symbol) with key-relative vocabulary symbols.
        heard: the chords as the per-beat analysis hears them in the notes: a piece's
            `chords`; a song's own notes analysed the same way (its `chords` are the ones
            its parts were written over).
    """

    name: str
    key: Key
    notes: tuple[Note, ...]
    melody: tuple[Note, ...]
    beats: float
    chords: tuple[tuple[float, float, str], ...]
    heard: tuple[tuple[float, float, str], ...] = ()


def from_piece(piece: Piece) -> Material:
    """A corpus piece; its chords are the same per-beat analysis the chord model learns."""
    chords = tuple(
        (float(i * HARMONY_WINDOW), float(HARMONY_WINDOW), sym)
        for i, sym in enumerate(harmony(piece))
    )
    return Material(
        piece.content_hash,
        piece.key,
        unisons_merged(piece.notes),
        piece.melody,
        piece.length_beats,
        chords,
        chords,
    )


def from_song(song: Song, name: str, parts: Iterable[str] | None = None) -> Material:
    """A generated song; without a part named melody, its top line stands in.

    Args:
        song: the song.
        name: groups its windows.
        parts: the pitched parts to see (compare like with like: a piano corpus has no
            separate bass); None sees every pitched part.
    """
    wanted = None if parts is None else set(parts)
    notes = unisons_merged(
        n
        for p in song.parts
        if not p.is_drum and (wanted is None or p.name in wanted)
        for n in p.notes
    )
    try:
        if wanted is not None and "melody" not in wanted:
            raise KeyError("melody")
        melody = song.part("melody").notes
    except KeyError:
        melody = top_line(notes)
    beats = song.bars * BEATS_PER_BAR
    analysed = infer_chords(beat_spans(notes, beats), key_shift(song.key), song.key.mode == "minor")
    heard = tuple((float(i), 1.0, sym) for i, sym in enumerate(analysed))
    return Material(name, song.key, notes, melody, beats, song.chords, heard)


def material_windows(material: Material, bars: int = WINDOW_BARS) -> np.ndarray:
    """One feature row per full window of `bars` bars holding at least min_notes notes."""
    return note_windows(material.notes, material.beats, key_shift(material.key), bars)


def feature_table(
    materials: Iterable[Material], bars: int = WINDOW_BARS
) -> tuple[np.ndarray, np.ndarray]:
    """Stacked window features of many pieces or songs and the name each row came from."""
    blocks, names = [], []
    for m in materials:
        rows = material_windows(m, bars)
        blocks.append(rows)
        names += [m.name] * len(rows)
    if not blocks:
        return np.zeros((0, len(FEATURE_NAMES))), np.array([], dtype=str)
    return np.vstack(blocks), np.array(names, dtype=str)
