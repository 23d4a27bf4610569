"""`python -m lofi corpus build`: corpus preparation as an Apache Beam pipeline.

parse (fast reader, in a limited child; a bad file goes to a tagged output) → analyse (key,
tempo, train/validation split by content hash) → encode (every model kind's encoder, through
`vocabulary(kind)` and `encode`) → windows → sharded TFRecord files, plus per-piece and
bad-file index lines. The launcher then writes the vocabularies and manifest.json. The same
code runs on Beam's DirectRunner (multi-process on one machine) or on a cluster runner.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import TaggedOutput

from lofi.core.errors import ConfigError, CorpusError
from lofi.core.sandbox import Limits, Sandbox
from lofi.core.types import Piece
from lofi.data.corpus import BUNDLED, corpus_digest, corpus_files, parse_limits
from lofi.data.readers import parse_file
from lofi.encoding.tokens import encode, windows
from lofi.encoding.vocab import MODEL_KINDS, Vocabulary, vocabulary
from lofi.learn.shards import (
    MANIFEST_FILE,
    SHARD_FORMAT_VERSION,
    SPLITS,
    read_text,
    split_of,
    window_examples,
)

BAD = "bad"
PIECES = "pieces"
LOCAL_DEFAULTS = (
    "--runner=DirectRunner",
    "--direct_num_workers=2",
    "--direct_running_mode=multi_processing",
)


@dataclass(frozen=True)
class BuildConfig:
    """What the shards hold: which kinds, how long a window, how the data is split."""

    kinds: tuple[str, ...] = MODEL_KINDS
    seq_len: int = 32
    validation_split: float = 0.1
    train_shards: int = 4
    val_shards: int = 2
    beam_args: tuple[str, ...] = field(default_factory=tuple)
    # Caps one file's parse runs under on every worker (the launcher's, not each worker's
    # settings), as the studio's corpus loader parses.
    parse_limits: Limits = field(default_factory=parse_limits)

    def stride(self, split: str) -> int:
        """Training windows overlap by three quarters; validation windows do not overlap."""
        return max(1, self.seq_len // 4) if split == "train" else self.seq_len


class ParseFile(beam.DoFn):
    """A path to its Piece, parsed in a limited child process (one per Beam worker).

    A file that cannot be used, or that crashes, hangs or floods its child, goes to the
    `bad` output with its reason and costs only itself: the child is replaced, the worker
    goes on with the next file.
    """

    def __init__(self, limits: Limits) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.limits = limits

    def setup(self) -> None:
        """Starts this worker's limited parse child."""
        self.sandbox = Sandbox(self.limits, 1)

    def teardown(self) -> None:
        """Stops the parse child."""
        self.sandbox.close()

    def process(self, path: str) -> Iterator[Any]:
        """Yields the file's Piece, or a `bad` record with the reason it cannot be used."""
        try:
            yield self.sandbox.run(parse_file, Path(path))
        except CorpusError as exc:
            yield TaggedOutput(BAD, {"file": path, "reason": exc.reason})
        except Exception as exc:  # the sandbox's own errors and anything unforeseen
            yield TaggedOutput(BAD, {"file": path, "reason": str(exc) or type(exc).__name__})


def analyse(piece: Piece, validation_split: float) -> tuple[Piece, dict[str, Any]]:
    """The piece with its summary: key, tempo, size and which split it belongs to."""
    return piece, {
        "file": piece.name,
        "hash": piece.content_hash,
        "key": piece.key.name,
        "tempo_bpm": piece.tempo_bpm,
        "notes": len(piece.notes),
        "beats": piece.length_beats,
        "split": split_of(piece.content_hash, validation_split),
    }


