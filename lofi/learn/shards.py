"""Sharded TFRecord files of encoded windows: their record format, manifest and tf.data reader.

A shard folder (written by `python -m lofi corpus build`) holds, per model kind,
`KIND/vocab.json`, `KIND/train-*.tfrecord` and `KIND/val-*.tfrecord`; `manifest.json` at the
top names the corpus, its hash, the counts, the bad files and every shard. Each record is a
`tf.train.Example` with one int64 feature of `seq_len` token indices per model input
(`in/NAME`) and per predicted field (`out/NAME`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lofi.core.errors import CorpusError, VocabularyError
from lofi.encoding.vocab import Vocabulary, vocabulary
from lofi.learn.models import output_name

if TYPE_CHECKING:
    import tensorflow as tf

SHARD_FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
SPLITS = ("train", "val")
AUTO_SHARD_POLICIES = ("DATA", "FILE")


def split_of(content_hash: str, validation_split: float) -> str:
    """'val' for a stable share of pieces by content hash (workers agree), else 'train'."""
    bucket = int(hashlib.sha256(content_hash.encode()).hexdigest()[:8], 16) % 10_000
    return "val" if bucket < round(validation_split * 10_000) else "train"


def window_examples(inputs: dict[str, np.ndarray], targets: dict[str, np.ndarray]) -> list[bytes]:
    """One serialised tf.train.Example per window (row) of the aligned token arrays."""
    import tensorflow as tf

    columns = {f"in/{k}": v for k, v in inputs.items()} | {
        f"out/{k}": v for k, v in targets.items()
    }
    rows = len(next(iter(columns.values()))) if columns else 0
    out = []
    for i in range(rows):
        feature = {
            key: tf.train.Feature(int64_list=tf.train.Int64List(value=values[i].tolist()))
            for key, values in columns.items()
        }
        out.append(
            tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()
        )
    return out


@dataclass(frozen=True)
class ShardSet:
    """A shard folder's manifest, read and checked."""

    root: str
    manifest: dict[str, Any]

    @property
    def seq_len(self) -> int:
        """Tokens per window, as the shards were cut."""
        return int(self.manifest["seq_len"])

    def kind(self, kind: str) -> dict[str, Any]:
        """The manifest's entry for one part kind; CorpusError when the shards lack it."""
        kinds = self.manifest.get("kinds", {})
        if kind not in kinds:
            raise CorpusError(self.root, f"has no {kind} shards (it has {', '.join(kinds)})")
        return dict(kinds[kind])

    def files(self, kind: str, split: str) -> list[str]:
        """The shard files of a kind and split (train or validation), as paths or URLs."""
        return [f"{self.root.rstrip('/')}/{name}" for name in self.kind(kind)["shards"][split]]

    def windows(self, kind: str, split: str) -> int:
        """How many windows a kind's split holds."""
        return int(self.kind(kind)["windows"][split])

    def vocabulary(self, kind: str) -> Vocabulary:
        """The kind's vocabulary, refused unless it is this version's one."""
        path = f"{self.root.rstrip('/')}/{self.kind(kind)['vocab']}"
        try:
            saved = json.loads(read_text(path))
            vocab = vocabulary(kind)
        except (OSError, ValueError, VocabularyError) as exc:
            raise CorpusError(self.root, f"its {kind} vocabulary does not load: {exc}") from exc
        if saved != vocab.to_json():
            raise CorpusError(
                self.root, f"its {kind} vocabulary is not this version's; build the shards again"
            )
        return vocab


def read_text(path: str) -> str:
    """A small text file on any file system Beam knows (local, gs://, hdfs://, …)."""
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as f:
        return bytes(f.read()).decode()


def read_shards(root: str) -> ShardSet:
    """Reads `root/manifest.json`.

    Raises:
        CorpusError: when the folder holds no manifest or one of another format.
    """
    path = f"{str(root).rstrip('/')}/{MANIFEST_FILE}"
    try:
        manifest = json.loads(read_text(path))
    except (OSError, ValueError) as exc:
        raise CorpusError(
            root,
            "not a shard folder (no readable manifest.json); make one with "
            "`python -m lofi corpus build NAME --out DIR`",
        ) from exc
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != SHARD_FORMAT_VERSION:
        raise CorpusError(
            root,
            f"shard format {version}, this version reads {SHARD_FORMAT_VERSION}; "
            "build the shards again",
        )
    return ShardSet(str(root), manifest)


def _parser(vocab: Vocabulary, seq_len: int) -> Any:
    import tensorflow as tf

    spec = {f"in/{k}": tf.io.FixedLenFeature([seq_len], tf.int64) for k in vocab.inputs}
    spec |= {f"out/{k}": tf.io.FixedLenFeature([seq_len], tf.int64) for k in vocab.outputs}

    def parse(records: tf.Tensor) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
        row = tf.io.parse_example(records, spec)
        inputs = {k: tf.cast(row[f"in/{k}"], tf.int32) for k in vocab.inputs}
        targets = {output_name(k): tf.cast(row[f"out/{k}"], tf.int32) for k in vocab.outputs}
        return inputs, targets

    return parse


def shard_dataset(
    shards: ShardSet,
    kind: str,
    split: str,
    batch_size: int,
    shuffle: bool,
    seed: int,
    policy: str = "DATA",
) -> tf.data.Dataset:
    """Batches of (inputs, targets) read from the shard files through tf.data.

    Under a distribution strategy the dataset is split between workers by `policy`: FILE
    gives each worker whole shard files (needs at least as many files as workers), DATA has
    every worker read everything and keep its share of the batches.
    """
    import tensorflow as tf

    files = shards.files(kind, split)
    if not files:
        raise CorpusError(shards.root, f"has no {split} shards for {kind}")
    vocab = shards.vocabulary(kind)
    ds = tf.data.Dataset.from_tensor_slices(files)
    if shuffle:
        ds = ds.shuffle(len(files), seed=seed)
    ds = ds.interleave(tf.data.TFRecordDataset, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(min(max(shards.windows(kind, split), 1), 10_000), seed=seed)
    ds = ds.batch(batch_size).map(_parser(vocab, shards.seq_len), tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = getattr(
        tf.data.experimental.AutoShardPolicy, policy
    )
    options.deterministic = not shuffle
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def read_windows(shards: ShardSet, kind: str, split: str) -> dict[str, np.ndarray]:
    """Every window of a split as arrays keyed `in/NAME` and `out/NAME` (tests, inspection)."""
    vocab = shards.vocabulary(kind)
    columns: dict[str, list[np.ndarray]] = {}
    for inputs, targets in shard_dataset(shards, kind, split, 256, False, 0):
        for k, v in inputs.items():
            columns.setdefault(f"in/{k}", []).append(v.numpy())
        for k in vocab.outputs:
            columns.setdefault(f"out/{k}", []).append(targets[output_name(k)].numpy())
    return {k: np.concatenate(v) for k, v in columns.items()}
