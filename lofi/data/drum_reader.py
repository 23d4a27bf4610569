"""Channel-10 drum hits of a MIDI file, in beats, read with mido (no theory needed).

Only files the corpus already parsed (inside the sandbox's caps) are read here, so the
note count and length are bounded. Pieces not in 4/4 give no drums: bar patterns need bars.
"""

from __future__ import annotations

from pathlib import Path

from lofi.core.constants import DRUM_CHANNEL
from lofi.core.errors import CorpusError
from lofi.core.settings import LIMITS
from lofi.core.types import Note


def read_drums(path: Path) -> tuple[Note, ...]:
    """Every drum hit (GM drum number as pitch) with its onset in beats from the start.

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
            raise CorpusError(path, "too large for a drum part")
        midi = mido.MidiFile(path, clip=True)
    except (OSError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise CorpusError(path, f"cannot read its drums: {exc}") from exc
    if midi.type == 2 or midi.ticks_per_beat <= 0:
        return ()
    tpb = float(midi.ticks_per_beat)
    hits: list[Note] = []
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "time_signature" and (msg.numerator, msg.denominator) not in (
                (4, 4),
                (2, 2),
            ):
                return ()
            if msg.type == "note_on" and msg.velocity > 0 and msg.channel == DRUM_CHANNEL:
                hits.append(Note(msg.note, tick / tpb, 0.25, msg.velocity))
                if len(hits) > LIMITS.piece_notes:
                    raise CorpusError(path, "too many drum hits")
    return tuple(sorted(hits, key=lambda n: (n.onset, n.pitch)))
