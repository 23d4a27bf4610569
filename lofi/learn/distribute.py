"""Training from TFRecord shards, alone or under tf.distribute.MultiWorkerMirroredStrategy.

Every worker runs the same command with its own `TF_CONFIG` (the standard JSON naming the
cluster and this task). The chief (task `chief`, or worker 0 when there is none) writes the
checkpoint and progress.jsonl into OUT; the other workers write theirs into a temporary
folder that is deleted at the end. `run_local_workers` starts N such workers on loopback
ports of this machine, to try the strategy without a cluster.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lofi.core.errors import ConfigError, CorpusError, LofiError
from lofi.learn.shards import AUTO_SHARD_POLICIES, read_shards, shard_dataset
from lofi.learn.train import TrainConfig, fit, seeded
from lofi.models.checkpoint import MODEL_FILE

if TYPE_CHECKING:
    pass

STRATEGIES = ("none", "multiworker")
REPORT_PREFIX = "worker-report "


def cluster_task() -> tuple[int, int, bool]:
    """(this task's index among all tasks, number of tasks, is it the chief) from TF_CONFIG."""
    text = os.environ.get("TF_CONFIG", "")
    if not text:
        return 0, 1, True
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        kind, index = str(task["type"]), int(task["index"])
        chiefs = len(cluster.get("chief", []))
        workers = len(cluster.get("worker", []))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"TF_CONFIG is not a cluster description: {exc}") from exc
    chief = kind == "chief" or (chiefs == 0 and kind == "worker" and index == 0)
    position = index if kind == "chief" else chiefs + index
    return position, chiefs + workers, chief


def train_from_shards(
    config: TrainConfig,
    data: str,
    out: Path,
    strategy_name: str = "none",
    policy: str = "DATA",
    command: str = "",
) -> dict[str, Any]:
    """Trains one kind from a shard folder; returns this worker's meta (and report).

    Raises:
        ConfigError: for an unknown strategy or shard policy.
        CorpusError: when the shards lack the kind or its validation windows.
        LofiError: when OUT already holds a model.
    """
    if strategy_name not in STRATEGIES or policy not in AUTO_SHARD_POLICIES:
        raise ConfigError(
            f"strategy must be one of {STRATEGIES}, policy one of {AUTO_SHARD_POLICIES}"
        )
    import tensorflow as tf

    # The strategy comes first: it must exist before TensorFlow runs any other operation.
    strategy = (
        tf.distribute.MultiWorkerMirroredStrategy() if strategy_name == "multiworker" else None
    )
    index, tasks, chief = cluster_task() if strategy is not None else (0, 1, True)
    shards = read_shards(data)
    vocab = shards.vocabulary(config.kind)
    n_train, n_val = shards.windows(config.kind, "train"), shards.windows(config.kind, "val")
    if n_train == 0 or n_val == 0:
        raise CorpusError(
            data,
            f"has {n_train} training and {n_val} validation {config.kind} windows; "
            "build the shards from more pieces or with a larger --validation-split",
        )
    if chief and (out / MODEL_FILE).exists():
        raise LofiError(f"{out} already holds a model; choose another --out folder")
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    global_batch = config.batch_size * replicas
    steps = math.ceil(n_train / global_batch)
    steps = min(steps, config.max_steps) if config.max_steps else steps
    validation_steps = max(1, math.ceil(n_val / global_batch))
    seeded(config.seed)
    datasets = (
        shard_dataset(shards, config.kind, "train", global_batch, True, config.seed, policy),
        shard_dataset(shards, config.kind, "val", global_batch, False, config.seed, policy),
    )
    settings = {**asdict(config), "seq_len": shards.seq_len, "size": config.size.to_json()}
    manifest = shards.manifest
    meta: dict[str, Any] = {
        "corpus": manifest["corpus"],
        "corpus_hash": manifest["corpus_hash"],
        "pieces": manifest["pieces"],
        "data": str(data),
        "train_windows": n_train,
        "val_windows": n_val,
        "settings": settings,
        "command": command,
        "strategy": strategy_name,
        "workers": tasks,
        "replicas": replicas,
        "global_batch_size": global_batch,
        "shard_policy": policy,
    }
    with ExitStack() as stack:
        folder = out
        if not chief:  # the others save too (the strategy expects it), then throw it away
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lofi-worker-")))
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        train_datasets = (datasets[0].repeat(), datasets[1].repeat())
        meta = fit(config, vocab, train_datasets, steps, meta, folder, validation_steps, strategy)
        seconds = time.perf_counter() - started
    windows = meta.get("epochs_run", 0) * steps * global_batch
    report = {
        "task": index,
        "chief": chief,
        "steps": meta.get("epochs_run", 0) * steps,
        "fit_seconds": round(seconds, 2),
        "windows_per_second": round(windows / seconds, 1),
    }
    if chief and (out / MODEL_FILE).exists():
        from lofi.learn.checkpoint import update_meta

        update_meta(
            out, fit_seconds=report["fit_seconds"], windows_per_second=report["windows_per_second"]
        )
    print(REPORT_PREFIX + json.dumps(report), flush=True)
    return {**meta, "report": report}


