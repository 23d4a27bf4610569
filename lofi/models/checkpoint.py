"""Reading a checkpoint folder: its vocabulary, meta.json and whole-file checks (no Keras).

A checkpoint is model.keras (for training on), weights.npz (for the numpy sampler),
vocab.json and meta.json, which names every file's hash; lofi.learn.checkpoint writes them.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lofi.core.constants import FORMAT_VERSION
from lofi.core.errors import CheckpointError, VocabularyError
from lofi.encoding.vocab import Vocabulary

MODEL_FILE = "model.keras"
VOCAB_FILE = "vocab.json"
META_FILE = "meta.json"
WEIGHTS_FILE = "weights.npz"  # the sampler's arrays, exported from the Keras model
BACKUP_DIR = ".last-good"
CHECKPOINT_FILES = (MODEL_FILE, VOCAB_FILE, WEIGHTS_FILE, META_FILE)


@dataclass(frozen=True)
class Checkpoint:
    """A readable checkpoint: where its files are, its vocabulary and its meta.json."""

    path: Path
    vocab: Vocabulary
    meta: dict[str, Any]

    @property
    def kind(self) -> str:
        """The part the model plays: melody, chords or drums."""
        return self.vocab.kind

    @property
    def model_id(self) -> str:
        """Names the exact weights: the folder name and the model file's hash."""
        return f"{self.path.name}@{self.meta.get('model_sha256', '')[:12]}"


def atomic_write(path: Path, data: bytes) -> None:
    """Writes `data` to `path` through a temporary file, so a reader sees old or new, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file; remembered per path, size and modification time."""
    st = Path(path).stat()
    return _sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    import hashlib

    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def hash_key(name: str) -> str:
    """The meta.json key of a checkpoint file's hash."""
    return "model_sha256" if name == MODEL_FILE else f"{name.split('.')[0]}_sha256"


def is_whole(folder: Path) -> bool:
    """Whether the folder holds a whole checkpoint: every file the hash meta.json names."""
    try:
        meta = json.loads((folder / META_FILE).read_text())
        if not isinstance(meta, dict):
            return False
        for name in (MODEL_FILE, VOCAB_FILE, WEIGHTS_FILE):
            want = meta.get(hash_key(name))
            if want is None and name != MODEL_FILE:
                continue  # written before these hashes were recorded
            if file_sha256(folder / name) != want:
                return False
        return True
    except (OSError, ValueError):
        return False


def _readable(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text()), dict)
    except (OSError, ValueError, RecursionError):
        return False


def complete_folder(folder: Path) -> Path:
    """The folder itself, or its `.last-good/` when a write was cut short.

    Raises:
        CheckpointError: neither holds a whole checkpoint.
    """
    folder = Path(folder)
    if is_whole(folder):
        return folder
    if is_whole(folder / BACKUP_DIR):
        return folder / BACKUP_DIR
    missing = [n for n in CHECKPOINT_FILES if not (folder / n).is_file()]
    if not (folder / BACKUP_DIR).is_dir() and (missing or not _readable(folder / META_FILE)):
        what = f"it has no {missing[0]}" if missing else f"its {META_FILE} is damaged"
        raise CheckpointError(f"{folder} is not a checkpoint ({what}): no checkpoint yet")
    if (folder / BACKUP_DIR).is_dir():
        raise CheckpointError(
            f"the checkpoint in {folder} was cut short while being written and no earlier one "
            "is complete; train again"
        )
    raise CheckpointError(
        f"the files in {folder} do not match the hashes in its {META_FILE} (altered or cut "
        "short); train again or copy the checkpoint again"
    )


def read_checkpoint(folder: Path | str, kind: str | None = None) -> Checkpoint:
    """Reads vocab.json and meta.json of the folder's whole checkpoint.

    The whole checkpoint is the folder's or its last good copy (see `complete_folder`); other
    format versions are refused (CheckpointError). `path` is where its files are.
    """
    folder = complete_folder(Path(folder))
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
