import math

import numpy as np
import pytest

from lofi.audio.loudness import loudness_lufs, normalize, true_peak_dbtp
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import LofiError


def _tone(seconds: float, freq: float, amp: float, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    x = (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)
    return np.stack([x, x], axis=1)


def test_a_sine_at_minus_20_dbfs_in_both_channels_reads_minus_20_lufs() -> None:
    # BS.1770: a full-scale 1 kHz sine in one channel reads -3.01 LUFS
    assert loudness_lufs(_tone(5.0, 997.0, 0.1)) == pytest.approx(-20.0, abs=0.1)
    left_only = _tone(5.0, 997.0, 1.0)
    left_only[:, 1] = 0.0
    assert loudness_lufs(left_only) == pytest.approx(-3.01, abs=0.1)


def test_silence_and_too_short_audio() -> None:
    assert loudness_lufs(np.zeros((SAMPLE_RATE, 2), np.float32)) == -math.inf
    with pytest.raises(LofiError, match="shorter"):
        loudness_lufs(np.zeros((100, 2), np.float32))


def test_true_peak_finds_the_peak_between_samples() -> None:
    # a quarter-rate sine sampled 45 degrees off its crests: samples at -3 dB of the true peak
    x = _tone(1.0, SAMPLE_RATE / 4, 0.5, math.pi / 4)
    assert 20 * math.log10(np.abs(x).max()) == pytest.approx(-9.03, abs=0.01)
    assert true_peak_dbtp(x) == pytest.approx(20 * math.log10(0.5), abs=0.15)


def test_true_peak_agrees_with_full_oversampling() -> None:
    from scipy import signal

    rng = np.random.default_rng(5)
    music = _tone(8.0, 440.0, 0.3) * np.linspace(0.0, 1.0, 8 * SAMPLE_RATE)[:, None] ** 2
    music[SAMPLE_RATE::4410] = 0.8 * rng.choice([-1, 1], (len(music[SAMPLE_RATE::4410]), 2))
    oversampled = signal.resample_poly(music, 4, 1, axis=0)
    reference_peak = 20 * math.log10(np.abs(oversampled).max())
    assert true_peak_dbtp(music.astype(np.float32)) == pytest.approx(reference_peak, abs=1e-3)
    assert true_peak_dbtp(np.zeros((100, 2), np.float32)) == -math.inf


@pytest.mark.parametrize("amp", [0.01, 0.9])
def test_normalize_reaches_the_target_from_quiet_and_loud(amp: float) -> None:
    out = normalize(_tone(6.0, 220.0, amp) + _tone(6.0, 3000.0, amp / 4))
    assert loudness_lufs(out) == pytest.approx(-14.0, abs=0.1)
    assert true_peak_dbtp(out) <= -1.0
