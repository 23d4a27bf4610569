"""A user's loop: its notes kept note for note in whole bars, its key, tempo and chords.

A loop is one part of a track (the chords or the melody) that the style's models compose
around. Its chords per beat are the same HMM analysis the models learned from
(`lofi.encoding.tokens.harmony`), so the melody hears the loop's chords as in training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.errors import CorpusError
from lofi.core.settings import GENERATION, LIMITS
from lofi.core.types import Key, Note, Piece
from lofi.data.analysis import beat_spans, find_key, skyline
from lofi.data.loop_file import read_loop_file
from lofi.encoding.chord_inference import infer_chords
from lofi.encoding.tokens import key_shift

LOOP_PARTS = ("chords", "melody")  # the part a loop plays in the track
WHOLE, PADDED, CUT = "whole", "padded", "cut"  # how the loop was fitted to whole bars
FROM_FILE, FROM_STYLE, FROM_USER = "file", "style", "user"  # where its key and tempo came from
_EPS = 1e-6


@dataclass(frozen=True)
class Loop:
    """A loop read from a file, fitted to whole 4/4 bars.

    Attributes:
        name: the file's name.
        content_hash: sha256 of the file's bytes (a recipe names the loop by it).
        notes: the pitched notes at sounding pitch from the file's first beat, cut at the
            loop's end when it was cut.
        key: the key (from the notes, or the user's).
        key_source: FROM_FILE or FROM_USER.
        bpm: the tempo (the file's, the style's when it sets none or an odd one, the user's).
        tempo_source: FROM_FILE, FROM_STYLE or FROM_USER.
        meter: the file's first time signature, (4, 4) when it sets none.
        bars: its length in 4/4 bars.
        fit: WHOLE, PADDED (silence added at its end) or CUT (notes past its end removed).
        fit_beats: how many beats were added or cut.
        chords: the vocabulary chord of each beat, key-relative (as the models learned them).
        top_line: the monophonic top line of the notes.
    """

    name: str
    content_hash: str
    notes: tuple[Note, ...]
    key: Key
    key_source: str
    bpm: float
    tempo_source: str
    meter: tuple[int, int]
    bars: int
    fit: str
    fit_beats: float
    chords: tuple[str, ...]
    top_line: tuple[Note, ...]

    @property
    def beats(self) -> float:
        """Its length in beats."""
        return float(self.bars * BEATS_PER_BAR)


def fitted(
    notes: tuple[Note, ...] | list[Note], bar_beats: float
) -> tuple[tuple[Note, ...], int, str, float]:
    """The notes in whole bars: (notes, 4/4 bars, fit, beats added or cut).

    The end is the bar line nearest to the last note's end in the file's own bars; notes
    past it are cut (a release ringing over the bar line), and a loop short of it is padded.
    A length that is then no whole number of 4/4 bars is padded to the next 4/4 bar.
    """
    length = max(n.end for n in notes)
    own_bars = max(1, round(length / bar_beats))
    end = own_bars * bar_beats
    kept = tuple(
        n if n.end <= end + _EPS else Note(n.pitch, n.onset, round(end - n.onset, 6), n.velocity)
        for n in notes
        if n.onset < end - _EPS
    )
    bars = math.ceil(end / BEATS_PER_BAR - _EPS)
    if length > end + _EPS:
        return kept, bars, CUT, round(length - end, 6)
    padding = bars * BEATS_PER_BAR - length
    return kept, bars, (PADDED if padding > _EPS else WHOLE), round(max(padding, 0.0), 6)


def loop_chords(notes: tuple[Note, ...], key: Key, beats: float) -> tuple[str, ...]:
    """The vocabulary chord of each beat, key-relative, by the HMM training uses."""
    return tuple(infer_chords(beat_spans(notes, beats), key_shift(key), key.mode == "minor"))


def read_loop(
    path: Path | str,
    key: Key | None = None,
    bpm: float | None = None,
    style_bpm: float = GENERATION.bpm,
) -> Loop:
    """Reads a .mid or MusicXML file as a loop (parsed in a limited child).

    Args:
        path: the file.
        key: the user's key, instead of the one found in the notes.
        bpm: the user's tempo, instead of the file's.
        style_bpm: the tempo for a file that sets none, or one outside the styles' range.

    Raises:
        CorpusError: one short reason, for a file that cannot be a loop (empty, drums only,
            lasting no time, too long, damaged).
    """
    path = Path(path)
    read = read_loop_file(path)
    return loop_of_piece(read.piece, read.meter, read.tempo_bpm, key, bpm, style_bpm, path)


def loop_of_piece(
    piece: Piece,
    meter: tuple[int, int] | None = None,
    tempo_bpm: float | None = None,
    key: Key | None = None,
    bpm: float | None = None,
    style_bpm: float = GENERATION.bpm,
    path: Path | None = None,
) -> Loop:
    """A parsed piece as a loop (`read_loop` after reading; evaluate's held-out pieces).

    Args:
        piece: the parsed notes.
        meter: the file's first time signature (None: 4/4).
        tempo_bpm: the tempo the file sets (None: none).
        key: the user's key (None: found in the notes).
        bpm: the user's tempo (None: the file's, else `style_bpm`).
        style_bpm: the tempo for a file that sets none, or an odd one.
        path: the file, named in errors.

    Raises:
        CorpusError: notes that last no time, or a loop too long.
    """
    where = path or Path(piece.name)
    notes = tuple(n for n in piece.notes if n.duration > _EPS)
    if not notes:
        raise CorpusError(where, "its notes last no time; a loop needs notes that sound")
    if len(notes) > LIMITS.loop_notes:
        raise CorpusError(where, f"{len(notes)} notes; a loop may hold {LIMITS.loop_notes}")
    numerator, denominator = meter or (BEATS_PER_BAR, 4)
    bar_beats = numerator * 4 / denominator
    length = max(n.end for n in notes)
    if length / BEATS_PER_BAR > LIMITS.loop_bars + 1:
        raise CorpusError(
            where, f"it lasts {length / BEATS_PER_BAR:.0f} bars; a loop may last {LIMITS.loop_bars}"
        )
    kept, bars, fit, fit_beats = fitted(notes, bar_beats)
    if bars > LIMITS.loop_bars:
        raise CorpusError(where, f"it lasts {bars} bars; a loop may last {LIMITS.loop_bars}")
    if bpm is not None:
        tempo, tempo_source = float(bpm), FROM_USER
    elif tempo_bpm is not None and tempo_bpm in GENERATION.bpm_range:
        tempo, tempo_source = round(float(tempo_bpm), 2), FROM_FILE
    else:
        tempo, tempo_source = float(style_bpm), FROM_STYLE
    found = key or find_key(kept)
    return Loop(
        name=where.name,
        content_hash=piece.content_hash,
        notes=kept,
        key=found,
        key_source=FROM_FILE if key is None else FROM_USER,
        bpm=tempo,
        tempo_source=tempo_source,
        meter=(numerator, denominator),
        bars=bars,
        fit=fit,
        fit_beats=fit_beats,
        chords=loop_chords(kept, found, bars * BEATS_PER_BAR),
        top_line=skyline(kept),
    )


def retuned(loop: Loop, key: Key | None = None, bpm: float | None = None) -> Loop:
    """The loop at the user's key and tempo, as `read_loop` with them reads it."""
    if key is not None and key != loop.key:
        chords = loop_chords(loop.notes, key, loop.beats)
        loop = replace(loop, key=key, key_source=FROM_USER, chords=chords)
    if bpm is not None and float(bpm) != loop.bpm:
        loop = replace(loop, bpm=float(bpm), tempo_source=FROM_USER)
    return loop
