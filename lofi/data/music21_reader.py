"""Reading MIDI and MusicXML files with music21 into Pieces. The only music21 importer here.

music21 is imported inside the functions that need it, so importing this module stays cheap
(the UI and the corpus loader import it; the parsing itself runs in worker processes).
"""

from __future__ import annotations

import hashlib
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from lofi.core.constants import MAX_MIDI_BYTES
from lofi.core.errors import CorpusError
from lofi.core.types import ChordSpan, Key, Note, Piece

MIDI_SUFFIXES = (".mid", ".midi")
XML_SUFFIXES = (".mxl", ".xml", ".musicxml")
SUFFIXES = MIDI_SUFFIXES + XML_SUFFIXES
MIN_MELODY_NOTE = 0.25  # beats: shorter top-line fragments are dropped
DEFAULT_TEMPO_BPM = 120.0
DEFAULT_VELOCITY = 80
_EPS = 1e-6


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


def _split_by_channel(tracks: list[Any]) -> list[Any]:
    """One track per MIDI channel.

    music21 makes one part per track and merges simultaneous notes into one chord; when a
    track mixes channels (every type-0 file does) a drum hit swallows the pitched notes that
    start with it into a PercussionChord. Split tracks keep drums apart from pitched parts.
    """
    from music21.midi import DeltaTime, MidiTrack

    out: list[Any] = []
    for track in tracks:
        channels = sorted({e.channel for e in track.events if e.isNoteOn()})
        if len(channels) <= 1:
            out.append(track)
            continue
        groups: dict[int | None, list[tuple[int, Any]]] = {None: [], **{c: [] for c in channels}}
        tick = 0
        for event in track.events:
            if event.isDeltaTime():
                tick += event.time
            elif event.isChannelEvent() and event.channel in groups:
                groups[event.channel].append((tick, event))
            else:  # meta events and channels without notes
                groups[None].append((tick, event))
        for timed in groups.values():
            if not timed:
                continue
            new = MidiTrack(len(out))
            last = 0
            for tick, event in timed:
                new.events.append(DeltaTime(new, time=tick - last))
                event.track = new
                new.events.append(event)
                last = tick
            out.append(new)
    return out


def _read_midi(data: bytes) -> Any:
    """What `converter.parse` does for MIDI (quantized to 16ths and triplets), per channel."""
    from music21 import midi
    from music21.midi import translate

    mf = midi.MidiFile()
    mf.readstr(data)
    mf.tracks = _split_by_channel(mf.tracks)
    return translate.midiFileToStream(mf, quantizePost=True)


def _read_xml(path: Path) -> Any:
    from music21 import converter, stream

    # forceSource: no pickles in music21's scratch folder; the corpus keeps its own cache.
    score = converter.parse(path, forceSource=True, storePickle=False)
    if isinstance(score, stream.Opus):  # several scores in one file: the first one
        score = score.scores.first()
    return score


def _is_percussion(part: Any) -> bool:
    from music21 import instrument

    for inst in part.getInstruments(searchActiveSite=False, returnDefault=False, recurse=True):
        if isinstance(inst, instrument.UnpitchedPercussion) or inst.midiChannel == 9:
            return True
    return False


def _velocity(element: Any, fallback: int) -> int:
    vel = element.volume.velocity if element.hasVolumeInformation() else None
    return int(vel) if vel is not None else fallback


def _part_notes(part: Any) -> list[Note]:
    """The part's pitched notes; chords become notes and tied notes become one note."""
    from music21 import chord, note

    notes: list[Note] = []
    tied: dict[int, int] = {}  # pitch -> index in notes of a note whose tie goes on
    for el in part.flatten().notes:
        if isinstance(el, chord.Chord):  # a PercussionChord is no Chord
            members = list(el.notes)
        elif isinstance(el, note.Note):  # note.Unpitched is no Note
            members = [el]
        else:
            continue
        onset = float(el.offset)
        dur = float(el.quarterLength)
        if dur <= 0:  # grace notes
            continue
        outer = _velocity(el, DEFAULT_VELOCITY)
        for n in members:
            pitch = int(n.pitch.midi)
            if not 0 <= pitch < 128:
                continue
            mark = n.tie or el.tie
            tie = mark.type if mark is not None else None
            i = tied.get(pitch)
            if tie in ("stop", "continue") and i is not None and abs(notes[i].end - onset) < _EPS:
                old = notes[i]
                notes[i] = Note(pitch, old.onset, onset + dur - old.onset, old.velocity)
                if tie == "stop":
                    del tied[pitch]
                continue
            notes.append(Note(pitch, onset, dur, _velocity(n, outer)))
            if tie in ("start", "continue"):
                tied[pitch] = len(notes) - 1
            else:
                tied.pop(pitch, None)
    return notes


def _notes(score: Any) -> list[Note]:
    parts = list(score.parts) or [score]
    notes = [n for part in parts if not _is_percussion(part) for n in _part_notes(part)]
    notes.sort(key=lambda n: (n.onset, n.pitch, n.duration))
    return notes


