"""The stereo mixes (2, 3): each part's place, DC gone, ducking; older ones as they were."""

import numpy as np
import pytest

from lofi.audio.meter import stereo_figures
from lofi.audio.placement import (
    DUCK_DB,
    MONO_MIX,
    PLACES,
    Mix,
    Place,
    duck_gain,
    kick_frames,
    place_stems,
    render_placed,
)
from lofi.audio.tape import Tape, tape_and_room
from lofi.core.constants import SAMPLE_RATE
from tests.factories import gm_instruments


@pytest.fixture(scope="module")
def instruments(gm_soundfont):
    return gm_instruments(gm_soundfont)


def test_version_1_leaves_the_stems_as_rendered(four_part_midi, instruments) -> None:
    raw = render_placed(four_part_midi, instruments, MONO_MIX)
    assert place_stems(raw, MONO_MIX, four_part_midi) is raw


def test_version_2_places_each_part(four_part_midi, instruments) -> None:
    placed = render_placed(four_part_midi, instruments, Mix(reverb_db=-30.0, ducking=False))
    chords_corr = stereo_figures(placed["chords"])[0]
    assert 0.0 < chords_corr < 0.8  # wide
    np.testing.assert_allclose(placed["bass"][:, 0], placed["bass"][:, 1], atol=1e-6)
    left, right = np.sqrt((placed["melody"] ** 2).mean(axis=0))
    assert right > 1.1 * left  # a little right of centre
    # mono-compatible: the chords' width cancels in the mid, which keeps the part's level
    mono = Mix(width=0.0, reverb_db=-30.0, ducking=False)
    narrow = render_placed(four_part_midi, instruments, mono)["chords"]
    assert stereo_figures(narrow)[0] > 0.99  # the SoundFont's own, nearly mono, image
    np.testing.assert_allclose(placed["chords"].mean(axis=1), narrow.mean(axis=1), atol=1e-5)


