"""The sampled drum kit: a real SoundFont made from packaged samples, played by FluidSynth."""

import numpy as np
import pytest

from lofi.audio.kits import KIT_BANK, KIT_PROGRAM, kit_available, make_kit
from lofi.audio.render import render_stems
from lofi.audio.sf2_writer import Zone, write_kit
from lofi.audio.soundfonts import Instrument, list_presets
from lofi.core.constants import SAMPLE_RATE
from lofi.service.sounds import soundfont_warnings

needs_samples = pytest.mark.skipif(not kit_available(), reason="sonic-pi-samples missing")


def _drum_midi(pitch: int) -> bytes:
    import io

    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="drums")])
    for _ in range(4):
        track.append(mido.Message("note_on", channel=9, note=pitch, velocity=100, time=0))
        track.append(mido.Message("note_off", channel=9, note=pitch, velocity=0, time=240))
        track.append(mido.Message("note_on", channel=9, note=pitch, velocity=0, time=240))
    mid.tracks.append(track)
    buffer = io.BytesIO()
    mid.save(file=buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    if not kit_available():
        pytest.skip("sonic-pi-samples missing")
    return make_kit(tmp_path_factory.mktemp("kit") / "kit.sf2")


@needs_samples
def test_the_kit_is_the_same_bytes_every_time(kit, tmp_path) -> None:
    again = make_kit(tmp_path / "again.sf2")
    assert again.read_bytes() == kit.read_bytes()
    assert [(p.bank, p.program) for p in list_presets(kit)] == [(KIT_BANK, KIT_PROGRAM)]


@needs_samples
def test_kick_plays_in_the_centre_and_the_hats_off_centre_with_air(kit) -> None:
    from lofi.audio.meter import band_shares

    inst = {"drums": Instrument(kit, KIT_BANK, KIT_PROGRAM)}
    kick = render_stems(_drum_midi(36), inst)["drums"]
    hat = render_stems(_drum_midi(42), inst)["drums"]
    assert np.abs(kick).max() > 0.05 and np.abs(hat).max() > 0.01
    np.testing.assert_allclose(kick[:, 0], kick[:, 1], atol=1e-6)
    left, right = np.sqrt((hat**2).mean(axis=0))
    assert right > 1.3 * left  # panned to the right, not hard
    assert band_shares(hat)[2] > 0.3 and band_shares(kick)[1] > 0.5  # hats bright, kick low


def test_a_soundfont_with_dc_offset_is_warned_about_and_a_clean_one_is_not(tmp_path) -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tone = 0.2 * np.sin(2 * np.pi * 220 * t) * np.exp(-t * 2)
    zones = [Zone(60, "note", release_s=0.5)]
    dc = tmp_path / "dc.sf2"
    write_kit(dc, "Offset", {"note": (tone + 0.3).astype(np.float32)}, zones, SAMPLE_RATE, 0, 0)
    clean = tmp_path / "clean.sf2"
    write_kit(clean, "Clean", {"note": tone.astype(np.float32)}, zones, SAMPLE_RATE, 0, 0)
    warnings = soundfont_warnings(dc)
    assert len(warnings) == 1 and "DC offset" in warnings[0] and "dc.sf2" in warnings[0]
    assert soundfont_warnings(clean) == []
