"""Training runs in the background, each its own process; everything lives on disk.

A run is started as a process, watched through its progress file and stopped by process id
(checked against its start time), so it survives page reloads.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lofi.core.errors import CheckpointError, LofiError
from lofi.core.parts import part_names
from lofi.learn.progress import PROGRESS_FILE, read_progress
from lofi.models.checkpoint import complete_folder, read_checkpoint
from lofi.models.style import STYLE_FILE

RUN_FILE = "run.json"
STYLE_KIND = "style"  # a run that trains every part of a style into FOLDER/PART
STUDIO_MODELS_FILE = "studio_models.json"


@dataclass(frozen=True)
class RunInfo:
    """A training run as the Training page lists it: what, since when, and its status."""

    folder: Path
    kind: str
    corpus: str
    pid: int
    started: float
    status: str  # "running", "done", "stopped", "failed"
    best_val_loss: float | None
    epochs_done: int
    epochs: int
    # A style run's part in training (or the last one trained): the epochs are that part's.
    part: str | None = None

    @property
    def name(self) -> str:
        """The run's folder name."""
        return self.folder.name

    @property
    def has_checkpoint(self) -> bool:
        """A single model's whole checkpoint, or for a style run its style.json."""
        if self.kind == STYLE_KIND:
            return (self.folder / STYLE_FILE).is_file()
        return _has_checkpoint(self.folder)

    @property
    def resumable(self) -> bool:
        """A style run that was stopped (or cut short) before its style was written."""
        return self.kind == STYLE_KIND and self.status in ("stopped", "failed")


def _has_checkpoint(folder: Path) -> bool:
    """Whether a whole checkpoint is there (a write cut short by a kill does not count)."""
    try:
        complete_folder(folder)
    except CheckpointError:
        return False
    return True


def process_start(pid: int) -> int | None:
    """When the process started (clock ticks after boot, from /proc), or None if it is gone.

    With the pid this names one process for good: a pid the system reuses for another
    process comes with another start time.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # finished, waiting to be reaped
        return None
    return int(fields[19])


def _alive(pid: int, start: int | None = None) -> bool:
    """Whether the process runs, and (given its recorded start time) is the same process."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap a finished child of this process
    now = process_start(pid)
    if now is None:
        return False
    return start is None or now == start