def test_version_2_removes_dc_from_every_stem(four_part_midi) -> None:
    n = 3 * SAMPLE_RATE
    t = np.arange(n) / SAMPLE_RATE
    stem = (0.3 + 0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    stems = {part: np.stack([stem, stem], axis=1) for part in ("chords", "bass", "drums", "x")}
    for part, out in place_stems(stems, Mix(), four_part_midi).items():
        assert abs(float(out[SAMPLE_RATE:].mean())) < 0.003, part


def test_the_first_bars_placed_are_the_start_of_the_whole(four_part_midi, instruments) -> None:
    first = SAMPLE_RATE
    part = render_placed(four_part_midi, instruments, Mix(), frames=first)
    whole = render_placed(four_part_midi, instruments, Mix())
    for name in instruments:
        np.testing.assert_allclose(part[name], whole[name][:first], atol=1e-6)


def test_ducking_dips_at_each_kick_and_joins_across_pieces(four_part_midi) -> None:
    kicks = kick_frames(four_part_midi)
    assert len(kicks) > 0 and set(np.unique(kicks[:, 1] > 0)) == {True}
    n = int(kicks[:, 0].max()) + 2 * SAMPLE_RATE
    gain = duck_gain(kicks, 0, n)
    frame, velocity = kicks[0]
    deepest = 20 * np.log10(gain[frame : frame + 2000].min())
    assert deepest == pytest.approx(-DUCK_DB * velocity / 127, abs=0.3)
    assert gain.max() <= 1.0 and gain[n - 10] == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(duck_gain(kicks, 5000, n), gain[5000:], atol=1e-6)


def test_mix_1_master_is_the_chain_it_always_was() -> None:
    from pedalboard import Chain, Compressor, HighpassFilter, LowpassFilter, Reverb

    from lofi.audio.tape import wow

    rng = np.random.default_rng(1)
    audio = (rng.standard_normal((SAMPLE_RATE, 2)) * 0.1).astype(np.float32)
    tape = Tape(1.0, 9500.0)
    old = Chain([
        HighpassFilter(cutoff_frequency_hz=30.0),
        LowpassFilter(cutoff_frequency_hz=9500.0),
        Reverb(room_size=0.3, damping=0.6, wet_level=0.12, dry_level=0.9, width=0.8),
        Compressor(threshold_db=-20.0, ratio=2.5, attack_ms=20.0, release_ms=250.0),
    ])  # fmt: skip
    expected = old(wow(audio, 1.0).T, SAMPLE_RATE).T
    np.testing.assert_array_equal(tape_and_room(audio, tape, MONO_MIX), expected)
    assert not np.array_equal(tape_and_room(audio, tape, Mix()), expected)


@pytest.mark.parametrize("brightness_hz", [3000.0, 9500.0])
def test_brightness_keeps_more_air_in_mix_2_than_mix_1s_low_pass(brightness_hz) -> None:
    from lofi.audio.meter import band_shares

    rng = np.random.default_rng(2)
    noise = (rng.standard_normal((2 * SAMPLE_RATE, 2)) * 0.05).astype(np.float32)
    tape = Tape(0.0, brightness_hz)
    low_pass = band_shares(tape_and_room(noise, tape, MONO_MIX))[2]
    shelf = band_shares(tape_and_room(noise, tape, Mix(saturation_db=0.0)))[2]
    assert shelf > 1.2 * low_pass and shelf < band_shares(noise)[2]


def test_mix_2_is_the_mix_it_shipped_with() -> None:
    """Version 2's places and master chain, written out as shipped (its recipes' sound)."""
    from pedalboard import (
        Chain,
        Compressor,
        Distortion,
        Gain,
        HighpassFilter,
        HighShelfFilter,
        LowpassFilter,
        LowShelfFilter,
    )

    from lofi.audio.tape import wow

    assert PLACES[2] == {
        "chords": Place(spread=0.75, send_db=-6.0, highpass_hz=160.0, level_db=-2.0, ducks=True),
        "melody": Place(pan=0.25, spread=0.3, send_db=-8.0, highpass_hz=200.0, ducks=True),
        "bass": Place(highpass_hz=35.0, level_db=-3.0),
        "drums": Place(send_db=-20.0, highpass_hz=30.0, level_db=3.0),
    }
    rng = np.random.default_rng(3)
    audio = (rng.standard_normal((SAMPLE_RATE, 2)) * 0.1).astype(np.float32)
    old = Chain([
        HighpassFilter(cutoff_frequency_hz=30.0),
        LowShelfFilter(cutoff_frequency_hz=120.0, gain_db=-2.5, q=0.5),
        HighShelfFilter(cutoff_frequency_hz=9500.0, gain_db=-3.0, q=0.5),
        LowpassFilter(cutoff_frequency_hz=19000.0),
        Distortion(drive_db=4.0),
        Gain(gain_db=-4.0),
        Compressor(threshold_db=-20.0, ratio=2.5, attack_ms=20.0, release_ms=250.0),
    ])  # fmt: skip
    expected = old(wow(audio, 1.0).T, SAMPLE_RATE).T
    v2 = Mix(version=2, saturation_db=4.0)
    np.testing.assert_array_equal(tape_and_room(audio, Tape(1.0, 9500.0), v2), expected)
    v3 = Mix(version=3, saturation_db=4.0)
    assert not np.array_equal(tape_and_room(audio, Tape(1.0, 9500.0), v3), expected)


def test_version_3_keeps_the_low_end_under_the_keys_and_lifts_the_hats(
    four_part_midi, instruments
) -> None:
    from lofi.audio.meter import band_shares

    v2 = render_placed(four_part_midi, instruments, Mix(2, reverb_db=-30.0, ducking=False))
    v3 = render_placed(four_part_midi, instruments, Mix(3, reverb_db=-30.0, ducking=False))

    def rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))

    assert rms(v3["bass"]) < rms(v2["bass"]) * 10 ** (-1.5 / 20)  # the bass lower
    assert rms(v3["chords"].mean(axis=1)) > rms(v2["chords"].mean(axis=1))  # the keys up
    assert band_shares(v3["drums"])[2] > 1.2 * band_shares(v2["drums"])[2]  # brighter hats
    np.testing.assert_allclose(v3["bass"][:, 0], v3["bass"][:, 1], atol=1e-6)  # still centred


def test_the_players_master_names_the_servers_settings(four_part_midi) -> None:
    from lofi.audio.tape import TONES, player_master

    tape = Tape(1.0, 6000.0)
    assert player_master(tape, MONO_MIX, four_part_midi) == {"stereo": False}
    master = player_master(tape, Mix(3, saturation_db=6.0, dusty=True), four_part_midi)
    assert (master["shelf_db"], master["low_shelf_db"]) == (
        TONES[3].shelf_db,
        TONES[3].low_shelf_db,
    )
    assert (master["top_hz"], master["saturation_db"], master["dusty"]["bits"]) == (
        12000.0,
        6.0,
        12,
    )
    kicks = kick_frames(four_part_midi)
    assert [k[0] for k in master["duck"]["kicks"]] == pytest.approx(kicks[:, 0] / SAMPLE_RATE)
    assert master["duck"]["depth_db"] == DUCK_DB
    assert player_master(tape, Mix(3, ducking=False), four_part_midi)["duck"] is None
