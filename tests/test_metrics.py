import math

import pytest

from lofi.core.types import Key, Note, Part, Song
from lofi.tools.metrics import groove_consistency, pitch_class_entropy, scale_consistency


def _song(pitches: list[int], drum_onsets: list[list[float]] | None = None) -> Song:
    notes = tuple(Note(p, float(i), 1.0, 80) for i, p in enumerate(pitches))
    drums = tuple(
        Note(36, bar * 4 + t, 0.25, 90)
        for bar, onsets in enumerate(drum_onsets or [])
        for t in onsets
    )
    bars = max(len(drum_onsets or []), math.ceil(len(pitches) / 4), 1)
    parts = (Part("melody", notes), Part("drums", drums, is_drum=True))
    return Song(Key(0, "major"), 80.0, bars, parts, (), ())


def test_entropy_of_one_pitch_class_is_zero_and_of_twelve_is_log12() -> None:
    assert pitch_class_entropy(_song([60, 72, 48])) == 0.0
    assert pitch_class_entropy(_song(list(range(60, 72)))) == pytest.approx(math.log2(12))


def test_scale_consistency() -> None:
    assert scale_consistency(_song([60, 62, 64, 65, 67, 69, 71])) == 1.0
    assert scale_consistency(_song(list(range(60, 72)))) == pytest.approx(7 / 12)


def test_groove_consistency_counts_changed_onsets() -> None:
    same = _song([], [[0, 1, 2, 3]] * 4)
    assert groove_consistency(same) == 1.0
    changed = _song([], [[0, 1, 2, 3], [0, 1, 2, 3.5]])
    assert groove_consistency(changed, resolution=4) == pytest.approx(1 - 2 / 16)
