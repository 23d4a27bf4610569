"""Density: each part's onsets per bar in its piece, a model input, and a song's from its feel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lofi.core.errors import CheckpointError, VocabularyError
from lofi.core.types import Note
from lofi.encoding.bass import encode_bass
from lofi.encoding.comping import comp_notes, encode_comping, learn_voicings
from lofi.encoding.density import FALLBACK_DENSITY, density_bin, density_tokens
from lofi.encoding.tokens import encode_melody
from lofi.encoding.vocab import (
    DENSITY,
    DENSITY_TOKENS,
    Vocabulary,
    melody_vocabulary,
    vocabulary,
    without_density,
)
from lofi.learn.timing import PARTS, fit_timing, read_timing, write_timing
from tests.factories import make_piece


def test_the_bin_counts_distinct_onsets_per_bar_where_the_part_plays() -> None:
    eighths = [Note(60 + i % 3, 0.5 * i, 0.5, 80) for i in range(8)]  # one bar of eighths
    assert DENSITY_TOKENS[density_bin(eighths)] == "d6"  # 8 a bar: [8, 11)
    chords = [Note(p, float(b), 1.0, 70) for b in range(4) for p in (60, 64, 67)]
    assert DENSITY_TOKENS[density_bin(chords)] == "d3"  # 4 strikes a bar: [3, 4.5)
    # Bars where the part rests do not thin it out: the same bar again 15 bars later.
    later = [Note(n.pitch, n.onset + 64, n.duration, n.velocity) for n in chords]
    assert density_bin(chords + later) == density_bin(chords)
    assert density_bin([]) == 0


def test_every_step_of_a_sequence_carries_its_parts_density() -> None:
    piece = make_piece(bars=8)
    melody = encode_melody(piece, vocabulary("melody"))
    assert set(melody.inputs[DENSITY]) == {density_bin(piece.melody)}
    assert len(melody.inputs[DENSITY]) == len(melody)
    low = tuple(Note(36, float(t), 1.0, 90) for t in range(32))
    bass = encode_bass(piece, vocabulary("bass"), low)
    assert set(bass.inputs[DENSITY]) == {density_bin(low)} == {3}
    comping = encode_comping(piece, vocabulary("comping", learn_voicings([piece])))
    assert set(comping.inputs[DENSITY]) == {density_bin(comp_notes(piece))}
    # A model of the chords has no density input.
    assert DENSITY not in vocabulary("chords").inputs


def test_a_vocabulary_from_before_the_density_input_still_loads(tmp_path: Path) -> None:
    old = without_density(melody_vocabulary())
    old.save(tmp_path / "vocab.json")
    assert Vocabulary.load(tmp_path / "vocab.json", "melody") == old
    assert density_tokens(old, 3) == {}  # its models are fed nothing new
    current = melody_vocabulary()
    assert density_tokens(current, 3) == {DENSITY: 3}
    assert density_tokens(current, None) == {DENSITY: DENSITY_TOKENS.index(FALLBACK_DENSITY)}
    data = json.loads((tmp_path / "vocab.json").read_text())
    data["inputs"][DENSITY] = ["d0", "d1"]  # neither this version's nor the one before
    (tmp_path / "vocab.json").write_text(json.dumps(data))
    with pytest.raises(VocabularyError, match="retrain"):
        Vocabulary.load(tmp_path / "vocab.json", "melody")


def test_each_feel_keeps_its_pieces_densities(tmp_path: Path) -> None:
    pieces = [make_piece(tonic=i, bars=8, name=f"p{i}") for i in range(3)]
    model = fit_timing(pieces)
    assert len(model.density) == 3 and all(len(row) == len(PARTS) for row in model.density)
    densities = model.densities(0)
    assert densities["melody"] == density_bin(pieces[0].melody)
    assert densities["chords"] == density_bin(comp_notes(pieces[0]))
    path = tmp_path / "timing.json"
    write_timing(model, path)
    assert read_timing(path).density == model.density
    data = json.loads(path.read_text())
    data["density"][1] = [0, 99, 0]
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="density"):
        read_timing(path)
    del data["density"]
    path.write_text(json.dumps(data))
    assert read_timing(path).densities(0) == {}  # a file from before: the models' fallback
    assert np.array_equal(read_timing(path).feels, model.feels)