class EncodeWindows(beam.DoFn):
    """Every kind's token windows of one piece as ((kind, split), tf.train.Example bytes)."""

    def __init__(self, config: BuildConfig) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.config = config
        self.vocabs: dict[str, Vocabulary] = {}

    def setup(self) -> None:
        """Builds each kind's vocabulary once per worker."""
        self.vocabs = {kind: vocabulary(kind) for kind in self.config.kinds}

    def process(self, item: tuple[Piece, dict[str, Any]]) -> Iterator[Any]:
        """Yields ((kind, split), example) per window, then the piece's summary with counts."""
        piece, summary = item
        split = summary["split"]
        counts: dict[str, int] = {}
        for kind, vocab in self.vocabs.items():
            sequence = encode(piece, vocab)
            cut = windows([sequence], self.config.seq_len, self.config.stride(split))
            examples = window_examples(cut.inputs, cut.targets)
            counts[kind] = len(examples)
            for example in examples:
                yield (kind, split), example
        yield TaggedOutput(PIECES, json.dumps({**summary, "windows": counts}))


class ByKindAndSplit(beam.PartitionFn):
    """Window records to one partition per (kind, split)."""

    def partition_for(self, element: Any, num_partitions: int, *args: Any, **kwargs: Any) -> int:
        """The partition of a record: kinds in the order given (args[0]), then the split."""
        (kind, split), _ = element
        return list(args[0]).index(kind) * len(SPLITS) + SPLITS.index(split)


def _pipeline(pipeline: beam.Pipeline, files: list[str], out: str, config: BuildConfig) -> None:
    parse = ParseFile(config.parse_limits)
    parsed = (
        pipeline
        | "Files" >> beam.Create(files)
        | "Spread" >> beam.Reshuffle()
        | "Parse" >> beam.ParDo(parse).with_outputs(BAD, main="pieces")
    )
    encoded = (
        parsed.pieces
        | "Analyse" >> beam.Map(analyse, config.validation_split)
        | "Encode" >> beam.ParDo(EncodeWindows(config)).with_outputs(PIECES, main="windows")
    )
    _ = (
        parsed[BAD]
        | "BadJson" >> beam.Map(json.dumps)
        | "WriteBad" >> beam.io.WriteToText(f"{out}/index/bad", ".jsonl", shard_name_template="")
    )
    _ = encoded[PIECES] | "WritePieces" >> beam.io.WriteToText(
        f"{out}/index/pieces", ".jsonl", shard_name_template=""
    )
    groups = encoded.windows | "ByKindAndSplit" >> beam.Partition(
        ByKindAndSplit(),  # type: ignore[no-untyped-call]
        len(config.kinds) * len(SPLITS),
        list(config.kinds),
    )
    for i, kind in enumerate(config.kinds):
        for j, split in enumerate(SPLITS):
            shards = config.train_shards if split == "train" else config.val_shards
            _ = (
                groups[i * len(SPLITS) + j]
                | f"Records {kind} {split}" >> beam.Values()
                | f"Write {kind} {split}"
                >> beam.io.WriteToTFRecord(
                    f"{out}/{kind}/{split}", file_name_suffix=".tfrecord", num_shards=shards
                )
            )


def pipeline_options(beam_args: Sequence[str]) -> PipelineOptions:
    """The user's Beam options; without a runner, the local multi-process DirectRunner."""
    args = list(beam_args)
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args = [*LOCAL_DEFAULTS, *args]
    if not any("sdk_harness_log_level" in a for a in args):
        args.append("--default_sdk_harness_log_level=WARNING")
    return PipelineOptions(args)


def _lines(path: str) -> list[str]:
    if not FileSystems.exists(path):
        return []
    return [line for line in read_text(path).splitlines() if line.strip()]


def _write_text(path: str, text: str) -> None:
    with FileSystems.create(path) as f:
        f.write(text.encode())


def _shard_names(out: str, kind: str, split: str) -> list[tuple[str, int]]:
    (result,) = FileSystems.match([f"{out}/{kind}/{split}-*.tfrecord"])
    found = sorted((m.path, m.size_in_bytes) for m in result.metadata_list)
    return [(path[len(out) + 1 :], size) for path, size in found]


