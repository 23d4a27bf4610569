"""Writes the small named test files in tests/data/midi (deterministic). Run from the root:
python tests/data/make_test_midis.py"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import mido

HERE = Path(__file__).parent / "midi"


def tiny_c_major() -> mido.MidiFile:
    mid = mido.MidiFile(type=1, ticks_per_beat=96)
    tune = [60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 71, 67, 65, 64]
    chords = [(48, 52, 55), (53, 57, 60), (55, 59, 62), (48, 52, 55)]
    melody = mido.MidiTrack(
        [
            mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(90)),
            mido.MetaMessage("track_name", name="melody"),
        ]
    )
    for p in tune:
        melody += [
            mido.Message("note_on", note=p, velocity=80, time=0),
            mido.Message("note_off", note=p, velocity=0, time=96),
        ]
    harmony = mido.MidiTrack([mido.MetaMessage("track_name", name="chords")])
    for chord in chords:
        harmony += [mido.Message("note_on", channel=1, note=p, velocity=60, time=0) for p in chord]
        harmony += [
            mido.Message("note_off", channel=1, note=p, velocity=0, time=384 if i == 0 else 0)
            for i, p in enumerate(chord)
        ]
    drums = mido.MidiTrack([mido.MetaMessage("track_name", name="drums")])
    for i in range(16):
        drums += [
            mido.Message("note_on", channel=9, note=35 if i % 2 == 0 else 40, velocity=90),
            mido.Message("note_off", channel=9, note=35 if i % 2 == 0 else 40, time=96),
        ]
    mid.tracks += [melody, harmony, drums]
    return mid


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    good = tiny_c_major()
    good.save(HERE / "tiny_c_major.mid")
    data = (HERE / "tiny_c_major.mid").read_bytes()
    (HERE / "truncated.mid").write_bytes(data[: len(data) // 2])
    (HERE / "empty.mid").write_bytes(b"")
    rng = random.Random(7)
    (HERE / "random_bytes.mid").write_bytes(bytes(rng.randrange(256) for _ in range(512)))
    (HERE / "type2.mid").write_bytes(b"MThd" + struct.pack(">IHHH", 6, 2, 1, 96) + data[14:])
    empty = mido.MidiFile(type=0)
    empty.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    empty.save(HERE / "no_notes.mid")
    (HERE / "not_a_score.xml").write_text("<html><body>hello</body></html>")


if __name__ == "__main__":
    main()
