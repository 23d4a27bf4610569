"""Training from shards under MultiWorkerMirroredStrategy: two local workers on loopback."""

import json
import math
from pathlib import Path

import pytest

from lofi.cli import main
from lofi.compose.song import compose
from lofi.core.errors import ConfigError
from lofi.core.types import GenerationConfig
from lofi.learn.distribute import cluster_task, local_cluster
from lofi.learn.progress import read_progress
from lofi.models.checkpoint import read_checkpoint
from lofi.models.loading import load_checkpoints

TINY = ["--units", "16", "--embedding", "8", "--dropout", "0", "--batch-size", "8"]


@pytest.mark.distributed
@pytest.mark.timeout(240)
def test_two_local_workers_train_one_checkpoint_that_generates(
    tiny_shards, tiny_checkpoints, tmp_path, monkeypatch
) -> None:
    shards, _ = tiny_shards
    scratch = tmp_path / "tmp"  # where the workers' temporary folders go
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    out = tmp_path / "run"
    args = ["train", "melody", "--data", str(shards), "--out", str(out), "--workers", "2"]
    args += ["--epochs", "2", "--max-steps", "4", "--learning-rate", "0.01", *TINY]
    assert main(args) == 0
    meta = read_checkpoint(out, "melody").meta
    assert (meta["strategy"], meta["workers"], meta["replicas"]) == ("multiworker", 2, 2)
    assert meta["global_batch_size"] == 16 and meta["data"] == str(shards)
    reports = sorted(meta["worker_reports"], key=lambda r: r["task"])
    assert [(r["task"], r["chief"]) for r in reports] == [(0, True), (1, False)]
    assert reports[0]["steps"] == reports[1]["steps"] == 8, "both workers ran every step"
    losses = [r["loss"] for r in read_progress(out / "progress.jsonl") if r["event"] == "step"]
    assert len(losses) == 8 and losses[-1] < losses[0] and math.isfinite(meta["best_val_loss"])
    assert not list(scratch.iterdir()), "the other worker's checkpoint folder is gone"
    models = load_checkpoints(out, tiny_checkpoints[1])
    song = compose(GenerationConfig(seed=3, bars=8), models)
    assert song.part("melody").notes


def test_local_cluster_configs_name_one_chief(monkeypatch) -> None:
    configs = local_cluster(3)
    workers = json.loads(configs[0])["cluster"]["worker"]
    assert len(set(workers)) == 3 and all(w.startswith("127.0.0.1:") for w in workers)
    tasks = []
    for text in configs:
        monkeypatch.setenv("TF_CONFIG", text)
        tasks.append(cluster_task())
    assert tasks == [(0, 3, True), (1, 3, False), (2, 3, False)]
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ConfigError, match="TF_CONFIG"):
        cluster_task()


def test_distributed_training_needs_shards(tmp_path, capsys) -> None:
    assert main(["train", "melody", "--out", str(tmp_path / "r"), "--workers", "2"]) == 2
    assert "--data" in capsys.readouterr().err
    assert main(["train", "melody", "--data", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert "not a shard folder" in capsys.readouterr().err
    assert not Path(tmp_path / "r" / "model.keras").exists()