def start_run(root: Path, kind: str, corpus: str, options: dict[str, Any]) -> Path:
    """Starts `python -m lofi train` in its own session; returns the new run folder.

    Raises:
        ConfigError: fine-tuning (`from` in `options`) with a size or dropout option.
    """
    if "from" in options:  # refused before a run folder is made
        from lofi.learn.finetune import check_fine_tuning_options

        check_fine_tuning_options(options)
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = root / f"{kind}-{stamp}"
    n = 2
    while folder.exists():
        folder = root / f"{kind}-{stamp}-{n}"
        n += 1
    folder.mkdir()
    cmd = [
        sys.executable,
        "-m",
        "lofi",
        "train",
        kind,
        "--corpus",
        str(corpus),
        "--out",
        str(folder),
    ]
    for key, value in options.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    log = (folder / "train.log").open("wb")  # handed to the child
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    process = subprocess.Popen(
        cmd,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    record = {
        "pid": process.pid,
        "pid_start": process_start(process.pid),
        "kind": kind,
        "corpus": str(corpus),
        "started": time.time(),
        "command": cmd[1:],
        "options": options,
    }
    (folder / RUN_FILE).write_text(json.dumps(record, indent=1))
    return folder


def run_progress(folder: Path) -> list[dict[str, Any]]:
    """A run's progress records so far (see lofi.learn.progress for their fields)."""
    return read_progress(folder / PROGRESS_FILE)


def part_progress(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """A style run's progress records per part, in training order (parts not begun left out)."""
    out = {}
    for kind in part_names():
        records = read_progress(folder / kind / PROGRESS_FILE)
        if records:
            out[kind] = records
    return out


def _style_status(folder: Path, alive: bool, parts: dict[str, list[dict[str, Any]]]) -> str:
    if (folder / STYLE_FILE).is_file():
        return "done"
    if alive:
        return "running"
    events = {r.get("event") for records in parts.values() for r in records}
    return "stopped" if events & {"stopped", "done"} else "failed"


def resume_run(folder: Path) -> None:
    """Starts a stopped style run again on the same folder with --resume.

    Finished parts are kept, the stopped part goes on from its best checkpoint.

    Raises:
        LofiError: if the run is not a stopped style run.
    """
    info = run_info(folder)
    if not info.resumable:
        raise LofiError(f"{folder.name} is {info.status}; only a stopped style run resumes")
    record = json.loads((folder / RUN_FILE).read_text())
    cmd = [sys.executable, *[c for c in record["command"] if c != "--resume"], "--resume"]
    with (folder / "train.log").open("ab") as log:
        process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    record.update(
        pid=process.pid,
        pid_start=process_start(process.pid),
        resumed=time.time(),
        command=cmd[1:],
    )
    (folder / RUN_FILE).write_text(json.dumps(record, indent=1))


def run_info(folder: Path) -> RunInfo:
    """The run's record and its status now; LofiError when the folder is no training run."""
    try:
        record = json.loads((folder / RUN_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise LofiError(f"{folder.name} is not a training run") from exc
    alive = _alive(
        int(record["pid"]), record.get("pid_start")
    )  # also reaps a finished child of this process
    parts = part_progress(folder) if record["kind"] == STYLE_KIND else {}
    progress = read_progress(folder / PROGRESS_FILE) or [r for p in parts.values() for r in p]
    events = [r.get("event") for r in progress]
    epochs = [r for r in progress if r.get("event") == "epoch"]
    best = [r["val_loss"] for r in epochs if r.get("best")]
    if parts or record["kind"] == STYLE_KIND:
        status = _style_status(folder, alive, parts)
        bests = [
            min(r["val_loss"] for r in p if r.get("best"))
            for p in parts.values()
            if any(r.get("best") for r in p)
        ]
        best = [sum(bests)] if bests else []  # the parts' best losses, summed
    elif "done" in events:
        status = "done"
    elif "stopped" in events:
        status = "stopped"
    elif alive:
        status = "running"
    else:
        status = "stopped" if _has_checkpoint(folder) else "failed"
    part = None
    if parts:  # each part runs its own epochs: the table shows the current part's
        part = list(parts)[-1]  # parts train one after another, in registry order (lofi.core.parts)
        progress = parts[part]
        epochs = [r for r in progress if r.get("event") == "epoch"]
    starts = [r for r in progress if r.get("event") == "start"]
    start = starts[-1] if starts else {}
    return RunInfo(
        folder=folder,
        kind=record["kind"],
        corpus=record["corpus"],
        pid=int(record["pid"]),
        started=float(record["started"]),
        status=status,
        best_val_loss=min(best) if best else None,
        epochs_done=len(epochs),
        epochs=int(start.get("epochs", record.get("options", {}).get("epochs", 0))),
        part=part,
    )


def list_runs(root: Path) -> list[RunInfo]:
    """Every readable run under `root`, the newest first."""
    if not root.is_dir():
        return []
    runs = []
    for folder in sorted(root.iterdir(), reverse=True):
        if (folder / RUN_FILE).is_file():
            try:
                runs.append(run_info(folder))
            except (LofiError, KeyError, ValueError):
                continue
    return runs


def usable_style(folder: Path) -> Path | None:
    """The style a stopped style run can be used as now (lofi.learn.style_training).

    Its finished and best-so-far parts; the parts still missing filled from the shipped style.

    Returns:
        The style's folder, or None when no part has a checkpoint yet.

    Raises:
        LofiError: if the run is not a stopped style run, or its parts make no usable style.
    """
    from lofi.learn.style_training import stopped_style

    info = run_info(folder)
    if not info.resumable:
        raise LofiError(f"{folder.name} is {info.status}; only a stopped style run is used so")
    try:
        return stopped_style(folder)
    except OSError as exc:
        raise LofiError(f"cannot copy the parts of {folder.name}: {exc.strerror}") from exc


def stop_run(folder: Path) -> None:
    """Asks the run's process (by its id) to stop after this batch; the best checkpoint stays."""
    info = run_info(folder)  # "running" only if the pid still names the run's own process
    if info.status == "running":
        with contextlib.suppress(ProcessLookupError):
            os.kill(info.pid, signal.SIGTERM)


def failure_reason(folder: Path) -> str:
    """The run's last `error:` line in train.log, else its last line, else 'no log'."""
    try:
        lines = (folder / "train.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    errors = [line for line in lines if line.startswith("error: ")]
    return (errors or lines or ["no log"])[-1]


def studio_models(user_root: Path, defaults: tuple[Path, Path]) -> tuple[Path, Path]:
    """The (melody, chords) checkpoints the studio uses; a missing choice falls back."""
    try:
        chosen = json.loads((user_root / STUDIO_MODELS_FILE).read_text())
    except (OSError, ValueError):
        chosen = {}
    out = []
    for kind, default in zip(("melody", "chords"), defaults, strict=True):
        path = Path(chosen.get(kind, default))
        try:
            read_checkpoint(path, kind)
        except CheckpointError:
            path = default
        out.append(path)
    return out[0], out[1]


def use_in_studio(user_root: Path, folder: Path) -> str:
    """Makes a run's checkpoint the studio's model of its kind; returns the kind."""
    ckpt = read_checkpoint(folder)
    path = user_root / STUDIO_MODELS_FILE
    try:
        chosen = json.loads(path.read_text())
    except (OSError, ValueError):
        chosen = {}
    chosen[ckpt.kind] = str(folder.resolve())
    user_root.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(chosen, indent=1))
    return ckpt.kind


def reset_studio_models(user_root: Path) -> None:
    """Makes the studio use the shipped models again."""
    (user_root / STUDIO_MODELS_FILE).unlink(missing_ok=True)