def _manifest(
    name: str, out: str, config: BuildConfig, files: int, seconds: float, runner: str
) -> dict[str, Any]:
    pieces = [json.loads(line) for line in _lines(f"{out}/index/pieces.jsonl")]
    bad = sorted((json.loads(line) for line in _lines(f"{out}/index/bad.jsonl")), key=str)
    kinds: dict[str, Any] = {}
    for kind in config.kinds:
        counted: Counter[str] = Counter()
        for p in pieces:
            counted[p["split"]] += p["windows"].get(kind, 0)
        shards = {split: _shard_names(out, kind, split) for split in SPLITS}
        kinds[kind] = {
            "vocab": f"{kind}/vocab.json",
            "windows": {split: counted[split] for split in SPLITS},
            "pieces_with_windows": sum(1 for p in pieces if p["windows"].get(kind)),
            "shards": {split: [n for n, _ in found] for split, found in shards.items()},
            "shard_bytes": sum(size for found in shards.values() for _, size in found),
        }
    return {
        "format_version": SHARD_FORMAT_VERSION,
        "corpus": name,
        "corpus_hash": corpus_digest(p["hash"] for p in pieces),
        "files": files,
        "pieces": len(pieces),
        "bad_files": bad,
        "pieces_per_split": dict(Counter(p["split"] for p in pieces)),
        "seq_len": config.seq_len,
        "strides": {split: config.stride(split) for split in SPLITS},
        "validation_split": config.validation_split,
        "kinds": kinds,
        "runner": runner,
        "seconds": round(seconds, 2),
        "files_per_second": round(files / seconds, 3) if seconds > 0 else None,
        "index": {"pieces": "index/pieces.jsonl", "bad": "index/bad.jsonl"},
    }


def build_shards(name_or_dir: str | Path, out: str, config: BuildConfig) -> dict[str, Any]:
    """Runs the pipeline over a corpus and writes OUT/manifest.json; returns the manifest.

    Raises:
        ConfigError: when OUT already holds shards or the settings make no sense.
        CorpusError: when the corpus does not exist.
    """
    unknown = set(config.kinds) - set(MODEL_KINDS)
    if unknown or not config.kinds:
        raise ConfigError(f"unknown model kinds {sorted(unknown)}; use {', '.join(MODEL_KINDS)}")
    if config.seq_len < 2 or not 0 <= config.validation_split < 1:
        raise ConfigError("--seq-len must be at least 2 and --validation-split in [0, 1)")
    if min(config.train_shards, config.val_shards) < 1:
        raise ConfigError("every split needs at least one shard")
    limits = config.parse_limits
    if limits.memory_bytes < 64 * 1024**2 or limits.cpu_s < 1 or not limits.wall_s > 0:
        raise ConfigError("a file's parse needs at least 64 MB, 1 CPU second and some wall time")
    out = str(out).rstrip("/")
    if FileSystems.exists(f"{out}/{MANIFEST_FILE}"):
        raise ConfigError(f"{out} already holds shards; choose a new --out folder")
    files = [str(f) for f in corpus_files(name_or_dir)]
    if not files:
        raise CorpusError(name_or_dir, "has no .mid/.midi/.mxl/.xml/.musicxml files")
    name = str(name_or_dir) if str(name_or_dir) in BUNDLED else Path(name_or_dir).name
    if "://" not in out:
        Path(out).mkdir(parents=True, exist_ok=True)
    options = pipeline_options(config.beam_args)
    runner = str(options.get_all_options().get("runner") or "DirectRunner")
    logging.getLogger("apache_beam").setLevel(logging.WARNING)
    start = time.perf_counter()
    with beam.Pipeline(options=options) as pipeline:
        _pipeline(pipeline, files, out, config)
    seconds = time.perf_counter() - start
    for kind in config.kinds:
        _write_text(f"{out}/{kind}/vocab.json", json.dumps(vocabulary(kind).to_json(), indent=1))
    manifest = _manifest(name, out, config, len(files), seconds, runner)
    manifest["settings"] = {k: v for k, v in asdict(config).items() if k != "beam_args"}
    _write_text(f"{out}/{MANIFEST_FILE}", json.dumps(manifest, indent=1))
    return manifest
