"""Writes the small named test files in tests/data/midi (deterministic). Run from the root:
python tests/data/make_test_midis.py"""

from __future__ import annotations

import random
import re
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


def tiny_xml() -> str:
    """Four bars in A minor at 72 BPM: a melody with a tie over the bar line, chords, drums."""
    from music21 import chord, clef, instrument, key, meter, note, stream, tempo, tie

    melody = stream.Part([instrument.Piano()])
    melody.append([tempo.MetronomeMark(number=72), key.Key("a"), meter.TimeSignature("4/4")])
    tune = [("A4", 1), ("C5", 1), ("E5", 2), ("E5", 2), ("D5", 1), ("C5", 1)]
    tune += [("B4", 1), ("G#4", 1), ("E4", 2), ("A4", 4)]
    for i, (name, length) in enumerate(tune):
        n = note.Note(name, quarterLength=length)
        n.volume.velocity = 90
        if i in (2, 3):  # E5 held over the bar line
            n.tie = tie.Tie("start" if i == 2 else "stop")
        melody.append(n)
    harmony = stream.Part([instrument.Piano()])
    for names in (("A2", "E3", "C4"), ("D3", "A3", "F4"), ("E3", "B3", "G#4"), ("A2", "E3", "C4")):
        harmony.append(chord.Chord(names, quarterLength=4))
    drums = stream.Part([instrument.UnpitchedPercussion(), clef.PercussionClef()])
    for i in range(16):
        hit = note.Unpitched(displayName="E4" if i % 2 else "F4", quarterLength=1)
        drums.append(hit)
    for i, part in enumerate((melody, harmony, drums), start=1):
        part.id = f"P{i}"  # fixed ids: music21 makes random ones
        inst = part.getInstrument()
        assert inst is not None
        inst.partId = f"P{i}"
        inst.instrumentId = f"P{i}-I1"
    score = stream.Score([melody, harmony, drums])
    xml = score.makeNotation().write("musicxml", fp=HERE / "tiny.xml")
    text = Path(xml).read_text()
    fixed = "<encoding-date>2024-01-01</encoding-date>"  # music21 writes today's date
    return re.sub(r"<encoding-date>[^<]*</encoding-date>", fixed, text)


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    good = tiny_c_major()
    good.save(HERE / "tiny_c_major.mid")
    data = (HERE / "tiny_c_major.mid").read_bytes()
    single = mido.MidiFile(type=0, ticks_per_beat=good.ticks_per_beat)
    single.tracks.append(mido.merge_tracks(good.tracks))  # drums share the track with the tune
    single.save(HERE / "tiny_type0.mid")
    (HERE / "truncated.mid").write_bytes(data[: len(data) // 2])
    (HERE / "empty.mid").write_bytes(b"")
    rng = random.Random(7)
    (HERE / "random_bytes.mid").write_bytes(bytes(rng.randrange(256) for _ in range(512)))
    (HERE / "type2.mid").write_bytes(b"MThd" + struct.pack(">IHHH", 6, 2, 1, 96) + data[14:])
    empty = mido.MidiFile(type=0)
    empty.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    empty.save(HERE / "no_notes.mid")
    (HERE / "not_a_score.xml").write_text("<html><body>hello</body></html>")
    (HERE / "tiny.xml").write_text(tiny_xml())


if __name__ == "__main__":
    main()
