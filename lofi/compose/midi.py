"""Writing a Song as a multi-track MIDI file (mido): one named track per part."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import mido

from lofi.core.constants import DRUM_CHANNEL, TICKS_PER_BEAT
from lofi.core.types import Song

PART_CHANNELS = {"chords": 0, "melody": 1, "bass": 2, "drums": DRUM_CHANNEL}
GM_PROGRAMS = {"chords": 4, "melody": 11, "bass": 33, "drums": 0}  # General MIDI defaults


def song_to_midi(song: Song) -> bytes:
    """Type-1 MIDI: a conductor track, then chords, melody, bass and drums (channel 10)."""
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name="LoFi Studio", time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(song.bpm), time=0))
    conductor.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    key_name = song.key.name.replace("-major", "").replace("-minor", "m")
    with contextlib.suppress(ValueError):  # mido knows the common spellings only
        conductor.append(mido.MetaMessage("key_signature", key=key_name, time=0))
    conductor.append(mido.MetaMessage("end_of_track", time=0))
    mid.tracks.append(conductor)
    for part in song.parts:
        channel = PART_CHANNELS.get(part.name, 3)
        events: list[tuple[int, int, mido.Message]] = []
        for note in part.notes:
            on = round(note.onset * TICKS_PER_BEAT)
            off = max(round(note.end * TICKS_PER_BEAT), on + 1)
            events.append(
                (
                    on,
                    1,
                    mido.Message(
                        "note_on", channel=channel, note=note.pitch, velocity=note.velocity
                    ),
                )
            )
            events.append(
                (off, 0, mido.Message("note_off", channel=channel, note=note.pitch, velocity=0))
            )
        events.sort(key=lambda e: (e[0], e[1], e[2].note))
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=part.name, time=0))
        if not part.is_drum:
            track.append(
                mido.Message(
                    "program_change", channel=channel, program=GM_PROGRAMS.get(part.name, 0), time=0
                )
            )
        now = 0
        for tick, _, msg in events:
            track.append(msg.copy(time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(track)
    buffer = io.BytesIO()
    mid.save(file=buffer)
    return buffer.getvalue()


def write_midi(song: Song, path: Path) -> None:
    path.write_bytes(song_to_midi(song))
