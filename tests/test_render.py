import io

import mido
import numpy as np
import pytest

from lofi.audio.render import check_soundfont, probe_soundfont, render_midi, render_stems
from lofi.audio.soundfonts import Instrument, list_presets, parse_instrument_spec
from lofi.core.constants import DRUM_CHANNEL, SAMPLE_RATE
from lofi.core.errors import RenderError, SoundFontError
from tests.factories import gm_instruments, rms


def test_stems_have_the_song_length_two_channels_and_sound(gm_soundfont, four_part_midi) -> None:
    stems = render_stems(four_part_midi, gm_instruments(gm_soundfont), tail_s=1.0)
    assert list(stems) == ["chords", "melody", "bass", "drums"]
    song_s = mido.MidiFile(file=io.BytesIO(four_part_midi)).length
    for name, audio in stems.items():
        assert audio.dtype == np.float32 and audio.shape[1] == 2
        assert len(audio) / SAMPLE_RATE == pytest.approx(song_s + 1.0, abs=0.01)
        assert rms(audio) > 1e-3, f"{name} is silent"
        assert np.abs(audio).max() < 1.0


def test_rendering_is_deterministic_whatever_ran_before(gm_soundfont, four_part_midi) -> None:
    inst = gm_instruments(gm_soundfont)
    first = render_stems(four_part_midi, {"chords": inst["chords"]})["chords"]
    render_stems(four_part_midi, inst)
    again = render_stems(four_part_midi, {"chords": inst["chords"]})["chords"]
    np.testing.assert_array_equal(first, again)


def test_drums_play_on_channel_ten_with_the_kit(gm_soundfont, four_part_midi) -> None:
    mid = mido.MidiFile(file=io.BytesIO(four_part_midi))
    drums = next(t for t in mid.tracks if t.name == "drums")
    assert {m.channel for m in drums if m.type == "note_on"} == {DRUM_CHANNEL}
    kit = render_stems(four_part_midi, {"drums": Instrument(gm_soundfont, 128, 0)})["drums"]
    piano = render_stems(four_part_midi, {"drums": Instrument(gm_soundfont, 0, 0)})["drums"]
    assert not np.allclose(kit, piano)


def test_gain_scales_a_stem(gm_soundfont, four_part_midi) -> None:
    loud = render_stems(four_part_midi, {"bass": Instrument(gm_soundfont, 0, 33, 0.0)})["bass"]
    soft = render_stems(four_part_midi, {"bass": Instrument(gm_soundfont, 0, 33, -6.0)})["bass"]
    assert rms(soft) / rms(loud) == pytest.approx(10 ** (-6 / 20), rel=1e-3)


def test_whole_file_preview(gm_soundfont, four_part_midi) -> None:
    audio = render_midi(four_part_midi, gm_soundfont)
    assert audio.shape[1] == 2 and rms(audio) > 1e-3


def test_presets_are_read_from_the_file(gm_soundfont) -> None:
    presets = list_presets(gm_soundfont)
    names = {(p.bank, p.program): p.name for p in presets}
    assert names[(0, 33)] == "Fingered Bass"
    assert any(bank == 128 for bank, _ in names)
    assert check_soundfont(gm_soundfont) == presets


def test_random_bytes_soundfont_is_refused(tmp_path, four_part_midi) -> None:
    bad = tmp_path / "noise.sf2"
    bad.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(SoundFontError, match=r"noise\.sf2"):
        check_soundfont(bad)
    with pytest.raises(SoundFontError, match=r"noise\.sf2"):
        render_stems(four_part_midi, {"chords": Instrument(bad, 0, 0)})


def test_a_soundfont_fluidsynth_rejects_fails_in_the_child(tmp_path, gm_soundfont) -> None:
    # A valid RIFF header and preset table but the sample data cut away.
    data = gm_soundfont.read_bytes()
    cut = tmp_path / "cut.sf2"
    cut.write_bytes(data[:2048])
    with pytest.raises(SoundFontError, match=r"cut\.sf2"):
        check_soundfont(cut)
    with pytest.raises(SoundFontError):
        probe_soundfont(tmp_path / "missing.sf2")


def test_missing_soundfont_is_named(tmp_path, four_part_midi) -> None:
    with pytest.raises(SoundFontError, match=r"gone\.sf3"):
        render_stems(four_part_midi, {"bass": Instrument(tmp_path / "gone.sf3", 0, 33)})


def test_broken_midi_is_a_render_error(gm_soundfont) -> None:
    with pytest.raises(RenderError, match="MIDI"):
        render_stems(b"MThd garbage", {"bass": Instrument(gm_soundfont, 0, 33)})


def test_instrument_spec(gm_soundfont) -> None:
    inst = parse_instrument_spec(f"{gm_soundfont}:0:33")
    assert (inst.bank, inst.program, inst.soundfont) == (0, 33, gm_soundfont.resolve())
    assert (parse_instrument_spec(str(gm_soundfont)).bank, inst.gain_db) == (0, 0.0)
    with pytest.raises(SoundFontError, match="no preset 3:3"):
        parse_instrument_spec(f"{gm_soundfont}:3:3")


