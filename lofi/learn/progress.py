"""The training-progress format: progress.jsonl, one JSON object a line.

The trainer writes it (`ProgressWriter`); the run list, the training page and the tests read
it (`read_progress`). Records: ``start`` (pid, epochs, steps_per_epoch), ``step`` (step,
epoch, loss, elapsed, eta), ``epoch`` (the same plus val_loss and best), then ``done`` or
``stopped`` (best_val_loss); each carries its wall-clock ``time``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

PROGRESS_FILE = "progress.jsonl"


class ProgressWriter:
    """Appends one JSON object a line; readers tolerate a half-written last line."""

    def __init__(self, path: Path, total_steps: int) -> None:
        self.path = path
        self.total = max(total_steps, 1)
        self.started = time.monotonic()

    def write(self, record: dict[str, Any]) -> None:
        """Appends the record as one line, with the wall-clock time first."""
        record = {"time": round(time.time(), 3), **record}
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def _timing(self, step: int) -> dict[str, float]:
        elapsed = time.monotonic() - self.started
        eta = elapsed / step * (self.total - step) if step else 0.0
        return {"elapsed": round(elapsed, 2), "eta": round(max(eta, 0.0), 2)}

    def step(self, step: int, epoch: int, loss: float) -> None:
        """Records a training step's loss with elapsed time and the time left."""
        self.write(
            {"event": "step", "step": step, "epoch": epoch, "loss": loss, **self._timing(step)}
        )

    def epoch(self, step: int, epoch: int, loss: float, val_loss: float, best: bool) -> None:
        """Records an epoch's training and validation loss and whether it is the best yet."""
        self.write(
            {
                "event": "epoch",
                "step": step,
                "epoch": epoch,
                "loss": loss,
                "val_loss": val_loss,
                "best": best,
                **self._timing(step),
            }
        )


def read_progress(path: Path) -> list[dict[str, Any]]:
    """Every complete record of a progress file, in order; a half-written line is left out."""
    records = []
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # the writer is mid-line
    return records
