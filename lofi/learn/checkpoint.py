"""Writing checkpoints atomically: model.keras, weights.npz, vocab.json and meta.json.

Reading them (no Keras) is lofi.models.checkpoint.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lofi.core.constants import FORMAT_VERSION
from lofi.core.errors import CheckpointError
from lofi.encoding.vocab import Vocabulary
from lofi.learn.export import export_weights
from lofi.models.checkpoint import (
    BACKUP_DIR,
    CHECKPOINT_FILES,
    META_FILE,
    MODEL_FILE,
    VOCAB_FILE,
    WEIGHTS_FILE,
    Checkpoint,
    atomic_write,
    file_sha256,
    hash_key,
    is_whole,
)

if TYPE_CHECKING:
    import keras


def save_checkpoint(
    model: keras.Model, vocab: Vocabulary, meta: dict[str, Any], folder: Path
) -> None:
    """Writes model.keras, weights.npz (for the sampler), vocab.json and meta.json.

    Every file is written in full under a hidden name first. Then the checkpoint already in
    the folder is kept as hard links in `.last-good/`, the new files are renamed into place
    with meta.json last (it names every file's hash), and the backup goes. A process killed
    at any moment leaves either a whole checkpoint or a whole `.last-good/` that
    `read_checkpoint` falls back to; a half-written set is never used.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Path] = {}
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".model.", suffix=".keras")
        os.close(fd)
        staged[MODEL_FILE] = Path(tmp)
        model.save(tmp)
        staged[VOCAB_FILE] = _stage(folder, json.dumps(vocab.to_json(), indent=1).encode())
        buffer = io.BytesIO()
        np.savez(buffer, **export_weights(model, vocab))  # type: ignore[arg-type]
        staged[WEIGHTS_FILE] = _stage(folder, buffer.getvalue())
        hashes = {f"{hash_key(n)}": file_sha256(p) for n, p in staged.items()}
        full = {"format_version": FORMAT_VERSION, "kind": vocab.kind, **meta, **hashes}
        staged[META_FILE] = _stage(folder, json.dumps(full, indent=1).encode())
        _commit(folder, staged)
    finally:
        for path in staged.values():
            path.unlink(missing_ok=True)


def _stage(folder: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".staged.", suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return Path(tmp)


def _commit(folder: Path, staged: dict[str, Path]) -> None:
    backup = folder / BACKUP_DIR
    if is_whole(folder):
        shutil.rmtree(backup, ignore_errors=True)
        fresh = Path(tempfile.mkdtemp(dir=folder, prefix=".backup."))
        for name in CHECKPOINT_FILES:
            os.link(folder / name, fresh / name)
        fresh.replace(backup)
    crash_at = os.environ.get("LOFI_TEST_CRASH_IN_CHECKPOINT")  # tests: a kill mid-write
    _commits[0] += 1
    for name in (MODEL_FILE, VOCAB_FILE, WEIGHTS_FILE, META_FILE):
        staged[name].chmod(0o644)
        staged[name].replace(folder / name)
        if crash_at == str(_commits[0]) and name == MODEL_FILE:
            os.kill(os.getpid(), signal.SIGKILL)
    shutil.rmtree(backup, ignore_errors=True)


_commits = [0]


def update_meta(folder: Path, **fields: Any) -> None:
    """Adds fields to a saved checkpoint's meta.json (atomically); the model is untouched."""
    meta = json.loads((folder / META_FILE).read_text())
    meta.update(fields)
    atomic_write(folder / META_FILE, json.dumps(meta, indent=1).encode())


def load_keras_model(checkpoint: Checkpoint) -> keras.Model:
    """The checkpoint's Keras model, uncompiled; CheckpointError when the file is damaged."""
    import keras

    try:
        return keras.saving.load_model(checkpoint.path / MODEL_FILE, compile=False)
    except Exception as exc:  # Keras raises many kinds for a damaged file
        raise CheckpointError(f"cannot load {checkpoint.path / MODEL_FILE}: {exc}") from exc
