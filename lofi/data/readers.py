"""Score files to Pieces: the checks every file passes, then the reader for its format.

MIDI goes through the fast mido reader; MusicXML through music21. `parse_file` is a plain
function of a path (no globals, no pools), so it can run in any worker or sandboxed child.
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

from lofi.core.errors import CorpusError
from lofi.core.settings import LIMITS
from lofi.core.types import Note, Piece
from lofi.data.analysis import build_piece

MIDI_SUFFIXES = (".mid", ".midi")
XML_SUFFIXES = (".mxl", ".xml", ".musicxml")
SUFFIXES = MIDI_SUFFIXES + XML_SUFFIXES
Reader = Callable[[Path, bytes], tuple[list[Note], float]]


def check_midi_header(path: Path, data: bytes) -> None:
    """Refuses (CorpusError) anything but a type-0/1 MIDI file with 1 to the limit of tracks."""
    if not data.startswith(b"MThd") or len(data) < 14:
        raise CorpusError(path, "not a MIDI file (no MThd header)")
    (length, fmt, ntracks, _division) = struct.unpack(">IHHH", data[4:14])
    if length < 6:
        raise CorpusError(path, "broken MIDI header")
    if fmt == 2:
        raise CorpusError(path, "type-2 MIDI (independent sequences) is not supported")
    if fmt > 2:
        raise CorpusError(path, f"unknown MIDI format {fmt}")
    if ntracks == 0 or b"MTrk" not in data[14:]:
        raise CorpusError(path, "MIDI file has no tracks")
    if ntracks > LIMITS.midi_tracks:
        raise CorpusError(path, f"{ntracks} tracks; the limit is {LIMITS.midi_tracks}")


def _check_mxl(path: Path, data: bytes) -> None:
    """An .mxl archive whose members unpack to a bounded size (checked while unpacking)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > LIMITS.mxl_unpacked_bytes or len(infos) > 64:
                raise CorpusError(path, "the compressed MusicXML unpacks to too much")
            measures = 0
            for info in infos:
                total = 0
                with archive.open(info) as member:
                    while block := member.read(1 << 16):
                        total += len(block)
                        measures += _measure_tags(block)  # a tag split by a block: rare
                        if total > LIMITS.mxl_unpacked_bytes:
                            raise CorpusError(path, "the compressed MusicXML unpacks to too much")
    except CorpusError:
        raise
    except Exception as exc:  # zipfile, zlib, lzma and bz2 raise many kinds on damage
        raise CorpusError(path, f"a damaged compressed MusicXML ({type(exc).__name__})") from exc
    _check_measures(path, measures)


def _measure_tags(data: bytes) -> int:
    return data.count(b"<measure ") + data.count(b"<measure>")


def _check_measures(path: Path, measures: int) -> None:
    if measures > LIMITS.score_measures:
        raise CorpusError(path, f"{measures} measures; the limit is {LIMITS.score_measures}")


def check_xml(path: Path, data: bytes) -> None:
    """Refuses (CorpusError) files that are no MusicXML score or exceed the measure limit."""
    if path.suffix.lower() == ".mxl":
        if not data.startswith(b"PK"):
            raise CorpusError(path, "not a compressed MusicXML (.mxl) file")
        _check_mxl(path, data)
    elif b"<score-partwise" not in data[:4096] and b"<score-timewise" not in data[:4096]:
        raise CorpusError(path, "not a MusicXML score")
    else:
        _check_measures(path, _measure_tags(data))


def check_notes(path: Path, notes: list[Note]) -> None:
    """Bounds what a damaged or hostile file can ask of the analysis after it."""
    if len(notes) > LIMITS.piece_notes:
        raise CorpusError(path, f"{len(notes)} notes; the limit is {LIMITS.piece_notes}")
    end = max(n.onset + n.duration for n in notes)
    if not end <= LIMITS.piece_beats:  # also refuses NaN
        raise CorpusError(
            path, f"a note lasts until beat {end:.0f}; pieces may last {LIMITS.piece_beats} beats"
        )


def read_checked(path: Path) -> bytes:
    """The file's bytes once its type, size and header pass.

    Raises:
        CorpusError: with a short reason, for a file that cannot be used.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CorpusError(path, f"unsupported file type {suffix or '(none)'}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CorpusError(path, f"cannot read: {exc.strerror}") from exc
    if not path.is_file():
        raise CorpusError(path, "not a file")
    if size == 0:
        raise CorpusError(path, "empty file")
    if size > LIMITS.midi_bytes:
        raise CorpusError(
            path, f"too large ({size // 1024} KB; the limit is {LIMITS.midi_bytes // 1024} KB)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(path, f"cannot read: {exc.strerror}") from exc
    if suffix in MIDI_SUFFIXES:
        check_midi_header(path, data)
    else:
        check_xml(path, data)
    return data


def _parse(path: Path, reader: Reader) -> Piece:
    data = read_checked(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # music21 warns about unknown instruments etc.
            notes, tempo_bpm = reader(path, data)
            if not notes:
                raise CorpusError(path, "no pitched notes")
            check_notes(path, notes)
            return build_piece(path.name, data, notes, tempo_bpm)
    except CorpusError:
        raise
    except Exception as exc:  # the readers raise many kinds on damaged files
        text = str(exc).strip()
        reason = text.splitlines()[0][:160] if text else type(exc).__name__
        raise CorpusError(path, f"unreadable or damaged ({reason})") from exc


def parse_file(path: Path | str) -> Piece:
    """Parses one .mid/.midi/.mxl/.xml/.musicxml file: MIDI with mido, MusicXML with music21.

    Raises:
        CorpusError: with a short reason, for every file that cannot be used.
    """
    from lofi.data.midi_reader import read_midi
    from lofi.data.music21_reader import read_score

    path = Path(path)
    return _parse(path, read_midi if path.suffix.lower() in MIDI_SUFFIXES else read_score)


def parse_file_music21(path: Path | str) -> Piece:
    """Parses any score file with music21 alone (the reference the fast reader must match).

    Raises:
        CorpusError: with a short reason, for every file that cannot be used.
    """
    from lofi.data.music21_reader import read_score

    return _parse(Path(path), read_score)
