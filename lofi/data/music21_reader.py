"""Reading MusicXML (and, as the reference for the fast reader, MIDI) with music21.

music21 is imported inside the functions that need it, so importing this module stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lofi.core.types import Note

DEFAULT_TEMPO_BPM = 120.0
DEFAULT_VELOCITY = 80
_EPS = 1e-6


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


def read_score(path: Path, data: bytes) -> tuple[list[Note], float]:
    """A MIDI or MusicXML file's pitched notes (drums left out) and its tempo, by music21."""
    score = _read_midi(data) if path.suffix.lower() in (".mid", ".midi") else _read_xml(path)
    return _notes(score), _tempo(score)
