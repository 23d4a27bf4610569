import math

import numpy as np
import pytest

from lofi.audio.mix import combine, loop_effect, master
from lofi.core.constants import SAMPLE_RATE
from tests.factories import rms


def _tone(seconds: float, freq: float, amp: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x, x], axis=1)


@pytest.fixture(scope="module")
def stems():
    return {"chords": _tone(6.0, 220.0, 0.2), "bass": _tone(6.0, 55.0, 0.3)}


@pytest.fixture(scope="module")
def bed():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((SAMPLE_RATE, 2)) * 0.1).astype(np.float32)


def test_an_effect_at_minus_infinity_leaves_the_dry_mix(stems, bed) -> None:
    dry = combine(stems, {})
    np.testing.assert_array_equal(combine(stems, {"rain": (bed, -math.inf)}), dry)


def test_a_louder_effect_adds_more(stems, bed) -> None:
    dry = combine(stems, {}, 0.0, 0.0)
    at_0 = combine(stems, {"rain": (bed, 0.0)}, 0.0, 0.0) - dry
    at_6 = combine(stems, {"rain": (bed, 6.0)}, 0.0, 0.0) - dry
    assert rms(at_6) / rms(at_0) == pytest.approx(10 ** (6 / 20), rel=0.05)
    # the one-second bed is looped over all six seconds
    assert rms(at_0[-2 * SAMPLE_RATE : -SAMPLE_RATE]) > 0.5 * rms(
        at_0[SAMPLE_RATE : 2 * SAMPLE_RATE]
    )


def test_fades(stems) -> None:
    mix = combine(stems, {}, fade_in_s=1.0, fade_out_s=1.0)
    assert np.abs(mix[0]).max() == 0.0 and np.abs(mix[-1]).max() < 1e-6
    assert rms(mix[2 * SAMPLE_RATE : 3 * SAMPLE_RATE]) > 0.1


def test_master_meets_loudness_and_true_peak() -> None:
    import pyloudnorm
    from scipy import signal

    rng = np.random.default_rng(3)
    music = _tone(20.0, 330.0, 0.05) + _tone(20.0, 110.0, 0.05)
    music[::11025] += 0.9 * rng.choice([-1, 1], (len(music[::11025]), 2))  # sharp peaks
    out = master(music.astype(np.float32))
    # measured independently: pyloudnorm's meter and a full 4x oversampling
    assert pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(out) == pytest.approx(-14.0, abs=0.5)
    oversampled = signal.resample_poly(out.astype(np.float64), 4, 1, axis=0)
    assert 20 * math.log10(np.abs(oversampled).max()) <= -1.0 + 0.05
    assert out.shape == music.shape
    np.testing.assert_array_equal(master(music.astype(np.float32)), out)


def test_master_leaves_silence_silent() -> None:
    silence = np.zeros((3 * SAMPLE_RATE, 2), np.float32)
    np.testing.assert_array_equal(master(silence), silence)


def test_a_short_bed_loops_with_the_same_seam_every_time() -> None:
    rng = np.random.default_rng(2)
    bed = (rng.standard_normal((SAMPLE_RATE // 2, 2)) * 0.1).astype(np.float32)
    looped = loop_effect(bed, 20 * SAMPLE_RATE, -6.0)
    assert looped.shape == (20 * SAMPLE_RATE, 2)
    # After the first copy the loop repeats exactly, every period a little shorter than the bed
    # (the crossfade overlaps the copies).
    period = next(
        p
        for p in range(len(bed) // 4, len(bed))
        if np.array_equal(looped[p : 2 * p], looped[2 * p : 3 * p])
    )
    np.testing.assert_array_equal(
        looped[5 * period : 6 * period], looped[30 * period : 31 * period]
    )
    assert rms(looped[-period:]) == pytest.approx(rms(bed) * 10 ** (-6 / 20), rel=0.2)


def test_the_loop_seam_keeps_the_level_of_noise() -> None:
    # equal-power crossfade: two uncorrelated noises faded against each other keep their power
    rng = np.random.default_rng(4)
    bed = (rng.standard_normal((SAMPLE_RATE * 2, 2)) * 0.1).astype(np.float32)
    looped = loop_effect(bed, 10 * SAMPLE_RATE, 0.0)
    period = len(bed) - SAMPLE_RATE // 2
    seam = looped[period : period + SAMPLE_RATE // 2]
    assert rms(seam) == pytest.approx(rms(bed), rel=0.05)
    np.testing.assert_array_equal(looped[:period], bed[:period])
