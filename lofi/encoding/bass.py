"""The bass line of a piece as melody-schema tokens over the bass register.

The line is the file's bass-program tracks (General MIDI 33–40) when it has them, else the
lowest line of all its notes below C4. Its steps are conditioned on the root and quality
family of the chord sounding (not the full symbol) and on the position in the bar.
"""

from __future__ import annotations

from lofi.core.constants import BASS_PITCH_MAX, BASS_PITCH_MIN, BASS_SPLIT
from lofi.core.types import Note, Piece
from lofi.data.analysis import skyline
from lofi.encoding.density import with_density
from lofi.encoding.swing import straight_piece, straighten_notes, swing_ratio
from lofi.encoding.tokens import Sequence, encode_line, harmony, line_steps
from lofi.encoding.vocab import Vocabulary


def bass_notes(piece: Piece, program_notes: tuple[Note, ...] = ()) -> tuple[Note, ...]:
    """The monophonic bass line of a piece.

    The lowest line of the bass-program notes, or of every note of the piece below
    BASS_SPLIT when the file has no bass program.
    """
    if program_notes:
        return skyline(program_notes, lowest=True)
    return tuple(n for n in skyline(piece.notes, lowest=True) if n.pitch < BASS_SPLIT)


def bass_steps(piece: Piece, line: tuple[Note, ...]) -> list[tuple[str, float, int, float]]:
    """The line's steps (see `line_steps`), key-normalised into the bass register."""
    return line_steps(line, piece.key, BASS_PITCH_MIN, BASS_PITCH_MAX)


def encode_bass(piece: Piece, vocab: Vocabulary, program_notes: tuple[Note, ...] = ()) -> Sequence:
    """Token indices of the piece's bass line (see `bass_notes`) over its half-bar chords.

    A swung piece is straightened first, its bass-program notes with it (lofi.encoding.swing);
    the line's density bin is an input at every step (lofi.encoding.density).
    """
    ratio = swing_ratio(piece.notes)
    line = bass_notes(straight_piece(piece, ratio), straighten_notes(program_notes, ratio))
    return with_density(encode_line(bass_steps(piece, line), harmony(piece), vocab), vocab, line)
