"""`python -m lofi evaluate`: generated songs against held-out corpus pieces, as tables and JSON.

The human baseline and every interval are measured in the same run; `--report` writes
docs/evaluation.md from the same figures.
"""

from __future__ import annotations

import argparse
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lofi.cli.out_folder import check_writable
from lofi.cli.style_flags import add_style_flags, chosen_checkpoints, chosen_style
from lofi.core.errors import ConfigError
from lofi.core.settings import GENERATION

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus
    from lofi.tools.evaluate import EvaluationReport

REPORT = Path("docs/evaluation.md")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `evaluate` command, its options and handler, to the command line."""
    v = sub.add_parser(
        "evaluate",
        help="measure generated songs against a corpus' held-out pieces",
        description=(
            "Splits the corpus by content hash into training and held-out pieces, generates "
            "songs, and measures how well classifiers tell their windows (1, 2 and 4 bars) "
            "from held-out ones (ROC AUC; 0.5 = indistinguishable), against the human "
            "baseline: training pieces against the same held-out pieces, as many pieces and "
            "windows as the songs have, over random draws. Every AUC and overlap has a bootstrap "
            "interval over pieces; the features that tell songs from pieces are named in "
            "words. Plus MusPy metrics, chord tones, copying and each part's validation loss."
        ),
    )
    v.add_argument("--corpus", default="default", help="bundled corpus name or folder")
    add_style_flags(v)
    v.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="STYLE",
        help="another style measured in the same run and report (repeat for more)",
    )
    v.add_argument("--songs", type=int, default=20, help="songs per style (default 20)")
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
        "--windows",
        default="1,2,4",
        help="window lengths in bars, comma-separated, of 1, 2 and 4 (default 1,2,4)",
    )
    v.add_argument(
        "--parts",
        help="song parts to compare, comma-separated (default: the parts the style learned "
        "from the corpus, else those the corpus has: chords,melody for a pack of piano loops "
        "like lofi)",
    )
    v.add_argument(
        "--draws", type=int, default=5, help="random draws for the human baseline (default 5)"
    )
    v.add_argument(
        "--bootstrap",
        type=int,
        default=200,
        help="bootstrap resamples per interval, 0–2000 (default 200)",
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
    v.add_argument(
        "--report",
        type=Path,
        nargs="?",
        const=REPORT,
        help=f"write the tables as Markdown, headed by this command and the date "
        f"(default {REPORT})",
    )
    v.set_defaults(handler=_evaluate)


def _windows(text: str) -> tuple[int, ...]:
    try:
        windows = tuple(sorted({int(w) for w in text.split(",") if w.strip()}))
    except ValueError:
        windows = ()
    if not windows or any(w not in (1, 2, 4) for w in windows):
        raise ConfigError(f"--windows takes bars out of 1, 2 and 4, comma-separated, not {text}")
    return windows


def _check(args: argparse.Namespace) -> None:
    """Refuses bad flags before minutes of work, not after."""
    for flag in ("json", "report"):
        path = getattr(args, flag)
        if path is not None and path.is_dir():
            raise ConfigError(f"--{flag} {path} is a folder; give the file to write")
    if not 0 <= args.bootstrap <= 2000:
        raise ConfigError(f"--bootstrap is 0–2000 resamples, not {args.bootstrap}")
    if not 1 <= args.draws <= 50:
        raise ConfigError(f"--draws is 1–50, not {args.draws}")
    if args.held_out is not None and not 0.0 < args.held_out < 1.0:
        raise ConfigError(f"--held-out is a share between 0 and 1, not {args.held_out}")
    if args.songs < 1:
        raise ConfigError(f"--songs {args.songs}: make at least one song")
    for flag in ("json", "report"):
        if getattr(args, flag) is not None:
            check_writable(getattr(args, flag), f"--{flag}", is_file=True)


def _evaluate(args: argparse.Namespace) -> int:
    from lofi.data.corpus import load_corpus
    from lofi.models.loading import load_checkpoints
    from lofi.models.style import resolve_style
    from lofi.tools.evaluate import evaluate

    _check(args)
    if args.matrix:
        return _matrix(args)
    if args.held_out is None:
        args.held_out = 0.2
    windows = _windows(args.windows)
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip()) if args.parts else None
    checkpoints = chosen_checkpoints(args)
    others = [resolve_style(name) for name in args.compare]
    corpus = load_corpus(args.corpus)
    if args.loop_case:
        return _loop_case(args, corpus, checkpoints)
    settings = {
        "songs": args.songs,
        "seed": args.seed,
        "bars": args.bars,
        "held_out": args.held_out,
        "windows": windows,
        "parts": parts,
        "draws": args.draws,
        "boots": args.bootstrap,
    }
    reports: list[tuple[str, EvaluationReport]] = []
    if checkpoints:
        melody, chords = checkpoints
        made = evaluate(
            corpus,
            load_checkpoints(melody, chords),
            checkpoints={"melody": melody, "chords": chords},
            **settings,
        )
        reports.append((f"models {melody.name}, {chords.name}", made))
    else:
        style = chosen_style(args)
        reports.append((_label(style), evaluate(corpus, style, **settings)))
    for style in others:
        reports.append((_label(style), evaluate(corpus, style, **settings)))
    for label, report in reports:
        print(f"== {label}")
        print_report(report)
    if args.json:
        _write_json(args.json, reports)
        print(f"wrote {args.json}")
    if args.report:
        from lofi.tools.evaluation_doc import markdown, write_markdown

        command = "python -m lofi " + shlex.join(getattr(args, "argv", []))
        date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        write_markdown(args.report, markdown(reports, command, date))
        print(f"wrote {args.report}")
    return 0


def _loop_case(
    args: argparse.Namespace, corpus: Corpus, checkpoints: tuple[Path, Path] | None
) -> int:
    from lofi.models.loading import load_checkpoints, load_song_models
    from lofi.tools.loop_case import corpus_loop_case

    models = load_checkpoints(*checkpoints) if checkpoints else load_song_models(chosen_style(args))
    report = corpus_loop_case(corpus, models, args.loop_case, args.held_out, args.seed, args.bars)
    print("\n".join(report.lines()))
    if args.json:
        report.write_json(args.json)
        print(f"wrote {args.json}")
    return 0


def _label(style: Path) -> str:
    from lofi.models.style import default_style_dir, read_style

    name = read_style(style).name
    shipped = style.resolve() == default_style_dir().resolve()
    return f"style {name} (shipped)" if shipped else f"style {name}"


def _write_json(path: Path, reports: list[tuple[str, EvaluationReport]]) -> None:
    """One report as is; several as {"styles": {label: report}}."""
    import json

    if len(reports) == 1:
        reports[0][1].write_json(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"styles": {label: r.to_json() for label, r in reports}}
    path.write_text(json.dumps(data, indent=1))


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
    """Prints the report as plain-text tables: per window, the AUCs and overlaps with intervals."""
    from lofi.tools.evaluate import GENERATED, HUMAN

    p = report.pieces
    print(
        f"corpus {report.corpus}: {p['train']} training, {p['held_out']} held-out pieces; "
        f"{report.songs} songs of {report.bars} bars; compared: {report.compared}"
    )
    print(
        f"human baseline: training pieces against the held-out ones, as many pieces and "
        f"windows as the songs have, mean of {report.human_draws} draws; intervals: 95 % "
        f"bootstrap over pieces ({report.bootstrap} resamples)"
    )
    for bars, c in sorted(report.comparisons.items()):
        print(
            f"-- {bars}-bar windows: songs {c.windows['generated']:.0f}, held-out "
            f"{c.windows['held_out']:.0f} ({c.groups['held_out']:.0f} pieces), training "
            f"{c.windows['training']:.0f} per draw"
        )
        print(f"  {'':22s} {'songs':>22s} {'human':>22s}")
        for name in c.auc[GENERATED]:
            song, human = c.auc[GENERATED][name].text(), c.auc[HUMAN][name].text()
            print(f"  {'AUC, ' + name:22s} {song:>22s} {human:>22s}")
        song, human = c.mean_overlap[GENERATED].text(), c.mean_overlap[HUMAN].text()
        print(f"  {'mean overlap':22s} {song:>22s} {human:>22s}")
        print(f"  overlap ratio {c.overlap_ratio.text()}; {c.verdict}")
        for s in c.separating[:6]:
            print(f"  {s.words()}")
    print(f"{'music':34s} {'generated':>10s} {'held-out':>10s}")
    for name, values in report.music.items():
        print(f"  {name:32s} {values['generated']:10.3f} {values['held_out']:10.3f}")
    for part, loss in report.validation_loss.items():
        text = f"{loss:.3f}" if loss is not None else "none recorded"
        print(f"validation loss {part:18s} {text:>10s}")
