"""`python -m lofi evaluate`: generated songs against held-out corpus pieces, as table and JSON.

The human baseline is measured in the same run.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from lofi.cli.style_flags import add_style_flags, chosen_checkpoints, chosen_style
from lofi.core.errors import ConfigError
from lofi.core.settings import GENERATION

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus
    from lofi.tools.evaluate import EvaluationReport


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `evaluate` command, its options and handler, to the command line."""
    v = sub.add_parser(
        "evaluate",
        help="measure generated songs against a corpus' held-out pieces",
        description=(
            "Splits the corpus by content hash into training and held-out pieces, generates "
            "songs, and measures how well classifiers tell their 4-bar windows from held-out "
            "ones (ROC AUC; 0.5 = indistinguishable), against two halves of the held-out "
            "pieces as the human baseline; plus feature overlap, MusPy metrics, chord tones, "
            "copying and each part model's validation loss."
        ),
    )
    v.add_argument("--corpus", default="default", help="bundled corpus name or folder")
    add_style_flags(v)
    v.add_argument("--songs", type=int, default=10, help="how many songs (default 10)")
    v.add_argument("--seed", type=int, default=1, help="first song's seed (default 1)")
    v.add_argument(
        "--bars",
        type=int,
        default=GENERATION.bars,
        help=f"length of each song in bars (default {GENERATION.bars})",
    )
    v.add_argument(
        "--held-out",
        type=float,
        help="held-out share (default 0.2; 0.4 with --matrix, so every bundled corpus keeps "
        "at least 4 pieces out)",
    )
    v.add_argument(
        "--matrix",
        action="store_true",
        help="the cross-corpus table: train (or reuse) a style per corpus of --corpora "
        "on its training part and measure its songs against every corpus' held-out pieces",
    )
    v.add_argument(
        "--corpora",
        default="simutrans,openmsx,blupi,bach",
        help="--matrix: the corpora, comma-separated (default simutrans,openmsx,blupi,bach)",
    )
    v.add_argument(
        "--styles-dir",
        type=Path,
        help="--matrix: where the styles are trained or reused (default: the styles "
        "folder's matrix/)",
    )
    v.add_argument(
        "--loop-case",
        choices=("held-out", "all"),
        help="measure the loop case instead: a song built on each held-out (or every) "
        "piece's own chords, its melody's chord tones on beats 1 and 3 and its rests beside "
        "the piece's top line",
    )
    v.add_argument("--json", type=Path, help="write every figure to this JSON file")
    v.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from lofi.data.corpus import load_corpus
    from lofi.service.track import load_models
    from lofi.tools.evaluate import evaluate

    if args.json is not None and args.json.is_dir():  # before minutes of work, not after
        raise ConfigError(f"--json {args.json} is a folder; give the file to write")
    if args.matrix:
        return _matrix(args)
    if args.held_out is None:
        args.held_out = 0.2
    checkpoints = chosen_checkpoints(args)
    corpus = load_corpus(args.corpus)
    if args.loop_case:
        return _loop_case(args, corpus, checkpoints)
    if checkpoints:
        melody, chords = checkpoints
        report = evaluate(
            corpus,
            load_models(melody, chords),
            args.songs,
            args.seed,
            args.bars,
            args.held_out,
            checkpoints={"melody": melody, "chords": chords},
        )
    else:
        report = evaluate(
            corpus, chosen_style(args), args.songs, args.seed, args.bars, args.held_out
        )
    print_report(report)
    if args.json:
        report.write_json(args.json)
        print(f"wrote {args.json}")
    return 0


def _loop_case(
    args: argparse.Namespace, corpus: Corpus, checkpoints: tuple[Path, Path] | None
) -> int:
    from lofi.data.split import split_pieces
    from lofi.service.track import load_models, load_style_models
    from lofi.tools.loop_case import loop_case

    models = load_models(*checkpoints) if checkpoints else load_style_models(chosen_style(args))
    pieces = corpus.pieces
    if args.loop_case == "held-out":
        pieces = split_pieces(corpus, args.held_out)[1]
    report = loop_case(pieces, models, corpus.name, args.loop_case, args.seed, args.bars)
    print("\n".join(report.lines()))
    if args.json:
        report.write_json(args.json)
        print(f"wrote {args.json}")
    return 0


def _matrix(args: argparse.Namespace) -> int:
    from lofi.core.paths import styles_dir
    from lofi.tools.matrix import MATRIX_HELD_OUT, cross_corpus

    names = [n.strip() for n in args.corpora.split(",") if n.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise ConfigError("--matrix needs two or more different corpora in --corpora")
    if args.style or args.melody_model or args.chord_model:
        raise ConfigError("--matrix trains its own styles: leave out --style and the models")
    root = args.styles_dir or styles_dir() / "matrix"
    held_out = MATRIX_HELD_OUT if args.held_out is None else args.held_out
    report = cross_corpus(names, root, args.songs, args.bars, args.seed, held_out)
    titles = {
        "auc": "ROC AUC, generated against held-out windows of every pitched part (0.5 = "
        "indistinguishable)",
        "matched_auc": "ROC AUC against held-out parts of one size (the smallest part's pieces; "
        "larger parts in random draws, averaged)",
        "melody_auc": "ROC AUC, the melody line alone (song melody against held-out top lines)",
        "overlap": "mean overlapped area of the 33 features, every pitched part (1 = the same)",
        "attribution": "the corpus a style's windows sound like: mean probability a classifier "
        "of the corpora's held-out pieces gives each (rows sum to 1)",
    }
    for table, title in titles.items():
        print(title)
        print(report.markdown(table))
        own = report.diagonal_lowest(table)
        pieces = report.diagonal_lowest(table, reference=True)
        print(
            f"closest to its own corpus: {sum(own.values())} of {len(own)} styles; "
            f"the training pieces themselves: {sum(pieces.values())} of {len(pieces)}\n"
        )
    if args.json:
        report.write_json(args.json)
        print(f"wrote {args.json}")
    return 0


def print_report(report: EvaluationReport) -> None:
    """Prints the report as plain-text tables: AUCs against the baseline, overlap, music."""
    from lofi.tools.evaluate import GENERATED, HUMAN

    p, w = report.pieces, report.windows
    print(
        f"corpus {report.corpus}: {p['train']} training, {p['held_out']} held-out pieces "
        f"({p['half_a']} + {p['half_b']} for the human baseline); {report.songs} songs of "
        f"{report.bars} bars; windows: generated {w['generated']}, held-out {w['held_out']}"
    )
    print(f"{'two-sample test (ROC AUC)':34s} {'generated':>10s} {'human':>10s}")
    for name in report.auc[GENERATED]:
        print(f"  {name:32s} {report.auc[GENERATED][name]:10.3f} {report.auc[HUMAN][name]:10.3f}")
    mean = report.mean_overlap
    print(f"  {'mean overlapped area':32s} {mean[GENERATED]:10.3f} {mean[HUMAN]:10.3f}")
    print(
        f"realism gap (AUC over human)       {report.realism_gap:+10.3f}   (0 = as real as human)"
    )
    print(
        f"overlap ratio (generated / human)  {report.overlap_ratio:10.3f}   (1 = as real as human)"
    )
    print(f"{'music':34s} {'generated':>10s} {'held-out':>10s}")
    for name, values in report.music.items():
        print(f"  {name:32s} {values['generated']:10.3f} {values['held_out']:10.3f}")
    for part, loss in report.validation_loss.items():
        text = f"{loss:.3f}" if loss is not None else "none recorded"
        print(f"validation loss {part:18s} {text:>10s}")
