"""`python -m lofi.tools.scale`: the costs that decide how corpus preparation and training scale.

Measures, on one corpus: the parse and encode cost per file (one process, CPU time), the
windows and shard bytes per file, `corpus build` on Beam's DirectRunner with 1 and 2 worker
processes (files/s), and training throughput (windows/s) alone and with two loopback workers
under MultiWorkerMirroredStrategy. Then predicts the cost of a corpus of any size (the Lakh
MIDI dataset's 176,581 files by default) on N workers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LAKH_FILES = 176_581


def per_file_costs(corpus: str) -> dict[str, float]:
    """Mean CPU milliseconds to parse and to encode one file, windows and bytes per file."""
    from lofi.core.errors import CorpusError
    from lofi.data.corpus import corpus_files
    from lofi.data.readers import parse_file
    from lofi.encoding.tokens import encode, windows
    from lofi.encoding.vocab import MODEL_KINDS, vocabulary
    from lofi.learn.shards import window_examples

    files = corpus_files(corpus)
    vocabs = [vocabulary(kind) for kind in MODEL_KINDS]
    parse_files(files[:1])  # imports and first-call caches are paid once per worker
    parse_s = encode_s = 0.0
    n_windows = n_bytes = melody_windows = pieces = 0
    kilobytes = sum(f.stat().st_size for f in files) / 1024
    for path in files:
        start = time.process_time()
        try:
            piece = parse_file(path)
        except CorpusError:
            continue
        middle = time.process_time()
        for vocab in vocabs:
            cut = windows([encode(piece, vocab)], 32, 8)
            records = window_examples(cut.inputs, cut.targets)
            n_windows += len(records)
            n_bytes += sum(len(r) + 16 for r in records)  # + TFRecord framing
            melody_windows += len(records) if vocab.kind == "melody" else 0
        encode_s += time.process_time() - middle
        parse_s += middle - start
        pieces += 1
    return {
        "files": len(files),
        "kb_per_file": kilobytes / len(files),
        "parse_ms_per_file": 1000 * parse_s / max(pieces, 1),
        "parse_ms_per_kb": 1000 * parse_s / kilobytes,
        "encode_ms_per_file": 1000 * encode_s / max(pieces, 1),
        "windows_per_file": n_windows / max(pieces, 1),
        "melody_windows_per_file": melody_windows / max(pieces, 1),
        "bytes_per_window": n_bytes / max(n_windows, 1),
    }


def parse_files(files: list[Path]) -> None:
    """Parses files and forgets them (warms a process's imports and caches)."""
    from lofi.core.errors import CorpusError
    from lofi.data.readers import parse_file

    for path in files:
        with contextlib.suppress(CorpusError):
            parse_file(path)


def _lofi(*args: str) -> str:
    res = subprocess.run(
        [sys.executable, "-m", "lofi", *args], capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        raise RuntimeError(f"lofi {' '.join(args)} failed:\n{res.stderr[-2000:]}")
    return res.stdout


def beam_build(corpus: str, out: Path, workers: int) -> dict[str, Any]:
    """`corpus build` on the DirectRunner with `workers` processes; its manifest."""
    _lofi("corpus", "build", corpus, "--out", str(out), f"--direct_num_workers={workers}")
    return dict(json.loads((out / "manifest.json").read_text()))


def steady_windows_per_s(run: Path) -> float:
    """Training windows per second after the first quarter of the steps (tracing excluded)."""
    records = [json.loads(line) for line in (run / "progress.jsonl").read_text().splitlines()]
    steps = [r for r in records if r.get("event") == "step"]
    meta = json.loads((run / "meta.json").read_text())
    first, last = steps[len(steps) // 4], steps[-1]
    batch = int(meta["global_batch_size"])
    return float((last["step"] - first["step"]) * batch / (last["elapsed"] - first["elapsed"]))


def train_throughput(shards: Path, root: Path, steps: int) -> dict[str, float]:
    """The default melody model on the shards: one process, then two loopback workers."""
    common = ["--data", str(shards), "--epochs", "1", "--max-steps", str(steps)]
    _lofi("train", "melody", "--out", str(root / "one"), *common)
    _lofi("train", "melody", "--out", str(root / "two"), "--workers", "2", *common)
    one, two = steady_windows_per_s(root / "one"), steady_windows_per_s(root / "two")
    return {
        "train_windows_per_s_1_worker": one,
        "train_windows_per_s_2_workers": two,
        "train_ms_per_window": 1000 / one,
    }


def predict(costs: dict[str, float], files: int, workers: int) -> dict[str, float]:
    """Hours of corpus preparation and of one training epoch for `files` on `workers` cores.

    Linear in the measured per-file and per-window costs; preparation scales with workers
    (files are independent), training is given at ideal scaling (all-reduce of these small
    models is cheap next to the LSTM; the loopback figure shows one machine's ceiling).
    """
    prepare_s = files * (costs["parse_ms_per_file"] + costs["encode_ms_per_file"]) / 1000
    windows = files * costs["melody_windows_per_file"]
    epoch_s = windows * costs["train_ms_per_window"] / 1000
    return {
        "workers": workers,
        "prepare_hours": prepare_s / workers / 3600,
        "shard_gb": files * costs["windows_per_file"] * costs["bytes_per_window"] / 1e9,
        "melody_windows_millions": windows / 1e6,
        "epoch_hours": epoch_s / workers / 3600,
    }


def main(argv: list[str] | None = None) -> int:
    """Measures the scale figures, writes them as JSON, prints them and the prediction; 0."""
    parser = argparse.ArgumentParser(prog="python -m lofi.tools.scale", description=__doc__)
    parser.add_argument("--corpus", default="default")
    parser.add_argument("--steps", type=int, default=60, help="training steps per run")
    parser.add_argument("--files", type=int, default=LAKH_FILES, help="files to predict for")
    parser.add_argument("--out", type=Path, default=Path("bench/scale.json"))
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"load_average": os.getloadavg()[0]}
    results.update(per_file_costs(args.corpus))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for n in (1, 2):
            runs = [beam_build(args.corpus, root / f"shards{n}-{i}", n) for i in range(2)]
            results[f"beam_files_per_s_{n}_workers"] = max(r["files_per_second"] for r in runs)
        manifest = runs[-1]
        results["shard_bytes_default"] = sum(k["shard_bytes"] for k in manifest["kinds"].values())
        results.update(train_throughput(root / f"shards2-{len(runs) - 1}", root, args.steps))
    results["load_average_after"] = os.getloadavg()[0]
    results["predictions"] = [predict(results, args.files, n) for n in (1, 2, 16, 64, 256)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    for key, value in results.items():
        if isinstance(value, float | int):
            print(f"{key:34s} {value:12.3f}")
    print(f"{args.files} files:")
    for p in results["predictions"]:
        print(
            f"  {p['workers']:4d} workers: prepare {p['prepare_hours']:8.2f} h, "
            f"one melody epoch {p['epoch_hours']:8.2f} h, shards {p['shard_gb']:.1f} GB, "
            f"{p['melody_windows_millions']:.1f} M windows"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
