"""Swing: each piece's ratio found from its onsets, taken out for the models, put back in songs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lofi.core.types import Note
from lofi.encoding.bass import encode_bass
from lofi.encoding.comping import encode_comping, learn_voicings
from lofi.encoding.swing import (
    STRAIGHT,
    straight_piece,
    straightened,
    swing_ratio,
    swung,
)
from lofi.encoding.tokens import encode_melody
from lofi.encoding.vocab import vocabulary
from tests.factories import make_piece


def swing_notes(notes: tuple[Note, ...], ratio: float) -> tuple[Note, ...]:
    """Notes played swung: onsets and ends moved by `ratio`."""
    return tuple(
        Note(
            n.pitch,
            round(swung(n.onset, ratio), 4),
            round(swung(n.onset + n.duration, ratio) - swung(n.onset, ratio), 4),
            n.velocity,
        )
        for n in notes
    )


@pytest.mark.parametrize("ratio", [7 / 12, 2 / 3, 17 / 24])
def test_a_swung_piece_is_found_and_straightened_back_onto_its_grid(ratio: float) -> None:
    piece = make_piece(bars=8)
    played = replace(
        piece, notes=swing_notes(piece.notes, ratio), melody=swing_notes(piece.melody, ratio)
    )
    assert swing_ratio(played.notes) == pytest.approx(ratio)
    assert swing_ratio(piece.notes) == STRAIGHT
    back = straight_piece(played)
    assert [n.pitch for n in back.notes] == [n.pitch for n in piece.notes]
    assert np.allclose([n.onset for n in back.notes], [n.onset for n in piece.notes], atol=1e-3)
    assert np.allclose(
        [n.duration for n in back.melody], [n.duration for n in piece.melody], atol=1e-3
    )
    assert straight_piece(piece) is piece  # a straight piece is left as it is


def test_straightening_and_swinging_are_inverse_and_keep_the_beats() -> None:
    times = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 3.5, 7.125])
    for ratio in (0.5, 0.6, 2 / 3):
        back = np.array([swung(t, ratio) for t in straightened(times, ratio)])
        assert np.allclose(back, times)
    assert swung(2.5, 2 / 3) == pytest.approx(2 + 2 / 3) and swung(3.0, 2 / 3) == 3.0


def test_a_few_triplets_leave_a_piece_straight() -> None:
    piece = make_piece(bars=8)
    extra = tuple(Note(72, bar * 4 + 2 + 2 / 3, 0.25, 70) for bar in range(2))
    assert swing_ratio(piece.notes + extra) == STRAIGHT
    assert swing_ratio(()) == STRAIGHT


def test_the_models_learn_a_swung_piece_as_its_straight_twin() -> None:
    piece = make_piece(bars=8)
    played = replace(
        piece, notes=swing_notes(piece.notes, 2 / 3), melody=swing_notes(piece.melody, 2 / 3)
    )
    melody = vocabulary("melody")
    a, b = encode_melody(piece, melody), encode_melody(played, melody)
    assert all(np.array_equal(a.inputs[k], b.inputs[k]) for k in a.inputs)
    assert all(np.array_equal(a.targets[k], b.targets[k]) for k in a.targets)
    bass = vocabulary("bass")
    low = tuple(Note(36, float(t), 0.5, 90) for t in np.arange(0, 32, 0.5))
    a, b = encode_bass(piece, bass, low), encode_bass(played, bass, swing_notes(low, 2 / 3))
    assert all(np.array_equal(a.targets[k], b.targets[k]) for k in a.targets)
    assert np.array_equal(a.inputs["position"], b.inputs["position"])
    assert set(a.inputs["position"] % 2) == {0}  # the swung eighths came back onto eighths
    comping = vocabulary("comping", learn_voicings([piece]))
    a, b = encode_comping(piece, comping), encode_comping(played, comping)
    assert all(np.array_equal(a.targets[k], b.targets[k]) for k in a.targets)
