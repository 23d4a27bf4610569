"""Writes the small named test files in tests/data/midi and tests/data/loops (deterministic).

Run from the root: python tests/data/make_test_midis.py
"""

from __future__ import annotations

import random
import re
import struct
from pathlib import Path

import mido

HERE = Path(__file__).parent / "midi"
LOOPS = Path(__file__).parent / "loops"  # kept apart: tests read midi/ as a corpus


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


def _track(notes: list[tuple[int, int, int]], channel: int = 0) -> mido.MidiTrack:
    """(pitch, start tick, length in ticks) notes as one track."""
    events = [(t, 1, p) for p, t, _ in notes] + [(t + d, 0, p) for p, t, d in notes]
    track, now = mido.MidiTrack(), 0
    for tick, on, p in sorted(events):
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, channel=channel, note=p, velocity=80, time=tick - now))
        now = tick
    return track


def loop_files() -> None:
    """The loop reader's edge cases (96 ticks a beat)."""
    drums = mido.MidiFile(ticks_per_beat=96)
    drums.tracks.append(_track([(36 + i % 3, i * 96, 48) for i in range(16)], channel=9))
    drums.save(LOOPS / "loop_drums_only.mid")
    zero = mido.MidiFile(ticks_per_beat=96)
    zero.tracks.append(_track([(60, 0, 0), (64, 0, 0), (67, 0, 0)]))
    zero.save(LOOPS / "loop_zero_length.mid")
    long = mido.MidiFile(ticks_per_beat=96)
    long.tracks.append(_track([(48 + bar % 12, bar * 384, 384) for bar in range(2000)]))
    long.save(LOOPS / "loop_2000_bars.mid")
    # Three bars of chords ending half a beat short, at an odd tempo (200 BPM).
    short = mido.MidiFile(ticks_per_beat=96)
    chords = [(57, 60, 64, 67), (62, 65, 69, 72), (55, 59, 62, 65)]
    notes = [(p, bar * 384, 384 if bar < 2 else 336) for bar, c in enumerate(chords) for p in c]
    track = _track(notes)
    track.insert(0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(200)))
    short.tracks.append(track)
    short.save(LOOPS / "loop_three_bars_short.mid")


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
    loop_files()


if __name__ == "__main__":
    main()
