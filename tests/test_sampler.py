import numpy as np
import pytest

from lofi.encoding.vocab import (
    bass_vocabulary,
    chord_vocabulary,
    comping_vocabulary,
    melody_vocabulary,
)
from lofi.learn.export import export_weights, to_step_model
from lofi.learn.models import ModelSize, build_model, chord_bias_name, chord_scale_name, output_name
from lofi.models.network import chord_biased, position_scaled
from lofi.models.sampler import StepModel, choose, pick


@pytest.mark.parametrize(("layers", "token_dropout"), [(1, 0.0), (2, 0.0), (1, 0.3)])
@pytest.mark.parametrize(
    "vocab_fn",
    [
        melody_vocabulary,
        chord_vocabulary,
        bass_vocabulary,
        lambda: comping_vocabulary(("0.4.7", "0.3")),
    ],
)
def test_step_probabilities_equal_the_keras_model(vocab_fn, layers: int, token_dropout) -> None:
    vocab = vocab_fn()
    size = ModelSize(units=24, layers=layers, embedding=8, token_dropout=token_dropout)
    model = build_model(vocab, size, seed=3)
    rng = np.random.default_rng(0)
    for head in chord_biased(vocab):  # it starts at zero: give it values to carry over
        layer = model.get_layer(chord_bias_name(head))
        layer.set_weights([rng.normal(0, 1, layer.get_weights()[0].shape)])
    for head in position_scaled(vocab):  # it starts at 1: give it values per position
        layer = model.get_layer(chord_scale_name(head))
        layer.set_weights([rng.uniform(0, 3, layer.get_weights()[0].shape)])
    steps = 12
    tokens = {name: rng.integers(0, vocab.size(name), steps) for name in vocab.inputs}
    keras_out = model({k: v[None, :].astype("int32") for k, v in tokens.items()}, training=False)
    step_model = to_step_model(model, vocab)
    state = step_model.initial_state()
    for t in range(steps):
        probs = step_model.step({k: int(v[t]) for k, v in tokens.items()}, state)
        for name in vocab.outputs:
            expected = np.asarray(keras_out[output_name(name)])[0, t]
            np.testing.assert_allclose(probs[name], expected, atol=2e-6)


def test_the_melody_and_bass_scale_their_chord_bias_by_position() -> None:
    assert position_scaled(melody_vocabulary()) == ("pitch",)
    assert position_scaled(bass_vocabulary()) == ("pitch",)
    assert position_scaled(comping_vocabulary(("0.4.7",))) == ()


def test_a_model_from_before_the_position_factor_plays_with_factor_one() -> None:
    vocab = melody_vocabulary()
    model = build_model(vocab, ModelSize(units=8, embedding=4), seed=2)
    rng = np.random.default_rng(1)
    layer = model.get_layer(chord_bias_name("pitch"))
    layer.set_weights([rng.normal(0, 1, layer.get_weights()[0].shape)])
    arrays = export_weights(model, vocab)  # the factor still 1 everywhere
    older = {k: v for k, v in arrays.items() if not k.endswith("chord_scale")}
    tokens = {name: int(rng.integers(0, vocab.size(name))) for name in vocab.inputs}
    now, before = StepModel.from_arrays(vocab, arrays), StepModel.from_arrays(vocab, older)
    assert "pitch" in now.chord_scales and not before.chord_scales
    a = now.step(tokens, now.initial_state())["pitch"]
    np.testing.assert_allclose(before.step(tokens, before.initial_state())["pitch"], a)
    arrays["head/pitch/chord_scale"] = np.full_like(arrays["head/pitch/chord_scale"], 2.0)
    doubled = StepModel.from_arrays(vocab, arrays)
    assert not np.allclose(doubled.step(tokens, doubled.initial_state())["pitch"], a)


def test_choose_respects_mask_and_top_k() -> None:
    rng = np.random.default_rng(0)
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    mask = np.array([False, True, True, True])
    picks = {choose(probs, rng, 1.0, 0, 1.0, mask) for _ in range(200)}
    assert 0 not in picks and picks <= {1, 2, 3}
    assert {choose(probs, rng, 1.0, 1, 1.0) for _ in range(50)} == {0}
    assert {choose(probs, rng, 1.0, 0, 0.5) for _ in range(50)} == {0}  # nucleus of one
    assert choose(probs, rng, 0.01) == 0


def test_choose_is_seeded() -> None:
    probs = np.full(10, 0.1)
    a = [choose(probs, np.random.default_rng(5)) for _ in range(3)]
    b = [choose(probs, np.random.default_rng(5)) for _ in range(3)]
    assert a == b


def test_pick_draws_what_the_generators_choice_draws() -> None:
    gen = np.random.default_rng(7)
    for trial in range(3000):
        size = int(gen.integers(1, 300))
        p = gen.dirichlet(np.full(size, (0.05, 0.5, 2.0)[trial % 3]))
        if trial % 4 == 0:  # zeros, as a mask leaves them
            p = np.where(gen.random(size) < 0.5, 0.0, p)
            p = p / p.sum() if p.sum() > 0 else np.eye(size)[0]
        seed = int(gen.integers(1 << 32))
        ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
        assert pick(p, ours) == numpys.choice(size, p=p)
        assert ours.random() == numpys.random()  # the same randomness used
    with pytest.raises(ValueError, match="NaN"):
        pick(np.array([np.nan, 0.5]), np.random.default_rng(0))


