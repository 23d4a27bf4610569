"""The sound report's figures on signals whose answers are known."""

import math

import numpy as np
import pytest

from lofi.audio.meter import band_shares, crest_db, measure, stereo_figures
from lofi.core.constants import SAMPLE_RATE


def _sine(hz: float, seconds: float = 2.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_a_mono_sine_is_centred_at_its_frequency_and_has_no_side() -> None:
    tone = _sine(1000.0)
    report = measure(np.stack([tone, tone], axis=1))
    assert report.centroid_hz == pytest.approx(1000.0, rel=0.02)
    assert report.correlation == pytest.approx(1.0) and report.side_mid == pytest.approx(0.0)
    assert report.low_share < 0.01 and report.air_share < 0.01
    assert math.isnan(report.drum_crest_db)


def test_the_bands_split_the_energy_by_frequency() -> None:
    low, high = _sine(100.0), _sine(8000.0)
    centroid, low_share, air_share = band_shares(np.stack([low + high, low + high], axis=1))
    assert low_share == pytest.approx(0.5, abs=0.02) and air_share == pytest.approx(0.5, abs=0.02)
    assert centroid == pytest.approx(4050.0, rel=0.05)


def test_unrelated_channels_correlate_near_zero_and_opposite_ones_at_minus_one() -> None:
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((SAMPLE_RATE, 2)).astype(np.float32) * 0.1
    assert abs(stereo_figures(noise)[0]) < 0.02
    assert stereo_figures(noise)[1] == pytest.approx(1.0, rel=0.05)
    tone = _sine(440.0)
    assert stereo_figures(np.stack([tone, -tone], axis=1))[0] == pytest.approx(-1.0)


def test_crest_factor_of_a_sine_is_3_db_and_a_click_track_is_higher() -> None:
    assert crest_db(_sine(440.0)) == pytest.approx(20 * math.log10(math.sqrt(2)), abs=0.01)
    clicks = np.zeros(SAMPLE_RATE, np.float32)
    clicks[:: SAMPLE_RATE // 4] = 1.0
    assert crest_db(clicks) > 30
