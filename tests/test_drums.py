"""Drum parts as bar-step tokens: real MIDI in, the same hits out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lofi.core.types import Note
from lofi.data.channel_reader import read_drums
from lofi.encoding.drums import KIT_PITCH, decode_drums, encode_drums, kit_piece
from lofi.encoding.vocab import drum_vocabulary
from tests.factories import GROOVE, write_groove_midi


def test_real_midi_drums_round_trip_with_swing_and_accents(tmp_path: Path) -> None:
    path = tmp_path / "groove.mid"
    write_groove_midi(path, bars=2)
    hits = read_drums(path)
    assert len(hits) == 2 * len(GROOVE)
    seq = encode_drums(hits)
    assert len(seq) == 32  # two bars of sixteenths
    vocab = drum_vocabulary()
    for name, arr in seq.targets.items():
        assert arr.min() >= 1 and arr.max() < vocab.size(name)
    decoded = decode_drums(seq.targets)
    expected = set()
    for bar in range(2):
        for step, pitch, _velocity, late in GROOVE:
            loudest = max(v for s, _p, v, _l in GROOVE if s == step)
            onset = round(bar * 4 + step / 4 + late, 4)
            expected.add((KIT_PITCH[kit_piece(pitch)], onset, loudest))
    assert {(n.pitch, n.onset, n.velocity) for n in decoded} == expected
    # The swing survives: every off-beat eighth hat sits 0.075 beats late.
    offbeats = [n.onset % 1 for n in decoded if n.pitch == 42 and 0.4 < n.onset % 1 < 0.7]
    assert offbeats and np.allclose(offbeats, 0.575)


def test_empty_bars_inside_a_part_are_kept_and_edges_trimmed() -> None:
    hits = [Note(36, 4.0, 0.25, 100), Note(38, 13.0, 0.25, 90)]
    seq = encode_drums(hits)
    assert len(seq) == 3 * 16  # bars 1..3 (bar 0 holds nothing)
    assert int((seq.targets["hits"] > 1).sum()) == 2
    assert [n.onset for n in decode_drums(seq.targets, start=4.0)] == [4.0, 13.0]


def test_kit_maps_general_midi_drums() -> None:
    assert kit_piece(35) == kit_piece(36) == 0
    assert kit_piece(40) == 1 and kit_piece(44) == 2 and kit_piece(46) == 3
    assert kit_piece(51) == kit_piece(49) == 4 and kit_piece(64) == 5
