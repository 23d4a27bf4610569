"""A MIDI file as event arrays for the render workers.

Per named track, rows of (frame, kind, channel, a, b) in time order, with frames from the
file's tempo map (read with mido, as pretty_midi reads it).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from lofi.audio.render_worker import CONTROL, NOTE_OFF, NOTE_ON, PITCH, PROGRAM
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import RenderError

MAX_TICK = 10_000_000  # a later event: the file is corrupt (pretty_midi's limit too)


@dataclass(frozen=True)
class MidiEvents:
    """What the workers play: event rows per track, and where the song ends."""

    tracks: dict[str, np.ndarray]  # track name -> int64 rows (frame, kind, channel, a, b)
    end_frame: int  # the last message, end-of-track included (as mido's length)


def tempo_map(mid: mido.MidiFile) -> Callable[[int], float]:
    """Tick → seconds from the first track's tempo changes (120 BPM before the first).

    pretty_midi's arithmetic step by step (`_load_tempo_changes`, `_update_tick_to_time`),
    so the frames, and the rendered audio, are the same as when it was read with
    pretty_midi; reading it here keeps the audio stage free of the composing stage.
    """
    resolution = mid.ticks_per_beat
    scales = [(0, 60.0 / (120.0 * resolution))]  # (start tick, seconds per tick)
    tick = 0
    for msg in mid.tracks[0] if mid.tracks else ():
        tick += msg.time
        if msg.type != "set_tempo":
            continue
        scale = 60.0 / ((6e7 / msg.tempo) * resolution)
        if tick == 0:
            scales = [(0, scale)]
        elif scale != scales[-1][1]:  # a repeated tempo is no change
            scales.append((tick, scale))
    starts = [0.0]  # the time each tempo's span starts at
    for (start, scale), (end, _) in itertools.pairwise(scales):
        starts.append(starts[-1] + scale * (end - start))

    def seconds(at: int) -> float:
        i = max(k for k, (start, _) in enumerate(scales) if start <= at)
        start, scale = scales[i]
        return float(starts[i] + scale * (at - start))

    return seconds


def read_midi_events(midi: bytes | Path) -> MidiEvents:
    """Reads a MIDI file's note, controller, program and pitch-bend messages.

    Tempo changes count where the standard puts them, in the first track.
    """
    try:
        data = bytes(midi) if isinstance(midi, bytes | bytearray) else Path(midi).read_bytes()
        mid = mido.MidiFile(file=io.BytesIO(data))
    except Exception as exc:  # mido raises several kinds on broken files
        raise RenderError(f"cannot read the MIDI file: {exc}") from exc
    longest = max((sum(m.time for m in track) for track in mid.tracks), default=0)
    if longest >= MAX_TICK:
        raise RenderError(f"cannot read the MIDI file: its last event is at tick {longest}")
    tick_seconds = tempo_map(mid)

    def to_frame(tick: int) -> int:
        return round(float(tick_seconds(tick)) * SAMPLE_RATE)

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
