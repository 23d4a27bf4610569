"""Density: each part's onsets per bar in its piece, a model input, and a song's from its feel."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lofi.core.errors import CheckpointError, VocabularyError
from lofi.core.types import Note, Piece
from lofi.encoding.bass import encode_bass
from lofi.encoding.comping import comp_notes, encode_comping, learn_voicings
from lofi.encoding.density import (
    FALLBACK_DENSITY,
    bar_bins,
    bar_density_steps,
    bar_density_tokens,
    density_bin,
    density_tokens,
)
from lofi.encoding.tokens import encode_melody
from lofi.encoding.vocab import (
    BAR_DENSITY,
    DENSITY,
    DENSITY_TOKENS,
    Vocabulary,
    melody_vocabulary,
    vocabulary,
    without,
)
from lofi.models.timing import PARTS, fit_timing, read_timing, write_timing
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
    old = without(melody_vocabulary(), DENSITY)
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


def _without_bar(piece: Piece, bar: int) -> Piece:
    """The piece with the accompaniment (every note but the tune) of one bar taken out."""
    tune = set(piece.melody)
    kept = tuple(n for n in piece.notes if n in tune or not bar * 4 <= n.onset < bar * 4 + 4)
    return replace(piece, notes=kept)


def test_the_comping_hears_its_own_bars_density() -> None:
    eighths = [Note(60, 0.5 * i, 0.5, 80) for i in range(8)] + [Note(60, 8.0, 4.0, 80)]
    assert bar_bins(eighths, 4) == (6, 0, 1, 0)  # 8 onsets, a silent bar, one, none yet
    assert list(bar_density_steps((5, 0), 48)) == [5] * 16 + [0] * 16 + [5] * 16  # repeated
    piece = _without_bar(make_piece(bars=4), 2)
    vocab = vocabulary("comping", learn_voicings([piece]))
    seq = encode_comping(piece, vocab)
    heard = seq.inputs[BAR_DENSITY].reshape(-1, 16)
    assert (heard == heard[:, :1]).all()  # one bin per bar
    assert list(heard[:, 0]) == list(bar_bins(comp_notes(piece), 4))
    assert heard[2, 0] == 0 and heard[:2, 0].min() > 0  # the silent bar is heard as silent
    assert bar_density_tokens(without(vocab, BAR_DENSITY), (3,), None, 16) is None
    fallback = DENSITY_TOKENS.index(FALLBACK_DENSITY)
    assert set(bar_density_tokens(vocab, (), None, 32)) == {fallback}  # type: ignore[arg-type]
    assert set(bar_density_tokens(vocab, (), 2, 32)) == {2}  # type: ignore[arg-type]


def test_each_feel_keeps_its_pieces_accompaniment_bar_by_bar(tmp_path: Path) -> None:
    pieces = [_without_bar(make_piece(tonic=i, bars=8, name=f"p{i}"), i) for i in range(3)]
    model = fit_timing(pieces)
    for i, piece in enumerate(pieces):
        bars = model.comping_bars(i)
        assert bars == bar_bins(comp_notes(piece), 8) and bars[i] == 0
    path = tmp_path / "timing.json"
    write_timing(model, path)
    assert read_timing(path).comping == model.comping
    data = json.loads(path.read_text())
    data["comping_bars"][1] = [3, 42]
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="comping bars"):
        read_timing(path)
    del data["comping_bars"]
    path.write_text(json.dumps(data))
    assert read_timing(path).comping_bars(0) == ()  # a file from before: the piece's bin
