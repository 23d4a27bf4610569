"""What plays in a corpus' files: whether a corpus is a pack of solo piano pieces.

A piece is a solo piano piece when its file is MIDI, it plays notes, every note it plays is
on a General MIDI piano program (0–7: the piano family, acoustic grand to clavinet; a
channel with no program change plays 0) and none is on the drum channel. A left hand and a
right hand on separate tracks or channels are still one piano. A corpus is a piano pack when
at least `PIANO_PACK_SHARE` of its usable pieces are solo piano pieces (a stray file does not
change what the pack is). The bundled `lofi` pack is one: 99 single-track piano loops.

Only files the corpus already parsed (inside the sandbox's caps) are read, with mido.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lofi.core.constants import DRUM_CHANNEL
from lofi.core.settings import LIMITS

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus

PIANO_PROGRAMS = range(0, 8)  # General MIDI's piano family
PIANO_PACK_SHARE = 0.9  # of a corpus' usable pieces, at least, for a piano pack


def played_programs(path: Path) -> tuple[frozenset[int], bool]:
    """The programs the file's pitched notes play on, and whether it plays drum notes.

    Programs are followed per channel as the file sets them. A file that is not MIDI, or
    that mido cannot read, plays nothing here.
    """
    import mido

    from lofi.data.midi_reader import tolerant_key_signatures

    if path.suffix.lower() not in (".mid", ".midi"):
        return frozenset(), False
    tolerant_key_signatures()  # as the corpus reader: out-of-range key bytes read as C
    try:
        if path.stat().st_size > LIMITS.midi_bytes:
            return frozenset(), False
        midi = mido.MidiFile(path, clip=True)
    except (OSError, ValueError, EOFError, KeyError, IndexError):
        return frozenset(), False
    programs, played, drums = [0] * 16, set(), False
    for message in mido.merge_tracks(midi.tracks):
        if message.type == "program_change":
            programs[message.channel] = message.program
        elif message.type == "note_on" and message.velocity > 0:
            if message.channel == DRUM_CHANNEL:
                drums = True
            else:
                played.add(programs[message.channel])
    return frozenset(played), drums


def is_piano_piece(path: Path) -> bool:
    """Whether the file plays piano alone (see the module's rule)."""
    programs, drums = played_programs(path)
    return bool(programs) and not drums and all(p in PIANO_PROGRAMS for p in programs)


def is_piano_pack(corpus: Corpus) -> bool:
    """Whether nearly every piece of the corpus is a solo piano piece (see the module's rule).

    A corpus without its files (built in memory, or from shards) is not known to be one.
    """
    if not corpus.pieces or len(corpus.sources) != len(corpus.pieces):
        return False
    piano = sum(is_piano_piece(source) for source in corpus.sources)
    return piano >= PIANO_PACK_SHARE * len(corpus.pieces)
