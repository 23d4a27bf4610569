"""Checkpoint folders: model.keras + vocab.json + meta.json, written atomically."""

from __future__ import annotations

import functools
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lofi.core.constants import FORMAT_VERSION
from lofi.core.errors import CheckpointError, VocabularyError
from lofi.encoding.vocab import Vocabulary
from lofi.learn.sampler import WEIGHTS_FILE, export_weights

if TYPE_CHECKING:
    import keras

MODEL_FILE = "model.keras"
VOCAB_FILE = "vocab.json"
META_FILE = "meta.json"
PROGRESS_FILE = "progress.jsonl"


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    vocab: Vocabulary
    meta: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.vocab.kind

    @property
    def model_id(self) -> str:
        """Names the exact weights: the folder name and the model file's hash."""
        return f"{self.path.name}@{self.meta.get('model_sha256', '')[:12]}"


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file; remembered per path, size and modification time."""
    st = os.stat(path)
    return _sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_checkpoint(
    model: keras.Model, vocab: Vocabulary, meta: dict[str, Any], folder: Path
) -> None:
    """Writes model.keras, weights.npz (for the sampler), vocab.json and meta.json.

    Each file lands under its final name only when complete; meta.json comes last and names
    the model file's hash.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".model.", suffix=".keras")
    os.close(fd)
    try:
        model.save(tmp)
        sha = file_sha256(Path(tmp))
        _atomic_write(folder / VOCAB_FILE, json.dumps(vocab.to_json(), indent=1).encode())
        buffer = io.BytesIO()
        np.savez(buffer, **export_weights(model, vocab))  # type: ignore[arg-type]
        _atomic_write(folder / WEIGHTS_FILE, buffer.getvalue())
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / MODEL_FILE)
    finally:
        Path(tmp).unlink(missing_ok=True)
    full = {"format_version": FORMAT_VERSION, "kind": vocab.kind, **meta, "model_sha256": sha}
    _atomic_write(folder / META_FILE, json.dumps(full, indent=1).encode())


def update_meta(folder: Path, **fields: Any) -> None:
    """Adds fields to a saved checkpoint's meta.json (atomically); the model is untouched."""
    meta = json.loads((folder / META_FILE).read_text())
    meta.update(fields)
    _atomic_write(folder / META_FILE, json.dumps(meta, indent=1).encode())


def read_checkpoint(folder: Path | str, kind: str | None = None) -> Checkpoint:
    """Reads vocab.json and meta.json, refusing other format versions."""
    folder = Path(folder)
    for name in (MODEL_FILE, WEIGHTS_FILE, META_FILE):
        if not (folder / name).is_file():
            raise CheckpointError(f"{folder} is not a checkpoint: it has no {name}")
    try:
        meta = json.loads((folder / META_FILE).read_text())
    except (OSError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"cannot read {folder / META_FILE}: {exc}") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"{folder / META_FILE} is not a JSON object; retrain the model")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{folder} is checkpoint format {meta.get('format_version')}, expected "
            f"{FORMAT_VERSION}; retrain it with `python -m lofi train`"
        )
    try:
        vocab = Vocabulary.load(folder / VOCAB_FILE, kind)
    except VocabularyError as exc:
        raise CheckpointError(str(exc)) from exc
    return Checkpoint(folder, vocab, meta)


def load_keras_model(checkpoint: Checkpoint) -> keras.Model:
    import keras

    try:
        return keras.saving.load_model(checkpoint.path / MODEL_FILE, compile=False)
    except Exception as exc:  # Keras raises many kinds for a damaged file
        raise CheckpointError(f"cannot load {checkpoint.path / MODEL_FILE}: {exc}") from exc
