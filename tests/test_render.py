import io

import mido
import numpy as np
import pytest

from lofi.constants import DRUM_CHANNEL, SAMPLE_RATE
from lofi.errors import RenderError, SoundFontError
from lofi.render import probe_soundfont, render_midi, render_stems
from lofi.soundfonts import Instrument, check_soundfont, list_presets, parse_instrument_spec
from tests.factories import rms


def _instruments(sf) -> dict[str, Instrument]:
    return {
        "chords": Instrument(sf, 0, 4),
        "melody": Instrument(sf, 0, 11),
        "bass": Instrument(sf, 0, 33),
        "drums": Instrument(sf, 128, 0),
    }


def test_stems_have_the_song_length_two_channels_and_sound(gm_soundfont, four_part_midi) -> None:
    stems = render_stems(four_part_midi, _instruments(gm_soundfont), tail_s=1.0)
    assert list(stems) == ["chords", "melody", "bass", "drums"]
    song_s = mido.MidiFile(file=io.BytesIO(four_part_midi)).length
    for name, audio in stems.items():
        assert audio.dtype == np.float32 and audio.shape[1] == 2
        assert len(audio) / SAMPLE_RATE == pytest.approx(song_s + 1.0, abs=0.01)
        assert rms(audio) > 1e-3, f"{name} is silent"
        assert np.abs(audio).max() < 1.0


def test_rendering_is_deterministic_whatever_ran_before(gm_soundfont, four_part_midi) -> None:
    inst = _instruments(gm_soundfont)
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
    with pytest.raises(SoundFontError, match="noise.sf2"):
        check_soundfont(bad)
    with pytest.raises(SoundFontError, match="noise.sf2"):
        render_stems(four_part_midi, {"chords": Instrument(bad, 0, 0)})


def test_a_soundfont_fluidsynth_rejects_fails_in_the_child(tmp_path, gm_soundfont) -> None:
    # A valid RIFF header and preset table but the sample data cut away.
    data = gm_soundfont.read_bytes()
    cut = tmp_path / "cut.sf2"
    cut.write_bytes(data[:2048])
    with pytest.raises(SoundFontError, match="cut.sf2"):
        check_soundfont(cut)
    with pytest.raises(SoundFontError):
        probe_soundfont(tmp_path / "missing.sf2")


def test_missing_soundfont_is_named(tmp_path, four_part_midi) -> None:
    with pytest.raises(SoundFontError, match="gone.sf3"):
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
