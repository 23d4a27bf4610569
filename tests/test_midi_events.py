import mido
import pytest

from lofi.audio.midi_events import read_midi_events
from lofi.audio.render_worker import NOTE_OFF, NOTE_ON, PITCH
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import RenderError


def _file(tmp_path, tempo_track: int = 0):
    """120 BPM, then 60 BPM from beat 4; one note a beat for six beats on track 'lead'."""
    mid = mido.MidiFile(ticks_per_beat=480)
    conductor = mido.MidiTrack(
        [
            mido.MetaMessage("set_tempo", tempo=500_000, time=0),
            mido.MetaMessage("set_tempo", tempo=1_000_000, time=4 * 480),
        ]
    )
    lead = mido.MidiTrack([mido.MetaMessage("track_name", name="lead")])
    for beat in range(6):
        lead.append(mido.Message("note_on", note=60 + beat, velocity=80))
        lead.append(mido.Message("note_off", note=60 + beat, time=480))
    lead.append(mido.Message("pitchwheel", pitch=-8192))
    mid.tracks.extend([conductor, lead])
    mid.save(tmp_path / "song.mid")
    return tmp_path / "song.mid"


def test_frames_follow_the_tempo_map(tmp_path) -> None:
    events = read_midi_events(_file(tmp_path))
    rows = events.tracks["lead"]
    ons = rows[rows[:, 1] == NOTE_ON]
    # beats 0-3 at half a second each, beats 4 and 5 at a second each
    assert (ons[:, 0] / SAMPLE_RATE).tolist() == pytest.approx([0, 0.5, 1.0, 1.5, 2.0, 3.0])
    assert ons[:, 3].tolist() == list(range(60, 66))
    assert events.end_frame == 4 * SAMPLE_RATE
    # at a frame where one note ends and the next starts, the end comes first
    at_1s = rows[rows[:, 0] == SAMPLE_RATE]
    assert at_1s[:, 1].tolist() == [NOTE_OFF, NOTE_ON]
    assert rows[-1].tolist() == [4 * SAMPLE_RATE, PITCH, 0, 0, 0]


def test_bytes_and_paths_read_alike(tmp_path) -> None:
    path = _file(tmp_path)
    by_path, by_bytes = read_midi_events(path), read_midi_events(path.read_bytes())
    assert by_path.end_frame == by_bytes.end_frame
    assert (by_path.tracks["lead"] == by_bytes.tracks["lead"]).all()


def test_broken_file_is_a_render_error(tmp_path) -> None:
    with pytest.raises(RenderError, match="cannot read the MIDI file"):
        read_midi_events(b"MThd\x00\x00\x00\x06garbage")


def test_the_tempo_map_times_every_tick_as_pretty_midi_does(tmp_path) -> None:
    import pretty_midi

    from lofi.audio.midi_events import tempo_map

    mid = mido.MidiFile(ticks_per_beat=384)
    tempos = [(0, 612_245), (700, 612_245), (1_333, 437_000), (5_000, 1_500_000), (9_001, 61)]
    conductor = mido.MidiTrack()
    last = 0
    for tick, tempo in tempos:
        conductor.append(mido.MetaMessage("set_tempo", tempo=tempo, time=tick - last))
        last = tick
    lead = mido.MidiTrack([mido.Message("note_on", note=60, velocity=9, time=12_000)])
    mid.tracks.extend([conductor, lead])
    mid.save(tmp_path / "tempi.mid")
    theirs = pretty_midi.PrettyMIDI(str(tmp_path / "tempi.mid"))
    ours = tempo_map(mido.MidiFile(tmp_path / "tempi.mid"))
    for tick in (0, 1, 699, 700, 1_333, 1_334, 4_999, 5_000, 9_000, 9_001, 11_999, 12_000):
        assert ours(tick) == theirs.tick_to_time(tick)  # bit for bit: the same frames
