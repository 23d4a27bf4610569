"""The model's figures for `python -m lofi.tools.bench`: sampler, train input, composing.

The numpy step sampler against Keras' `model.predict` on the growing window, the default
melody model fed by our tf.data pipeline against in-memory arrays, and a song of the default
style composed with its loop critic against the first loop drawn.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from lofi.tools.bench_measure import median_time


def _melody_tokens(vocab: Any, rng: np.random.Generator) -> dict[str, int]:
    return {name: int(rng.integers(1, vocab.size(name))) for name in vocab.inputs}


def bench_sampler(melody_dir: Path, tokens: int, baseline_tokens: int) -> dict[str, float]:
    """The numpy step sampler against `model.predict` on the growing window, per token."""
    from lofi.learn.checkpoint import load_keras_model
    from lofi.learn.models import output_name
    from lofi.models.checkpoint import read_checkpoint
    from lofi.models.sampler import StepModel, choose

    ckpt = read_checkpoint(melody_dir, "melody")
    step_model = StepModel.load(melody_dir, ckpt.vocab)
    vocab = ckpt.vocab
    window = int(ckpt.meta.get("settings", {}).get("seq_len", 32))

    def ours() -> None:
        rng = np.random.default_rng(1)
        state = step_model.initial_state()
        tokens_in = _melody_tokens(vocab, rng)
        for _ in range(tokens):
            probs = step_model.step(tokens_in, state)
            for name in vocab.outputs:
                tokens_in[name] = choose(probs[name], rng, 0.9)

    model = load_keras_model(ckpt)

    def baseline() -> None:
        rng = np.random.default_rng(1)
        history = {name: [v] for name, v in _melody_tokens(vocab, rng).items()}
        for _ in range(baseline_tokens):
            batch = {k: np.array([v[-window:]], dtype="int32") for k, v in history.items()}
            out = model.predict(batch, verbose=0)
            for name in vocab.inputs:
                if name in vocab.outputs:
                    probs = out[output_name(name)][0, -1]
                    history[name].append(choose(probs, rng, 0.9))
                else:
                    history[name].append(history[name][-1])

    ours_s = median_time(ours, 3)
    base_s = median_time(baseline, 1)
    ours_rate, base_rate = tokens / ours_s, baseline_tokens / base_s
    return {
        "sampler_tokens_per_s": ours_rate,
        "sampler_baseline_tokens_per_s": base_rate,
        "sampler_speedup": ours_rate / base_rate,
    }


def bench_train_pipeline(
    corpus: str, melody_dir: Path, steps: int, runs: int = 3
) -> dict[str, float]:
    """The default melody model fed by our tf.data pipeline against in-memory arrays.

    Each is timed `runs` times, interleaved, and the medians compared.
    """
    import keras

    from lofi.data.corpus import load_corpus
    from lofi.learn.models import ModelSize, build_model, compile_model, output_name
    from lofi.learn.train import TrainConfig, make_dataset, prepare
    from lofi.models.checkpoint import read_checkpoint

    meta = read_checkpoint(melody_dir, "melody").meta["settings"]
    size = ModelSize(**meta["size"])
    config = TrainConfig(kind="melody", corpus=corpus, seq_len=int(meta["seq_len"]), size=size)
    vocab, train, _ = prepare(load_corpus(corpus), config)
    batch = config.batch_size

    def timed_fit(data: Any, **kwargs: Any) -> float:
        model = build_model(vocab, size, seed=0)
        compile_model(model, vocab, config.learning_rate)
        model.fit(data, epochs=1, steps_per_epoch=max(steps // 4, 1), verbose=0, **kwargs)
        start = time.perf_counter()
        model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0, **kwargs)
        return time.perf_counter() - start

    n = len(next(iter(train.targets.values())))
    reps = max(1, (steps * batch) // n + 2)
    x = {k: np.tile(v, (reps, 1)) for k, v in train.inputs.items()}
    y = {output_name(k): np.tile(v, (reps, 1)) for k, v in train.targets.items()}
    keras.utils.set_random_seed(0)
    pipeline_runs, array_runs = [], []
    for _ in range(runs):  # interleaved, so a busy moment of the machine hits both alike
        pipeline_runs.append(timed_fit(make_dataset(train, batch, True, 0).repeat(), shuffle=False))
        array_runs.append(timed_fit(x, y=y, batch_size=batch, shuffle=True))
    pipeline_s, arrays_s = statistics.median(pipeline_runs), statistics.median(array_runs)
    sequences = steps * batch
    return {
        "train_pipeline_sequences_per_s": sequences / pipeline_s,
        "train_arrays_sequences_per_s": sequences / arrays_s,
        "train_pipeline_ratio": arrays_s / pipeline_s,
    }


def bench_compose(songs: int, bars: int) -> dict[str, float]:
    """Composing with the default style: the loop critic's pick of several loops per new loop.

    The baseline is the same seeds with arrangement version 4, whose piano plays the first
    loop it draws, in the same run.
    """
    from lofi.compose.arrangement import ARRANGEMENT, ARRANGEMENTS
    from lofi.compose.song import compose
    from lofi.core.types import GenerationConfig
    from lofi.models.loading import load_song_models
    from lofi.models.style import default_style_dir

    models = load_song_models(default_style_dir())
    first_drawn = ARRANGEMENTS[(ARRANGEMENT.name, 4)]

    def per_song(arrangement: Any) -> float:
        began = time.perf_counter()
        for seed in range(1, songs + 1):
            compose(GenerationConfig(seed=seed, bars=bars), models, arrangement)
        return (time.perf_counter() - began) / songs

    critic, first = per_song(ARRANGEMENT), per_song(first_drawn)
    return {
        "compose_critic_s": critic,
        "compose_first_loop_s": first,
        "compose_critic_ratio": critic / first,
    }
