"""Training that dies: kill -9 early and in the middle of a checkpoint write; reused pids."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lofi.core.errors import CheckpointError
from lofi.learn.progress import read_progress
from lofi.models.checkpoint import BACKUP_DIR, read_checkpoint
from lofi.service.runs import process_start, run_info, start_run, stop_run

MIDI = (Path(__file__).parent / "data" / "midi" / "tiny_c_major.mid").read_bytes()
OPTIONS = {
    "epochs": 40,
    "seq_len": 4,
    "units": 8,
    "batch_size": 2,
    "patience": 40,
    "validation_split": 0.34,
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(3):
        (folder / f"c{i}.mid").write_bytes(MIDI + b"\0" * i)  # three pieces, same music
    return folder


def _wait_until_dead(folder: Path, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and run_info(folder).status == "running":
        time.sleep(0.5)
    assert run_info(folder).status != "running", (folder / "train.log").read_text()[-2000:]


def test_a_reused_pid_is_not_the_run(tmp_path: Path) -> None:
    other = subprocess.Popen(["sleep", "60"])
    try:
        folder = tmp_path / "run"
        folder.mkdir()
        start = process_start(other.pid)
        record = {"pid": other.pid, "kind": "melody", "corpus": "x", "started": 0.0}
        (folder / "run.json").write_text(json.dumps({**record, "pid_start": (start or 0) + 1}))
        assert run_info(folder).status == "failed"  # the pid now names someone else
        stop_run(folder)
        time.sleep(0.2)
        assert other.poll() is None, "an unrelated process was signalled"
        (folder / "run.json").write_text(json.dumps({**record, "pid_start": start}))
        assert run_info(folder).status == "running"
        stop_run(folder)
        assert other.wait(10) == -signal.SIGTERM
    finally:
        other.kill()
        other.wait()


def test_a_checkpoint_cut_short_falls_back_to_the_last_good(tiny_checkpoints, tmp_path) -> None:
    folder = tmp_path / "melody"
    shutil.copytree(tiny_checkpoints[0], folder)
    shutil.copytree(tiny_checkpoints[0], folder / BACKUP_DIR)
    (folder / "model.keras").write_bytes(b"half of a new model")
    ckpt = read_checkpoint(folder, "melody")
    assert ckpt.path == folder / BACKUP_DIR
    shutil.rmtree(folder / BACKUP_DIR)
    with pytest.raises(CheckpointError, match="do not match the hashes"):
        read_checkpoint(folder, "melody")


def test_kill_before_any_checkpoint_says_so(corpus, tmp_path) -> None:
    folder = start_run(tmp_path / "runs", "melody", str(corpus), OPTIONS)
    pid = json.loads((folder / "run.json").read_text())["pid"]
    os.kill(pid, signal.SIGKILL)
    _wait_until_dead(folder)
    info = run_info(folder)
    assert info.status == "failed" and not info.has_checkpoint
    with pytest.raises(CheckpointError, match="no checkpoint yet"):
        read_checkpoint(folder, "melody")


@pytest.mark.parametrize("commit", [1, 2])
def test_kill_during_a_checkpoint_write(commit, corpus, tmp_path, monkeypatch, tiny_checkpoints):
    """Killed as the model file of the first or second checkpoint lands: the half-written
    one is never used; the earlier whole one loads and generates."""
    from lofi.compose.song import compose
    from lofi.core.types import GenerationConfig, Key
    from lofi.models.loading import load_checkpoints

    monkeypatch.setenv("LOFI_TEST_CRASH_IN_CHECKPOINT", str(commit))
    folder = start_run(tmp_path / "runs", "melody", str(corpus), OPTIONS)
    _wait_until_dead(folder)
    progress = read_progress(folder / "progress.jsonl")
    assert "done" not in [r.get("event") for r in progress], "the run was not killed"
    best = [r for r in progress if r.get("event") == "epoch" and r.get("best")]
    assert len(best) == commit - 1  # the killed write never reported its epoch
    info = run_info(folder)
    if commit == 1:
        assert info.status == "failed" and not info.has_checkpoint
        with pytest.raises(CheckpointError, match="no checkpoint yet"):
            read_checkpoint(folder, "melody")
        return
    assert info.status == "stopped" and info.has_checkpoint and info.epochs_done >= 1
    ckpt = read_checkpoint(folder, "melody")
    assert ckpt.path == folder / BACKUP_DIR
    assert ckpt.meta["best_epoch"] == best[-1]["epoch"]
    models = load_checkpoints(folder, tiny_checkpoints[1])
    song = compose(GenerationConfig(3, Key.parse("C-major"), 80.0, 8), models)
    assert song.part("melody").notes
