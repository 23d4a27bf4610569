"""`python -m lofi corpus stats|build`: corpus statistics, and shards built on Apache Beam.

`python -m lofi corpus NAME` (the older form) still prints the statistics.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

from lofi.cli.out_folder import check_writable
from lofi.core.errors import ConfigError

CORPUS_HELP = "simutrans, openmsx, blupi, lofi, bach, default, or a folder"
RUNNERS = ("DirectRunner", "FlinkRunner", "SparkRunner", "DataflowRunner")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `corpus stats` and `corpus build` commands, options and handlers."""
    c = sub.add_parser(
        "corpus",
        help="corpus statistics (corpus stats NAME) or training shards (corpus build NAME)",
        description="corpus stats NAME | corpus build NAME --out DIR [beam options]; "
        "`corpus NAME` is short for `corpus stats NAME`.",
    )
    c.add_argument(
        "rest",
        nargs=argparse.REMAINDER,
        metavar="stats NAME | build NAME --out DIR ...",
        help="`corpus build --help` lists the build options",
    )
    c.set_defaults(handler=_corpus)


def _stats_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m lofi corpus stats", description="parse a corpus (cached), print stats"
    )
    p.add_argument("name", help=CORPUS_HELP)
    return p


def _build_parser() -> argparse.ArgumentParser:
    from lofi.core.settings import LIMITS
    from lofi.encoding.vocab import MODEL_KINDS

    p = argparse.ArgumentParser(
        prog="python -m lofi corpus build",
        description="Parse, analyse, encode and window a corpus as an Apache Beam pipeline; "
        "write sharded TFRecord files, vocabularies and manifest.json into OUT. Options this "
        "command does not know go to Beam (e.g. --direct_num_workers=1, --project=...).",
    )
    p.add_argument("name", help=CORPUS_HELP)
    p.add_argument("--out", required=True, help="new folder (or gs://… path) for the shards")
    p.add_argument(
        "--runner", choices=RUNNERS, help="Beam runner (default: DirectRunner on 2 processes)"
    )
    p.add_argument("--kinds", default=",".join(MODEL_KINDS), help="model kinds to encode")
    p.add_argument("--seq-len", type=int, default=32, help="steps per window (default 32)")
    p.add_argument(
        "--validation-split", type=float, default=0.1, help="share of pieces held out (0.1)"
    )
    p.add_argument("--train-shards", type=int, default=4, help="training files per kind")
    p.add_argument("--val-shards", type=int, default=2, help="validation files per kind")
    p.add_argument(
        "--parse-memory-mb",
        type=int,
        default=LIMITS.parse_memory_bytes >> 20,
        help="address space of the child parsing one file (default %(default)s)",
    )
    p.add_argument(
        "--parse-cpu-s",
        type=int,
        default=LIMITS.parse_cpu_s,
        help="CPU seconds one file's parse may use (default %(default)s)",
    )
    p.add_argument(
        "--parse-wall-s",
        type=float,
        default=LIMITS.parse_wall_s,
        help="wall seconds one file's parse may take (default %(default)s)",
    )
    return p


def _corpus(args: argparse.Namespace) -> int:
    rest: list[str] = list(args.rest)
    if not rest:
        print("usage: python -m lofi corpus stats NAME | corpus build NAME --out DIR [...]")
        return 2
    if rest[0] == "build":
        return _build(rest[1:])
    if rest[0] == "stats":
        rest = rest[1:]
    return _stats(_stats_parser().parse_args(rest).name)


def _named(name: str) -> str:
    """A corpus name or folder; an empty one would read the current folder."""
    if not name.strip():
        raise ConfigError("give a corpus: a bundled name or a folder of score files")
    return name


def _stats(name: str) -> int:
    from lofi.data.corpus import corpus_stats, load_corpus

    name = _named(name)

    corpus = load_corpus(name)
    stats = corpus_stats(corpus)
    print(
        f"{corpus.name}: {len(corpus.pieces)} pieces, {len(corpus.bad)} bad, "
        f"{stats.total_minutes:.1f} min, {stats.total_notes} notes"
    )
    for bad in corpus.bad:
        print(f"  bad: {bad.path.name}: {bad.reason}")
    return 0


def _build(argv: Sequence[str]) -> int:
    from lofi.core.sandbox import Limits
    from lofi.learn.corpus_pipeline import BuildConfig, build_shards

    args, beam_args = _build_parser().parse_known_args(list(argv))
    _named(args.name)
    if "://" not in args.out:
        check_writable(Path(args.out))  # before the pipeline's work, not after
    if args.runner:
        beam_args = [f"--runner={args.runner}", *beam_args]
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    config = BuildConfig(
        kinds=tuple(k.strip() for k in args.kinds.split(",") if k.strip()),
        seq_len=args.seq_len,
        validation_split=args.validation_split,
        train_shards=args.train_shards,
        val_shards=args.val_shards,
        beam_args=tuple(beam_args),
        parse_limits=Limits(args.parse_memory_mb << 20, args.parse_cpu_s, args.parse_wall_s),
    )
    manifest = build_shards(args.name, args.out, config)
    print(
        f"{manifest['corpus']}: {manifest['pieces']} pieces, {len(manifest['bad_files'])} bad "
        f"of {manifest['files']} files in {manifest['seconds']:.1f} s "
        f"({manifest['files_per_second']:.2f} files/s on {manifest['runner']})"
    )
    for kind, info in manifest["kinds"].items():
        w = info["windows"]
        print(
            f"  {kind}: {w['train']} training and {w['val']} validation windows, "
            f"{sum(len(s) for s in info['shards'].values())} shards, {info['shard_bytes']} bytes"
        )
    for bad in manifest["bad_files"]:
        print(f"  bad: {bad['file']}: {bad['reason']}")
    print(f"manifest: {args.out}/manifest.json")
    return 0