def _plain_choose(probs, rng, temperature, top_k, top_p, mask):  # the formulas as first written
    p = np.asarray(probs, dtype=np.float64).copy()
    if mask is not None and np.any(mask & (p > 0)):
        p = np.where(mask, p, 0.0)
    if temperature <= 1e-3:
        return int(np.argmax(p))
    logp = np.log(np.maximum(p, 1e-300)) / temperature
    logp[p <= 0] = -np.inf
    logp -= logp.max()
    p = np.exp(logp)
    order = np.argsort(-p, kind="stable")
    if top_k > 0:
        p[order[top_k:]] = 0.0
    if top_p < 1.0:
        sorted_p = p[order] / p.sum()
        keep = np.cumsum(sorted_p) - sorted_p < top_p
        p[order[~keep]] = 0.0
    p /= p.sum()
    return int(rng.choice(len(p), p=p))


def test_choose_draws_what_the_plain_formulas_draw() -> None:
    gen = np.random.default_rng(11)
    for trial in range(2000):
        size = int(gen.integers(2, 200))
        p = gen.dirichlet(np.full(size, 0.3)) ** (1 + trial % 5)
        mask = gen.random(size) < 0.6 if trial % 2 else None
        settings = ((1.0, 0, 1.0), (0.9, 0, 0.95), (1.3, 5, 1.0), (0.7, 3, 0.5), (1e-4, 0, 1.0))
        temperature, top_k, top_p = settings[trial % len(settings)]
        seed = int(gen.integers(1 << 32))
        ours, plain = np.random.default_rng(seed), np.random.default_rng(seed)
        a = choose(p, ours, temperature, top_k, top_p, mask)
        assert a == _plain_choose(p, plain, temperature, top_k, top_p, mask)
        assert ours.random() == plain.random()


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def _plain_step(model: StepModel, tokens, state):  # the formulas as first written
    u = model.units
    z = sum(model.input_tables[name][tokens[name]] for name in model.vocab.inputs)
    x = np.empty(0)
    for i, recurrent in enumerate(model.recurrents):
        if i > 0:
            z = x @ model.kernels[i - 1]
        z = z + state.h[i] @ recurrent + model.biases[i]
        gate_i, gate_f = _sigmoid(z[:u]), _sigmoid(z[u : 2 * u])
        cand, gate_o = np.tanh(z[2 * u : 3 * u]), _sigmoid(z[3 * u :])
        state.c[i] = gate_f * state.c[i] + gate_i * cand
        x = state.h[i] = gate_o * np.tanh(state.c[i])
    out = {}
    for name, (w, b) in model.heads.items():
        logits = x @ w + b
        if name in model.chord_biases:
            cond, table = model.chord_biases[name]
            scale = model.chord_scales.get(name)
            factor = 1.0 if scale is None else scale[tokens["position"]]
            logits = logits + factor * table[tokens[cond]]
        logits -= logits.max()
        e = np.exp(logits)
        out[name] = e / e.sum()
    return out


@pytest.mark.parametrize(("units", "layers", "scaled"), [(24, 1, True), (13, 2, False)])
def test_step_gives_the_plain_formulas_float_for_float(units: int, layers: int, scaled) -> None:
    vocab = melody_vocabulary()
    model = build_model(vocab, ModelSize(units=units, layers=layers, embedding=4), seed=4)
    rng = np.random.default_rng(2)
    arrays = {k: rng.normal(0, 1, v.shape) for k, v in export_weights(model, vocab).items()}
    if not scaled:
        arrays = {k: v for k, v in arrays.items() if not k.endswith("chord_scale")}
    step_model = StepModel.from_arrays(vocab, arrays)
    ours, plain = step_model.initial_state(), step_model.initial_state()
    for _ in range(40):
        tokens = {name: int(rng.integers(0, vocab.size(name))) for name in vocab.inputs}
        a, b = step_model.step(tokens, ours), _plain_step(step_model, tokens, plain)
        assert all(a[name].tobytes() == b[name].tobytes() for name in vocab.outputs)
        assert all(x.tobytes() == y.tobytes() for x, y in zip(ours.h, plain.h, strict=True))
        assert all(x.tobytes() == y.tobytes() for x, y in zip(ours.c, plain.c, strict=True))


def test_token_dropout_hides_the_previous_tokens_only_while_training() -> None:
    vocab = melody_vocabulary()
    model = build_model(
        vocab, ModelSize(units=8, embedding=4, dropout=0.0, token_dropout=0.5), seed=1
    )
    dropped = [layer.name for layer in model.layers if layer.name.startswith("token_dropout")]
    assert sorted(dropped) == sorted(f"token_dropout_{n}" for n in vocab.outputs)
    tokens = {name: np.ones((1, 64), "int32") for name in vocab.inputs}
    trained = model(tokens, training=True)[output_name("pitch")]
    again = model(tokens, training=True)[output_name("pitch")]
    assert not np.allclose(np.asarray(trained), np.asarray(again))  # steps hidden at random
    quiet = model(tokens, training=False)[output_name("pitch")]
    np.testing.assert_allclose(
        np.asarray(quiet), np.asarray(model(tokens, training=False)[output_name("pitch")])
    )
