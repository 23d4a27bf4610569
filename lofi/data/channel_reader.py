"""Notes of chosen MIDI channels (the drums, the bass-program tracks), in beats, with mido.

Only files the corpus already parsed (inside the sandbox's caps) are read here, so the
note count and length are bounded. Programs are followed per channel as the file sets them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lofi.core.constants import BASS_PROGRAMS, DRUM_CHANNEL
from lofi.core.errors import CorpusError
from lofi.core.settings import LIMITS
from lofi.core.types import Note

Select = Callable[[int, int], bool]  # (channel, program) → keep its notes?
FOUR_FOUR = ((4, 4), (2, 2))


def read_channel_notes(path: Path, keep: Select, what: str, four_four: bool) -> tuple[Note, ...]:
    """Every kept note (onset and length in beats from the start), sorted by onset and pitch.

    A note-on is closed by the next note-off of its channel and pitch; one never closed
    lasts a sixteenth. With `four_four`, a file in another metre gives no notes.

    Raises:
        CorpusError: if the file cannot be read as MIDI.
    """
    import mido

    from lofi.data.midi_reader import tolerant_key_signatures

    tolerant_key_signatures()  # as the corpus reader: out-of-range key bytes read as C
    path = Path(path)
    if path.suffix.lower() not in (".mid", ".midi"):
        return ()
    try:
        if path.stat().st_size > LIMITS.midi_bytes:
            raise CorpusError(path, f"too large for a {what} part")
        midi = mido.MidiFile(path, clip=True)
    except (OSError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise CorpusError(path, f"cannot read its {what}: {exc}") from exc
    if midi.type == 2 or midi.ticks_per_beat <= 0:
        return ()
    tpb = float(midi.ticks_per_beat)
    notes: list[Note] = []
    programs = [0] * 16
    for track in midi.tracks:
        tick = 0
        sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}  # (channel, pitch) → ons
        for msg in track:
            tick += msg.time
            if msg.type == "time_signature" and four_four:
                if (msg.numerator, msg.denominator) not in FOUR_FOUR:
                    return ()
            elif msg.type == "program_change":
                programs[msg.channel] = msg.program
            elif msg.type in ("note_on", "note_off") and keep(msg.channel, programs[msg.channel]):
                key = (msg.channel, msg.note)
                if msg.type == "note_on" and msg.velocity > 0:
                    sounding.setdefault(key, []).append((tick, msg.velocity))
                elif sounding.get(key):
                    start, velocity = sounding[key].pop(0)
                    notes.append(Note(msg.note, start / tpb, (tick - start) / tpb, velocity))
            if len(notes) > LIMITS.piece_notes:
                raise CorpusError(path, f"too many {what} notes")
        for (_channel, pitch), ons in sounding.items():
            notes += [Note(pitch, start / tpb, 0.25, velocity) for start, velocity in ons]
    return tuple(sorted(notes, key=lambda n: (n.onset, n.pitch)))


def read_drums(path: Path) -> tuple[Note, ...]:
    """Every channel-10 hit (GM drum number as pitch) of a 4/4 file; none in other metres."""
    return read_channel_notes(path, lambda channel, _p: channel == DRUM_CHANNEL, "drum", True)


def read_bass(path: Path) -> tuple[Note, ...]:
    """The notes of the file's bass-program channels (General MIDI 33–40), drums excluded."""
    return read_channel_notes(
        path,
        lambda channel, program: channel != DRUM_CHANNEL and program in BASS_PROGRAMS,
        "bass",
        False,
    )
