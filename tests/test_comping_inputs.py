"""What the comping model hears besides its chords: the tune above it and its own bar."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lofi.compose.accompanist import CompSampler
from lofi.core.errors import VocabularyError
from lofi.core.types import Note, SamplingConfig
from lofi.encoding.chord_context import root_of
from lofi.encoding.comping import (
    STEP,
    ceiling_inputs,
    encode_comping,
    learn_voicings,
    piece_strikes,
)
from lofi.encoding.density import density_tokens
from lofi.encoding.vocab import (
    BAR_DENSITY,
    CEILING,
    CEILING_TOKENS,
    DENSITY,
    NONE,
    Vocabulary,
    comping_vocabulary,
    without,
)
from lofi.learn.export import to_step_model
from lofi.learn.models import ModelSize, build_model, chord_bias_name
from lofi.models.network import chord_biased
from lofi.models.sampler import StepModel
from tests.factories import make_piece

VOCAB = comping_vocabulary(("0.4.7", "0.3.7"))


def test_a_step_hears_the_tunes_pitch_above_its_chords_root() -> None:
    chords = ["I"] * 8 + ["V"] * 8  # root 0 for two beats, then root 7
    tune = [Note(72, 0.0, 1.0, 80), Note(79, 2.0, 1.0, 80), Note(120, 3.0, 1.0, 80)]
    ceiling = ceiling_inputs(VOCAB, tune, chords)
    assert ceiling is not None
    tokens = [CEILING_TOKENS[i] for i in ceiling]
    assert tokens[:4] == ["72"] * 4  # C5 above the root C
    assert tokens[4:8] == ["79"] * 4  # a rest hears the tune's next note
    assert tokens[8:12] == ["72"] * 4  # G5 above the root G
    assert tokens[12:] == [CEILING_TOKENS[-1]] * 4  # out of range: clipped
    assert len(ceiling_inputs(VOCAB, tune, chords, first=4)) == 12  # type: ignore[arg-type]
    intro = [CEILING_TOKENS[i] for i in ceiling_inputs(VOCAB, [tune[1]], chords)]  # type: ignore[union-attr]
    assert intro == ["79"] * 8 + ["72"] * 8  # before the tune its first note, after it its last
    assert set(ceiling_inputs(VOCAB, [], chords)) == {CEILING_TOKENS.index(NONE)}  # type: ignore[arg-type]
    assert ceiling_inputs(without(VOCAB, CEILING), tune, chords) is None


def test_every_comping_step_carries_the_tune_in_the_normalised_key() -> None:
    piece = make_piece(bars=4)
    vocab = comping_vocabulary(learn_voicings([piece]))
    seq = encode_comping(piece, vocab)
    assert len(seq.inputs[CEILING]) == len(seq)
    step_chords = piece_strikes(piece)[1]
    heard = [CEILING_TOKENS[i] for i in seq.inputs[CEILING]]
    assert NONE not in heard
    last = piece.melody[-1]
    assert last.onset + last.duration < len(seq) * STEP  # the chords outlast the tune
    assert heard[-1] == str(last.pitch - root_of(step_chords[-1]))
    assert heard[0] == str(piece.melody[0].pitch - root_of(step_chords[0]))
    moved = make_piece(tonic=5, bars=4)  # the same piece a fourth higher
    assert np.array_equal(encode_comping(moved, vocab).inputs[CEILING], seq.inputs[CEILING])


def test_comping_vocabularies_from_before_the_ceiling_still_load(tmp_path: Path) -> None:
    path = tmp_path / "vocab.json"
    for old in (
        without(VOCAB, BAR_DENSITY, CEILING),
        without(VOCAB, BAR_DENSITY, CEILING, DENSITY),
    ):
        old.save(path)
        assert Vocabulary.load(path, "comping") == old
        assert "octave" not in chord_biased(old)  # their models have no ceiling table
    data = json.loads(path.read_text())
    data["inputs"][CEILING] = ["-", "60"]  # neither this version's ceiling nor none
    path.write_text(json.dumps(data))
    with pytest.raises(VocabularyError, match="retrain"):
        Vocabulary.load(path, "comping")


def _octaves_follow_the_ceiling(vocab: Vocabulary) -> StepModel:
    """A comping model that strikes 0.4.7 every step, an octave below the tune's octave."""
    model = build_model(vocab, ModelSize(units=8, layers=1, embedding=4, dropout=0.0), seed=2)
    for head in chord_biased(vocab):
        layer = model.get_layer(chord_bias_name(head))
        table = np.zeros(layer.get_weights()[0].shape)
        for row, token in enumerate(vocab.inputs[CEILING]):
            if head == "voicing":
                table[row, vocab.index("voicing", "0.4.7")] = 60.0
            elif token != NONE:
                octave = min(max(int(token) // 12 - 2, 2), 6)
                table[row, vocab.index("octave", str(octave))] = 60.0
        layer.set_weights([table])
    return to_step_model(model, vocab)


def _comp(model: StepModel, tune: list[Note], bars: tuple[int, ...] = ()) -> list[Note]:
    sampler = CompSampler(model, np.random.default_rng(0), SamplingConfig(temperature=0.5))
    sampler.context = density_tokens(model.vocab, None)
    return sampler.part(["I"] * 32, 8.0, tune, bars)


def test_the_comping_sampler_voices_under_the_tune_it_is_given() -> None:
    model = _octaves_follow_the_ceiling(VOCAB)
    for tune_pitch in (60, 72, 84):
        notes = _comp(model, [Note(tune_pitch, 0.0, 4.0, 80)])
        assert notes and {n.onset for n in notes} == {s * STEP for s in range(32)}
        top = max(n.pitch for n in notes)
        assert tune_pitch - 12 < top < tune_pitch  # the triad an octave under the tune
    old = without(VOCAB, BAR_DENSITY, CEILING)  # a model from before the ceiling ignores the tune
    before = to_step_model(build_model(old, ModelSize(units=8, embedding=4), seed=2), old)
    assert _comp(before, [Note(84, 0.0, 4.0, 80)]) == _comp(before, [])
    assert _comp(before, [], (0, 7)) == _comp(before, [], (7, 0))  # nor the bars
    current = build_model(VOCAB, ModelSize(units=8, embedding=4), seed=2)
    layer = current.get_layer(f"embed_{BAR_DENSITY}")
    layer.set_weights([np.random.default_rng(1).normal(0, 5, layer.get_weights()[0].shape)])
    hears = to_step_model(current, VOCAB)
    assert _comp(hears, [], (0, 7)) != _comp(hears, [], (7, 0))  # a current one hears them
