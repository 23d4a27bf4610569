import json
import math

import pytest

from lofi.core.errors import CheckpointError, LofiError
from lofi.learn.checkpoint import load_keras_model
from lofi.learn.progress import read_progress
from lofi.learn.train import TrainConfig, split_pieces, train
from lofi.models.checkpoint import read_checkpoint
from lofi.models.sampler import StepModel
from tests.factories import TINY, synthetic_corpus, train_tiny


def test_tiny_training_writes_a_loadable_checkpoint(tmp_path) -> None:
    out = tmp_path / "run"
    meta = train_tiny("melody", out, epochs=2)
    ckpt = read_checkpoint(out, "melody")
    assert ckpt.meta["best_val_loss"] == meta["best_val_loss"]
    assert math.isfinite(ckpt.meta["best_val_loss"])
    assert ckpt.meta["corpus"] == "synthetic" and ckpt.meta["command"] == "tests"
    model = load_keras_model(ckpt)
    assert set(model.output_names) == {"pitch_out", "duration_out", "velocity_out"}
    StepModel.load(out, ckpt.vocab)  # the sampler's weights are there too
    records = read_progress(out / "progress.jsonl")
    events = [r["event"] for r in records]
    assert events[0] == "start" and events[-1] == "done"
    epochs = [r for r in records if r["event"] == "epoch"]
    assert len(epochs) == 2
    assert all({"step", "epoch", "loss", "val_loss", "elapsed", "eta"} <= r.keys() for r in epochs)
    assert not list(out.glob(".*tmp")) and not list(out.glob(".model.*"))


def test_training_refuses_to_overwrite_a_run(tmp_path) -> None:
    out = tmp_path / "run"
    train_tiny("chords", out, epochs=1)
    before = (out / "model.keras").read_bytes()
    with pytest.raises(LofiError, match="already holds a model"):
        train_tiny("chords", out, epochs=1)
    assert (out / "model.keras").read_bytes() == before


def test_checkpoint_of_another_format_is_refused(tmp_path) -> None:
    out = tmp_path / "run"
    train_tiny("chords", out, epochs=1)
    meta = json.loads((out / "meta.json").read_text())
    meta["format_version"] = 0
    (out / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="format 0"):
        read_checkpoint(out)
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        read_checkpoint(tmp_path / "nowhere")


def test_progress_reader_skips_a_half_written_line(tmp_path) -> None:
    path = tmp_path / "progress.jsonl"
    path.write_text('{"event": "step", "step": 1}\n{"event": "ep')
    assert read_progress(path) == [{"event": "step", "step": 1}]


def test_split_holds_out_whole_pieces() -> None:
    train, val = split_pieces(10, 0.2, seed=1)
    assert len(val) == 2 and not set(train) & set(val) and len(train) + len(val) == 10
    assert split_pieces(10, 0.2, seed=1) == (train, val)


def test_training_stops_when_validation_loss_stops_improving(tmp_path) -> None:
    # learning rate 0: the validation loss stays exactly the same after the first epoch
    config = TrainConfig(
        kind="chords",
        corpus="synthetic",
        epochs=6,
        seq_len=8,
        batch_size=8,
        learning_rate=0.0,
        patience=2,
        size=TINY,
        max_steps=2,
    )
    meta = train(config, synthetic_corpus(), tmp_path / "run")
    assert meta["best_epoch"] == 1 and meta["epochs_run"] == 3
    records = read_progress(tmp_path / "run" / "progress.jsonl")
    assert [r["best"] for r in records if r["event"] == "epoch"] == [True, False, False]
    assert read_checkpoint(tmp_path / "run").meta["epochs_run"] == 3


def test_a_part_trains_the_same_whatever_ran_before_it(tmp_path) -> None:
    import numpy as np
    import tensorflow as tf

    from lofi.models.sampler import read_weights

    runs = []
    for earlier_seed in (12345, 777):  # the seed an earlier part's training left behind
        tf.random.set_seed(earlier_seed)
        out = tmp_path / f"after-{earlier_seed}"
        train_tiny("chords", out, epochs=1)
        runs.append(read_weights(out / "weights.npz"))
    assert runs[0].keys() == runs[1].keys()
    assert all(np.array_equal(runs[0][k], runs[1][k]) for k in runs[0])