def _tempo(score: Any) -> float:
    from music21 import tempo

    for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):
        bpm = mark.getQuarterBPM()
        if bpm and 20 <= bpm <= 400:
            return float(bpm)
    return DEFAULT_TEMPO_BPM


def find_key(notes: list[Note]) -> Key:
    """music21's default key finder (`analyze('key')`: Aarden-Essen profiles) in numpy.

    Correlates the duration-weighted pitch-class histogram with the 24 rotated profiles,
    exactly as music21 does, without building music21 objects for every note again.
    """
    from music21.analysis.discrete import AardenEssen

    analysis = AardenEssen()
    hist = np.zeros(12)
    np.add.at(hist, np.array([n.pitch % 12 for n in notes]), [n.duration for n in notes])
    rows = np.arange(12)[:, None]
    best: tuple[float, int, str] = (-2.0, 0, "major")
    for mode in ("major", "minor"):
        profile = np.asarray(analysis.getWeights(mode), dtype=float)
        rotated = profile[(np.arange(12)[None, :] - rows) % 12]  # row i: profile of tonic i
        a = rotated - profile.mean()
        b = hist - hist.mean()
        denom = np.sqrt((a**2).sum(axis=1) * (b**2).sum())
        corr = np.where(denom > 0, (a @ b) / np.where(denom > 0, denom, 1.0), 0.0)
        tonic = int(np.argmax(corr))
        if corr[tonic] > best[0]:
            best = (float(corr[tonic]), tonic, mode)
    return Key(best[1], best[2])


def skyline(notes: list[Note]) -> tuple[Note, ...]:
    """A monophonic top line: at each onset the highest note sounding.

    A note that starts below the line's still-sounding note is skipped; otherwise it cuts
    the line's note where it starts. Fragments shorter than a 16th are dropped.
    """
    by_onset: dict[float, Note] = {}
    for n in notes:
        top = by_onset.get(n.onset)
        if top is None or n.pitch > top.pitch:
            by_onset[n.onset] = n
    line: list[Note] = []
    for t in sorted(by_onset):
        n = by_onset[t]
        if line and line[-1].end > t + _EPS:
            if line[-1].pitch > n.pitch:
                continue  # the held top note goes on
            last = line[-1]
            line[-1] = Note(last.pitch, last.onset, t - last.onset, last.velocity)
        line.append(n)
    return tuple(n for n in line if n.duration >= MIN_MELODY_NOTE - _EPS)


def beat_spans(notes: list[Note], length_beats: float) -> tuple[ChordSpan, ...]:
    """Per beat: how long each pitch class sounds in it, and the lowest pitch class."""
    n_beats = int(np.ceil(length_beats - _EPS))
    if n_beats <= 0 or not notes:
        return ()
    onset = np.array([n.onset for n in notes])
    end = np.array([n.end for n in notes])
    pitch = np.array([n.pitch for n in notes])
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
    np.add.at(weights, (beat, pitch[which] % 12), overlap)
    lowest = np.full(n_beats, 999)
    np.minimum.at(lowest, beat, pitch[which])
    rounded = np.round(weights, 4).tolist()
    return tuple(
        ChordSpan(
            float(b), 1.0, tuple(rounded[b]), int(lowest[b] % 12) if lowest[b] < 999 else None
        )
        for b in range(n_beats)
    )


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CorpusError(path, f"cannot read: {exc.strerror}") from exc
    if not path.is_file():
        raise CorpusError(path, "not a file")
    if size == 0:
        raise CorpusError(path, "empty file")
    if size > MAX_MIDI_BYTES:
        raise CorpusError(
            path, f"too large ({size // 1024} KB; the limit is {MAX_MIDI_BYTES // 1024} KB)"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CorpusError(path, f"cannot read: {exc.strerror}") from exc


def parse_file(path: Path) -> Piece:
    """Parses one .mid/.midi/.mxl/.xml/.musicxml file.

    Raises:
        CorpusError: with a short reason, for every file that cannot be used.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CorpusError(path, f"unsupported file type {suffix or '(none)'}")
    data = _read(path)
    if suffix in MIDI_SUFFIXES:
        _check_midi_header(path, data)
    else:
        _check_xml(path, data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # music21 warns about unknown instruments etc.
            score = _read_midi(data) if suffix in MIDI_SUFFIXES else _read_xml(path)
            notes = _notes(score)
            if not notes:
                raise CorpusError(path, "no pitched notes")
            tempo_bpm = _tempo(score)
            key = find_key(notes)
    except CorpusError:
        raise
    except Exception as exc:  # music21 raises many kinds on damaged files
        text = str(exc).strip()
        reason = text.splitlines()[0][:160] if text else type(exc).__name__
        raise CorpusError(path, f"unreadable or damaged ({reason})") from exc
    length = max(n.end for n in notes)
    return Piece(
        name=path.name,
        content_hash=hashlib.sha256(data).hexdigest(),
        key=key,
        tempo_bpm=tempo_bpm,
        notes=tuple(notes),
        melody=skyline(notes),
        beats=beat_spans(notes, length),
        length_beats=float(length),
    )