def free_ports(n: int) -> list[int]:
    """N TCP ports on 127.0.0.1 that are free now (held open together, so all differ)."""
    with ExitStack() as stack:
        sockets = []
        for _ in range(n):
            s = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]


def local_cluster(n: int) -> list[str]:
    """One TF_CONFIG per local worker; worker 0 is the chief."""
    workers = [f"127.0.0.1:{port}" for port in free_ports(n)]
    return [
        json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}})
        for i in range(n)
    ]


def run_local_workers(n: int, worker_argv: Sequence[str], out: Path) -> list[dict[str, Any]]:
    """Runs `python -m lofi WORKER_ARGV` as N workers of one local cluster; their reports.

    A worker that fails stops the others (a collective would wait for it for ever).

    Raises:
        LofiError: naming the worker that failed and the end of what it printed.
    """
    if n < 1:
        raise ConfigError("--workers must be at least 1")
    logs = Path(tempfile.mkdtemp(prefix="lofi-workers-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i, tf_config in enumerate(local_cluster(n)):
            env = {**os.environ, "TF_CONFIG": tf_config}
            stdout_path, stderr_path = logs / f"{i}.out", logs / f"{i}.err"
            with stdout_path.open("wb") as stdout, stderr_path.open("wb") as err:
                cmd = [sys.executable, "-m", "lofi", *worker_argv]
                procs.append(subprocess.Popen(cmd, env=env, stdout=stdout, stderr=err))
        while any(p.poll() is None for p in procs):
            failed = [i for i, p in enumerate(procs) if p.returncode not in (None, 0)]
            if failed:
                _stop(procs)
                tail = (logs / f"{failed[0]}.err").read_text(errors="replace")[-1500:]
                out_tail = (logs / f"{failed[0]}.out").read_text(errors="replace")[-500:]
                raise LofiError(f"worker {failed[0]} failed:\n{out_tail}{tail}")
            time.sleep(0.3)
        failed = [i for i, p in enumerate(procs) if p.returncode != 0]
        if failed:
            tail = (logs / f"{failed[0]}.err").read_text(errors="replace")[-1500:]
            raise LofiError(f"worker {failed[0]} failed:\n{tail}")
        reports = []
        for i in range(n):
            lines = (logs / f"{i}.out").read_text().splitlines()
            found = [ln[len(REPORT_PREFIX) :] for ln in lines if ln.startswith(REPORT_PREFIX)]
            reports.append(json.loads(found[-1]) if found else {"task": i, "steps": 0})
        if (out / MODEL_FILE).exists():
            from lofi.learn.checkpoint import update_meta

            update_meta(out, worker_reports=reports)
        return reports
    finally:
        _stop(procs)
        shutil.rmtree(logs, ignore_errors=True)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
