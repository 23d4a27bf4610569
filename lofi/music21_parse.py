"""Reading MIDI and MusicXML files with music21 into Pieces. The only music21 importer here."""

from __future__ import annotations

import hashlib
import struct
import warnings
from pathlib import Path

import numpy as np

from lofi.constants import MAX_MIDI_BYTES
from lofi.errors import CorpusError
from lofi.types import ChordSpan, Key, Note, Piece

MIDI_SUFFIXES = (".mid", ".midi")
XML_SUFFIXES = (".mxl", ".xml", ".musicxml")
SUFFIXES = MIDI_SUFFIXES + XML_SUFFIXES
MIN_MELODY_NOTE = 0.25  # beats: shorter top-line fragments are dropped


def _check_midi_header(path: Path, data: bytes) -> None:
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


def _check_xml(path: Path, data: bytes) -> None:
    if path.suffix.lower() == ".mxl":
        if not data.startswith(b"PK"):
            raise CorpusError(path, "not a compressed MusicXML (.mxl) file")
    elif b"<score-partwise" not in data[:4096] and b"<score-timewise" not in data[:4096]:
        raise CorpusError(path, "not a MusicXML score")


def _is_percussion(part: object) -> bool:
    from music21 import instrument

    for inst in part.recurse().getElementsByClass(instrument.Instrument):  # type: ignore[attr-defined]
        if isinstance(inst, instrument.UnpitchedPercussion) or inst.midiChannel == 9:
            return True
    return False


def _notes(score: object) -> list[Note]:
    from music21 import chord, note

    notes: list[Note] = []
    for part in getattr(score, "parts", [score]):
        if _is_percussion(part):
            continue
        for el in part.flatten().notes:
            if isinstance(el, chord.Chord):  # PercussionChord is no Chord
                pitches = [p.midi for p in el.pitches]
            elif isinstance(el, note.Note):
                pitches = [el.pitch.midi]
            else:
                continue  # unpitched percussion
            dur = float(el.quarterLength)
            if dur <= 0:
                continue
            vel = el.volume.velocity if el.volume.velocity is not None else 80
            onset = float(el.offset)
            notes.extend(Note(int(p), onset, dur, int(vel)) for p in pitches if 0 <= p < 128)
    notes.sort(key=lambda n: (n.onset, n.pitch))
    return notes


def _tempo(score: object) -> float:
    from music21 import tempo

    for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):  # type: ignore[attr-defined]
        bpm = mark.getQuarterBPM()
        if bpm and 20 <= bpm <= 400:
            return float(bpm)
    return 120.0


def skyline(notes: list[Note]) -> tuple[Note, ...]:
    """The highest note at each onset, cut where the next one starts."""
    by_onset: dict[float, Note] = {}
    for n in notes:
        top = by_onset.get(n.onset)
        if top is None or n.pitch > top.pitch:
            by_onset[n.onset] = n
    onsets = sorted(by_onset)
    line = []
    for i, t in enumerate(onsets):
        n = by_onset[t]
        end = min(n.end, onsets[i + 1]) if i + 1 < len(onsets) else n.end
        if end - t >= MIN_MELODY_NOTE:
            line.append(Note(n.pitch, t, end - t, n.velocity))
    return tuple(line)


def beat_spans(notes: list[Note], length_beats: float) -> tuple[ChordSpan, ...]:
    """Per beat: how long each pitch class sounds in it, and the lowest pitch class."""
    n_beats = int(np.ceil(length_beats))
    if n_beats == 0:
        return ()
    onset = np.array([n.onset for n in notes])
    end = np.array([n.end for n in notes])
    first = np.floor(onset).astype(int)
    count = np.maximum(np.ceil(end).astype(int) - first, 1)
    which = np.repeat(np.arange(len(notes)), count)  # one row per (note, beat it touches)
    beat = np.repeat(first, count) + (
        np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    )
    overlap = np.minimum(end[which], beat + 1.0) - np.maximum(onset[which], beat)
    keep = (overlap > 0) & (beat < n_beats)
    which, beat, overlap = which[keep], beat[keep], overlap[keep]
    pitch = np.array([n.pitch for n in notes])
    weights = np.zeros((n_beats, 12))
    np.add.at(weights, (beat, pitch[which] % 12), overlap)
    lowest = np.full(n_beats, 999)
    np.minimum.at(lowest, beat, pitch[which])
    return tuple(
        ChordSpan(
            float(b),
            1.0,
            tuple(np.round(weights[b], 4).tolist()),
            int(lowest[b] % 12) if lowest[b] < 999 else None,
        )
        for b in range(n_beats)
    )


def parse_file(path: Path) -> Piece:
    """Parses one file; every failure is a CorpusError with a short reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CorpusError(path, f"cannot read: {exc.strerror}") from exc
    if size == 0:
        raise CorpusError(path, "empty file")
    if size > MAX_MIDI_BYTES:
        raise CorpusError(
            path, f"too large ({size // 1024} KB; the limit is {MAX_MIDI_BYTES // 1024} KB)"
        )
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        _check_midi_header(path, data)
    elif suffix in XML_SUFFIXES:
        _check_xml(path, data)
    else:
        raise CorpusError(path, f"unsupported file type {suffix or '(none)'}")
    try:
        from music21 import converter

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # music21 warns about unknown instrument names
            score = converter.parse(path)
        notes = _notes(score)
        if not notes:
            raise CorpusError(path, "no pitched notes")
        key = score.analyze("key")
        tempo_bpm = _tempo(score)
    except CorpusError:
        raise
    except Exception as exc:  # music21 raises many kinds on damaged files
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise CorpusError(path, f"unreadable or damaged ({reason})") from exc
    length = max(n.end for n in notes)
    mode = "minor" if key.mode == "minor" else "major"
    return Piece(
        name=path.name,
        content_hash=hashlib.sha256(data).hexdigest(),
        key=Key(key.tonic.pitchClass, mode),
        tempo_bpm=tempo_bpm,
        notes=tuple(notes),
        melody=skyline(notes),
        beats=beat_spans(notes, length),
        length_beats=float(length),
    )
