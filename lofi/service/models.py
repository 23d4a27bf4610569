"""The trained models as the pages show them: which corpus, how good, which version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lofi.models import SongModels
from lofi.models.checkpoint import read_checkpoint
from lofi.models.loading import default_chord_model, default_melody_model, load_checkpoints

# The pages load models through lofi.service; lofi.models does the loading.
__all__ = [
    "ModelSummary",
    "SongModels",
    "default_chord_model",
    "default_melody_model",
    "load_checkpoints",
    "model_summary",
]


@dataclass(frozen=True)
class ModelSummary:
    """One checkpoint in a line: its folder name, corpus, best validation loss and version."""

    name: str
    corpus: str
    best_val_loss: float | None  # None before the first validated epoch
    sha256: str  # the model file's hash: changes with every new training


def model_summary(folder: Path, kind: str | None = None) -> ModelSummary:
    """Reads the checkpoint's meta; CheckpointError when the folder holds no usable model."""
    ckpt = read_checkpoint(folder, kind)
    loss = ckpt.meta.get("best_val_loss")
    return ModelSummary(
        name=ckpt.path.name,
        corpus=str(ckpt.meta.get("corpus", "?")),
        best_val_loss=float(loss) if isinstance(loss, int | float) else None,
        sha256=str(ckpt.meta.get("model_sha256", "")),
    )