def _tempo_change_midi(path) -> float:
    """Four named parts, drums on channel 10, 120 BPM then 60 BPM from beat 4; returns the
    song's length in seconds."""
    mid = mido.MidiFile(ticks_per_beat=480)
    conductor = mido.MidiTrack(
        [
            mido.MetaMessage("set_tempo", tempo=500_000, time=0),
            mido.MetaMessage("set_tempo", tempo=1_000_000, time=4 * 480),
        ]
    )
    mid.tracks.append(conductor)
    for name, channel, pitch in (("chords", 0, 60), ("melody", 1, 76), ("bass", 2, 36)):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        track.append(mido.Message("program_change", channel=channel, program=56))  # ignored
        for _ in range(6):
            track.append(mido.Message("note_on", channel=channel, note=pitch, velocity=90))
            track.append(mido.Message("note_off", channel=channel, note=pitch, time=480))
        mid.tracks.append(track)
    drums = mido.MidiTrack([mido.MetaMessage("track_name", name="drums")])
    for beat in range(6):
        note = 36 if beat % 2 == 0 else 38
        drums.append(mido.Message("note_on", channel=DRUM_CHANNEL, note=note, velocity=100))
        drums.append(mido.Message("note_off", channel=DRUM_CHANNEL, note=note, time=480))
    mid.tracks.append(drums)
    mid.save(path)
    return 4 * 0.5 + 2 * 1.0


def test_tempo_changes_set_the_length_of_every_stem(gm_soundfont, tmp_path) -> None:
    song_s = _tempo_change_midi(tmp_path / "song.mid")
    stems = render_stems(tmp_path / "song.mid", gm_instruments(gm_soundfont), tail_s=0.5)
    for name, audio in stems.items():
        assert audio.shape == (round((song_s + 0.5) * SAMPLE_RATE), 2)
        assert rms(audio[: int(song_s * SAMPLE_RATE)]) > 1e-3, f"{name} is silent"
    # The last bass note starts at 3 s (after the slow-down), not at 2.5 s.
    bass = stems["bass"][:, 0]
    onset = int(3.0 * SAMPLE_RATE)
    assert rms(bass[onset - 2000 : onset - 200]) < 0.5 * rms(bass[onset + 200 : onset + 2000])


def test_a_soundfont_fluidsynth_refuses_is_a_soundfont_error(
    tmp_path, gm_soundfont, four_part_midi
) -> None:
    # A sound RIFF structure FluidSynth will not load: the version says SoundFont 1.
    data = bytearray(gm_soundfont.read_bytes())
    at = data.find(b"ifil") + 8
    data[at : at + 2] = (1).to_bytes(2, "little")
    old = tmp_path / "old.sf2"
    old.write_bytes(bytes(data))
    assert list_presets(old)  # the preset table itself reads fine
    with pytest.raises(SoundFontError, match=r"old\.sf2"):
        check_soundfont(old)
    with pytest.raises(SoundFontError, match=r"old\.sf2"):
        render_stems(four_part_midi, {"bass": Instrument(old, 0, 33)})


def test_a_dead_or_stuck_worker_is_replaced(gm_soundfont, four_part_midi, monkeypatch) -> None:
    import os
    import signal

    from lofi.audio import render

    inst = {"bass": Instrument(gm_soundfont, 0, 33)}
    before = render_stems(four_part_midi, inst)["bass"]
    for worker in render._workers:
        if worker.alive():
            assert worker.process is not None
            os.kill(worker.process.pid, signal.SIGKILL)
    np.testing.assert_array_equal(render_stems(four_part_midi, inst)["bass"], before)
    monkeypatch.setattr(render, "RENDER_TIMEOUT_S", 1e-4)
    with pytest.raises(RenderError, match="longer than"):
        render_stems(four_part_midi, inst)
    monkeypatch.undo()
    np.testing.assert_array_equal(render_stems(four_part_midi, inst)["bass"], before)


def _assert_presets_exist(instruments: dict[str, Instrument]) -> None:
    assert set(instruments) == {"chords", "melody", "bass", "drums"}
    assert instruments["drums"].bank == 128
    for name, inst in instruments.items():
        presets = {(p.bank, p.program) for p in list_presets(inst.soundfont)}
        assert (inst.bank, inst.program) in presets, name


def test_default_instruments_exist_in_the_system_soundfont() -> None:
    from lofi.audio.soundfonts import default_instruments
    from lofi.core.paths import SYSTEM_SOUNDFONT

    if not SYSTEM_SOUNDFONT.is_file():
        pytest.skip(f"{SYSTEM_SOUNDFONT} is not installed (musescore-general-soundfont-small)")
    from lofi.audio.soundfonts import gm_kit, lofi_kit

    instruments = default_instruments()
    drums = instruments.pop("drums")  # the sampled kit setup makes, else the GM jazz kit
    assert {inst.soundfont for inst in instruments.values()} == {SYSTEM_SOUNDFONT}
    assert drums.soundfont == (lofi_kit() if lofi_kit().is_file() else gm_kit().soundfont)
    _assert_presets_exist({**instruments, "drums": drums})


def test_default_instruments_fall_back_to_the_bundled_soundfont(
    gm_soundfont, tmp_path, monkeypatch
) -> None:
    from lofi.audio import soundfonts

    monkeypatch.setattr(soundfonts, "SYSTEM_SOUNDFONT", tmp_path / "not-installed.sf3")
    monkeypatch.setenv("LOFI_SOUNDFONTS_DIR", str(gm_soundfont.parent))
    instruments = soundfonts.default_instruments()
    kit = soundfonts.lofi_kit()
    expected = {gm_soundfont, kit} if kit.is_file() else {gm_soundfont}
    assert {inst.soundfont for inst in instruments.values()} == expected
    assert instruments["drums"].soundfont == (kit if kit.is_file() else gm_soundfont)
    _assert_presets_exist(instruments)
