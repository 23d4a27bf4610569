"""Never repeats: fragments, the repeated share, drift within limits, redraws on collision."""

import dataclasses

import numpy as np
import pytest

from lofi.compose.song import compose
from lofi.core.errors import ConfigError
from lofi.core.types import GenerationConfig, Key
from lofi.service.novelty import (
    DriftLimits,
    History,
    distinct,
    drift,
    first_config,
    fragments,
    repeated_share,
)


def _playlist(models, n: int, seed: int = 3) -> list:
    limits = DriftLimits(keys=("A-minor", "C-major"), bpm_range=(70.0, 80.0))
    rng = np.random.default_rng(seed)
    history = History()
    config = first_config(limits, 16, rng)
    songs = []
    for _ in range(n):
        config, song = distinct(config, lambda c: compose(c, models), history, rng)
        songs.append(song)
        config = drift(config, limits, rng)
    return songs


def test_a_drawn_playlist_repeats_nothing_and_a_duplicate_does(models) -> None:
    songs = _playlist(models, 4)
    assert all(fragments(s) for s in songs)
    assert repeated_share(songs) == 0.0
    assert repeated_share([*songs, songs[1]]) > 0.0
    # The same tune moved to another key is still the same tune.
    song = songs[0]
    parts = tuple(
        dataclasses.replace(
            p, notes=tuple(dataclasses.replace(n, pitch=n.pitch + 2) for n in p.notes)
        )
        for p in song.parts
    )
    moved = dataclasses.replace(
        song, key=Key((song.key.tonic + 2) % 12, song.key.mode), parts=parts
    )
    if song.key.tonic + 2 < 12:
        assert fragments(moved) == fragments(song)


def test_a_collision_is_drawn_again(models) -> None:
    config = GenerationConfig(seed=4, bars=16)
    history = History()
    history.add(compose(config, models))
    used, song = distinct(config, lambda c: compose(c, models), history, np.random.default_rng(0))
    assert used.seed != config.seed and history.redraws >= 1
    assert not history.seen.isdisjoint(fragments(song))  # it joined the history


def test_drift_stays_within_the_limits() -> None:
    limits = DriftLimits(keys=("D-minor", "F-major"), bpm_range=(72.0, 76.0), energy=0.0)
    rng = np.random.default_rng(1)
    config = first_config(limits, 32, rng)
    for _ in range(50):
        config = drift(config, limits, rng)
        assert config.key.name in limits.keys and 72.0 <= config.bpm <= 76.0
        assert config.sampling.temperature == 0.7 and config.bars == 32
    with pytest.raises(ConfigError):
        DriftLimits(bpm_range=(90.0, 120.0)).checked()
