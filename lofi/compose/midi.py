"""Writing a Song as a multi-track MIDI file (pretty_midi): one named track per part."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Mapping
from types import ModuleType

from lofi.core.constants import BEATS_PER_BAR, TICKS_PER_BEAT
from lofi.core.types import Song

# General MIDI programs of the parts; pretty_midi gives the drum part channel 10 and the
# others channels 1, 2, 3 ... in the song's part order.
GM_PROGRAMS = {"chords": 4, "melody": 11, "bass": 33, "drums": 0}


def import_pretty_midi() -> ModuleType:
    """pretty_midi, imported without its side note on stdout.

    pretty_midi imports pyfluidsynth, which prints where it found the library when the CI
    variable is set; stdout belongs to the command (its JSON reports), so the note goes to
    stderr.
    """
    with contextlib.redirect_stdout(sys.stderr):
        import pretty_midi
    module: ModuleType = pretty_midi
    return module


def song_to_midi(song: Song, programs: Mapping[str, int] | None = None) -> bytes:
    """Type-1 MIDI: a tempo/meter/key track, then one track per part (drums on channel 10).

    Notes are placed on whole ticks (a note lasts at least one tick), so the file is the
    same byte for byte for the same song.

    Args:
        song: the composed song.
        programs: part name → MIDI program (the chosen presets); General MIDI otherwise.

    Returns:
        The MIDI file's bytes.
    """
    pretty_midi = import_pretty_midi()
    pm = pretty_midi.PrettyMIDI(resolution=TICKS_PER_BEAT, initial_tempo=song.bpm)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(BEATS_PER_BAR, 4, 0.0))
    key_number = song.key.tonic + (12 if song.key.mode == "minor" else 0)
    pm.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0.0))
    seconds_per_tick = 60.0 / (song.bpm * TICKS_PER_BEAT)
    for part in song.parts:
        instrument = pretty_midi.Instrument(
            {**GM_PROGRAMS, **(programs or {})}.get(part.name, 0),
            is_drum=part.is_drum,
            name=part.name,
        )
        for note in part.notes:
            on = round(note.onset * TICKS_PER_BEAT)
            off = max(round(note.end * TICKS_PER_BEAT), on + 1)
            instrument.notes.append(
                pretty_midi.Note(
                    note.velocity, note.pitch, on * seconds_per_tick, off * seconds_per_tick
                )
            )
        pm.instruments.append(instrument)
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()
