"""The scale predictions are linear in the measured costs and divide by the workers."""

import pytest

from lofi.tools.scale import LAKH_FILES, predict

COSTS = {
    "parse_ms_per_file": 100.0,
    "encode_ms_per_file": 50.0,
    "melody_windows_per_file": 100.0,
    "windows_per_file": 120.0,
    "bytes_per_window": 400.0,
    "train_ms_per_window": 1.0,
}


def test_prediction_scales_with_files_and_workers() -> None:
    one = predict(COSTS, 36_000, 1)
    assert one["prepare_hours"] == pytest.approx(36_000 * 0.15 / 3600)
    assert one["epoch_hours"] == pytest.approx(36_000 * 100 * 0.001 / 3600)
    assert one["shard_gb"] == pytest.approx(36_000 * 120 * 400 / 1e9)
    four = predict(COSTS, 36_000, 4)
    assert four["prepare_hours"] == pytest.approx(one["prepare_hours"] / 4)
    assert four["epoch_hours"] == pytest.approx(one["epoch_hours"] / 4)
    assert predict(COSTS, LAKH_FILES, 1)["melody_windows_millions"] == pytest.approx(17.6581)
