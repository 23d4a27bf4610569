"""A user's loop file read in a limited child: its Piece, the tempo it marks and its meter.

The corpus readers give every piece a tempo (120 BPM when the file sets none); a loop needs
to know whether the file set one at all, and the bar length its time signature gives, so
those are read here beside the notes, from the same bytes, in the same sandboxed child.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from lofi.core.errors import CorpusError
from lofi.core.sandbox import Sandbox, SandboxError
from lofi.core.types import Piece
from lofi.data.corpus import parse_limits
from lofi.data.readers import MIDI_SUFFIXES, parse_file, read_checked


@dataclass(frozen=True)
class LoopFile:
    """What a loop file says: its notes (as a Piece), its first tempo and first meter."""

    piece: Piece
    tempo_bpm: float | None  # None: the file sets no tempo
    meter: tuple[int, int] | None  # (numerator, denominator); None: the file sets none


def _midi_marks(data: bytes) -> tuple[float | None, tuple[int, int] | None]:
    import mido

    from lofi.data.midi_reader import tolerant_key_signatures

    tolerant_key_signatures()
    midi = mido.MidiFile(file=io.BytesIO(data))
    tempos: list[tuple[int, float]] = []
    meters: list[tuple[int, tuple[int, int]]] = []
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, mido.tempo2bpm(msg.tempo)))
            elif msg.type == "time_signature":
                meters.append((tick, (msg.numerator, msg.denominator)))
    tempo = min(tempos, key=lambda t: t[0])[1] if tempos else None
    meter = min(meters, key=lambda m: m[0])[1] if meters else None
    return tempo, meter


def _xml_marks(path: Path) -> tuple[float | None, tuple[int, int] | None]:
    from music21 import converter, meter, tempo

    score = converter.parse(path)
    marks = list(score.recurse().getElementsByClass(tempo.MetronomeMark))
    signatures = list(score.recurse().getElementsByClass(meter.TimeSignature))
    bpm = marks[0].getQuarterBPM() if marks else None
    first = (signatures[0].numerator, signatures[0].denominator) if signatures else None
    return (float(bpm) if bpm else None), first


def _read(path: Path) -> LoopFile:
    """Runs in the child: the notes by the corpus readers, the marks by mido or music21."""
    piece = parse_file(path)
    try:
        if path.suffix.lower() in MIDI_SUFFIXES:
            tempo, meter = _midi_marks(path.read_bytes())
        else:
            tempo, meter = _xml_marks(path)
    except Exception as exc:  # the notes were read: a damaged mark is the file's fault
        raise CorpusError(
            path, f"unreadable tempo or time signature ({type(exc).__name__})"
        ) from None
    if meter is not None and not re.fullmatch(r"\d{1,2}/(1|2|4|8|16|32)", f"{meter[0]}/{meter[1]}"):
        raise CorpusError(path, f"an unusable time signature {meter[0]}/{meter[1]}")
    return LoopFile(piece, tempo, meter)


def read_loop_file(path: Path | str) -> LoopFile:
    """The loop file's notes, tempo and meter, parsed in a child with the corpus' limits.

    Raises:
        CorpusError: with one short reason for a file that cannot be used.
    """
    path = Path(path)
    read_checked(path)  # type, size and header, before a child starts
    try:
        with Sandbox(parse_limits(), 1) as sandbox:
            result: LoopFile = sandbox.run(_read, path)
    except SandboxError as exc:
        raise CorpusError(path, f"reading it failed ({exc})") from None
    return result
