"""The melody's explicit options: density and register move what the model plays, on request."""

from __future__ import annotations

import numpy as np
import pytest

from lofi.compose.song import compose
from lofi.core.errors import ConfigError
from lofi.core.types import GenerationConfig, Key, SamplingConfig
from lofi.service.recipe import validate_config


def _melody(models, **options) -> tuple[float, float, list[int]]:
    """Notes per main bar and mean pitch of the melody over six songs."""
    per_bar, pitches = [], []
    for seed in range(6):
        sampling = SamplingConfig(**options)
        song = compose(GenerationConfig(seed, Key.parse("A-minor"), 80.0, 24, sampling), models)
        notes = song.part("melody").notes
        per_bar.append(len(notes) / song.sections[1].bars)
        pitches += [n.pitch for n in notes]
    return float(np.mean(per_bar)), float(np.mean(pitches)), pitches


def test_density_moves_the_number_of_notes(models) -> None:
    sparse, _, _ = _melody(models, density=0.5)
    learned, _, _ = _melody(models)
    busy, _, _ = _melody(models, density=2.0)
    assert sparse < 0.8 * learned and busy > 1.2 * learned


def test_register_moves_the_melody_and_bounds_it(models) -> None:
    _, low_mean, low = _melody(models, register_low=40, register_high=64)
    _, high_mean, high = _melody(models, register_low=72, register_high=96)
    assert high_mean > low_mean + 12
    assert all(40 <= p <= 64 for p in low) and all(72 <= p <= 96 for p in high)


def test_out_of_range_options_are_refused() -> None:
    for sampling in (
        SamplingConfig(density=0.1),
        SamplingConfig(register_low=70, register_high=75),
        SamplingConfig(register_low=-3, register_high=60),
    ):
        with pytest.raises(ConfigError, match=r"density|register"):
            validate_config(GenerationConfig(sampling=sampling))
