"""A MIDI file as event arrays for the render workers.

Per named track, rows of (frame, kind, channel, a, b) in time order, with frames from
pretty_midi's tempo map.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from lofi.audio.render_worker import CONTROL, NOTE_OFF, NOTE_ON, PITCH, PROGRAM
from lofi.compose.midi import import_pretty_midi
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import RenderError


@dataclass(frozen=True)
class MidiEvents:
    """What the workers play: event rows per track, and where the song ends."""

    tracks: dict[str, np.ndarray]  # track name -> int64 rows (frame, kind, channel, a, b)
    end_frame: int  # the last message, end-of-track included (as mido's length)


def read_midi_events(midi: bytes | Path) -> MidiEvents:
    """Reads a MIDI file's note, controller, program and pitch-bend messages.

    Tempo changes count where the standard puts them, in the first track.
    """
    pretty_midi = import_pretty_midi()
    try:
        data = bytes(midi) if isinstance(midi, bytes | bytearray) else Path(midi).read_bytes()
        mid = mido.MidiFile(file=io.BytesIO(data))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # tempo outside the first track
            tempo_map = pretty_midi.PrettyMIDI(io.BytesIO(data))
    except Exception as exc:  # mido and pretty_midi raise several kinds on broken files
        raise RenderError(f"cannot read the MIDI file: {exc}") from exc

    def to_frame(tick: int) -> int:
        return round(float(tempo_map.tick_to_time(tick)) * SAMPLE_RATE)

    out: dict[str, np.ndarray] = {}
    end_tick = 0
    for index, track in enumerate(mid.tracks):
        name = track.name or f"track {index}"
        rows = []
        tick = 0
        for msg in track:
            tick += msg.time
            end_tick = max(end_tick, tick)
            if msg.type == "note_on" and msg.velocity > 0:
                row = (NOTE_ON, msg.channel, msg.note, msg.velocity)
            elif msg.type in ("note_off", "note_on"):
                row = (NOTE_OFF, msg.channel, msg.note, 0)
            elif msg.type == "control_change":
                row = (CONTROL, msg.channel, msg.control, msg.value)
            elif msg.type == "program_change":
                row = (PROGRAM, msg.channel, msg.program, 0)
            elif msg.type == "pitchwheel":
                row = (PITCH, msg.channel, msg.pitch + 8192, 0)
            else:
                continue
            rows.append((to_frame(tick), *row))
        if rows:
            arr = np.array(rows, dtype=np.int64)
            order = np.lexsort((arr[:, 1] != NOTE_OFF, arr[:, 0]))  # offs first at a frame
            out[name if name not in out else f"{name} {index}"] = arr[order]
    return MidiEvents(out, to_frame(end_tick))
