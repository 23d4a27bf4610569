import numpy as np
import pytest

from lofi.audio.tape import FLUTTER_MS, WOW_MS, tape_and_room, wow
from lofi.core.constants import SAMPLE_RATE


def _tone(freq: float, amp: float = 0.01, seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x, x], axis=1)


def _gain_db(freq: float) -> float:
    """The chain's gain for a quiet tone (under the compressor's threshold), settled."""
    x = _tone(freq)
    y = tape_and_room(x)
    return float(10 * np.log10(np.mean(y[SAMPLE_RATE:] ** 2) / np.mean(x[SAMPLE_RATE:] ** 2)))


def test_wow_is_a_delay_that_swings_by_its_depth() -> None:
    ramp = np.repeat(np.arange(4 * SAMPLE_RATE, dtype=np.float32)[:, None], 2, axis=1)
    delay = ramp[:, 0] - wow(ramp)[:, 0]  # a ramp delayed by d frames reads k - d
    most = 2 * (WOW_MS + FLUTTER_MS) * SAMPLE_RATE / 1000
    assert delay.min() >= 0.0 and delay.max() <= most + 1e-3
    assert delay.max() - delay.min() > 0.9 * 2 * WOW_MS * SAMPLE_RATE / 1000


def test_tape_band_is_3_db_down_at_its_corners() -> None:
    mid = _gain_db(1000.0)
    assert _gain_db(30.0) - mid == pytest.approx(-3.0, abs=1.5)
    assert _gain_db(9500.0) - mid == pytest.approx(-3.0, abs=1.5)
    assert _gain_db(15000.0) - mid < -9.0
