"""`python -m lofi.tools.bench`: the engine against its baselines, side by side, in one run.

Every figure that has a baseline is a ratio against it measured in the same run; each case
runs several times after a warm-up and reports the median. `--smoke` runs tiny sizes, once
(the render and end-to-end cases with no warm-up: their figures are checked, not compared).
`--report` also writes the figures to docs/benchmark.md (see lofi.tools.bench_report).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lofi.tools.bench_report import REPORT, load_average, write_report

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def targets() -> dict[str, str]:
    """Each figure's target, by key."""
    from lofi.tools.bench_pack import PACK_TARGETS
    from lofi.tools.bench_style import STYLE_TARGETS

    return {
        "sampler_speedup": "≥ 300",
        "render_ratio": "≤ 1.2",
        "e2e_seconds": "≤ 4",
        "corpus_cache_speedup": "≥ 20",
        "parse_speedup": "≥ 10",
        "train_pipeline_ratio": "≥ 0.9",
        "peak_rss_mb": "≤ 1536",
        "time_to_first_audio_s": "≤ 1",
        "radio_lookahead_margin_s": "> 0",
        "studio_time_to_first_audio_s": "≤ 1",
        **STYLE_TARGETS,
        **PACK_TARGETS,
    }


def print_table(results: dict[str, Any]) -> None:
    """Prints each figure beside its target."""
    goals = targets()
    print(f"{'figure':48s} {'value':>12s}  target")
    for key, value in results.items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            print(f"{key:48s} {value:12.3f}  {goals.get(key, '')}")
    for stage, seconds in results.get("e2e_stage_seconds", {}).items():
        print(f"  e2e {stage:43s} {seconds:12.3f}")
    for prefix in ("", "small_"):
        if f"{prefix}finetune_verdict" in results:
            files = results[f"{prefix}finetune_files"]
            print(
                f"fine-tuning on {files:.0f} files, their held-out pieces: "
                f"{results[f'{prefix}finetune_verdict']}"
            )
    if "pack_verdict" in results:
        print(f"{results['pack_setup']}.")
        print(
            f"fine-tuning on {results['pack_user_files']:.0f} files of the lofi pack, its "
            f"held-out pieces: {results['pack_verdict']}"
        )
    if "sound" in results:
        from lofi.tools.bench_sound import print_sound_table

        print_sound_table(results["sound"])
    m = results["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}")


def main(argv: list[str] | None = None) -> int:
    """Runs every case, writes the results as JSON to --out and prints the table; returns 0."""
    from lofi.models.loading import default_chord_model, default_melody_model
    from lofi.tools.bench_corpus import bench_corpus, bench_parse
    from lofi.tools.bench_measure import machine
    from lofi.tools.bench_model import bench_compose, bench_sampler, bench_train_pipeline
    from lofi.tools.bench_pack import PACK_SMOKE, bench_pack
    from lofi.tools.bench_radio import bench_radio
    from lofi.tools.bench_sound import RADIO_TRACKS, bench_sound
    from lofi.tools.bench_studio import bench_studio
    from lofi.tools.bench_style import style_cases
    from lofi.tools.bench_takes import bench_takes
    from lofi.tools.bench_track import bench_e2e, bench_memory, bench_render, track_request

    parser = argparse.ArgumentParser(prog="python -m lofi.tools.bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument("--out", type=Path, default=Path("bench/results.json"))
    parser.add_argument("--melody-model", type=Path, default=None)
    parser.add_argument("--chord-model", type=Path, default=None)
    parser.add_argument("--corpus", default=None, help="corpus for the cache and train cases")
    parser.add_argument(
        "--music21-files",
        type=int,
        default=16,
        help="files music21 parses in the cold-parse case (0: the whole corpus)",
    )
    parser.add_argument(
        "--case",
        action="append",
        default=None,
        metavar="NAME",
        help="run only this case (repeatable): sampler, compose, render, e2e, takes, corpus, "
        "parse, "
        "train, memory, radio, studio, realism, style, lofi-pack, sound",
    )
    parser.add_argument(
        "--report",
        nargs="?",
        type=Path,
        const=REPORT,
        default=None,
        metavar="PAGE",
        help=f"also write the figures to PAGE (default {REPORT}), merged into the JSON "
        "beside it: the cases run here replace theirs, the others stay as measured",
    )
    args = parser.parse_args(argv)
    melody = args.melody_model or default_melody_model()
    chords = args.chord_model or default_chord_model()
    smoke = args.smoke
    corpus = args.corpus or ("simutrans" if smoke else "default")
    bars, bpm = (8, 100.0) if smoke else (40, 80.0)  # 40 bars at 80 BPM: two minutes
    repeats = 1 if smoke else 3
    warmup = 0 if smoke else 1
    request = track_request(melody, chords, bars, bpm)
    results: dict[str, Any] = {"machine": machine(), "smoke": smoke}
    cases: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("sampler", lambda: bench_sampler(melody, 200 if smoke else 3000, 5 if smoke else 60)),
        ("compose", lambda: bench_compose(1 if smoke else 10, 8 if smoke else 32)),
        ("render", lambda: bench_render(request, repeats, warmup)),
        ("e2e", lambda: bench_e2e(request, repeats, warmup)),
        ("takes", lambda: bench_takes(request)),
        ("corpus", lambda: bench_corpus(corpus)),
        ("parse", lambda: bench_parse(corpus, 2 if smoke else args.music21_files)),
        ("train", lambda: bench_train_pipeline(corpus, melody, 4 if smoke else 120, repeats)),
        ("memory", lambda: bench_memory(melody, chords, bars)),
        (
            "radio",
            lambda: bench_radio(track_request(melody, chords, 8, bpm), 8 if smoke else 32, repeats),
        ),
        ("studio", lambda: bench_studio(request, repeats)),
        *style_cases(melody, chords, corpus, smoke),
        # The bundled lofi pack in two halves: a base style, fine-tuned to the other half.
        ("lofi-pack", lambda: bench_pack(smoke, **PACK_SMOKE if smoke else {})),
        ("sound", lambda: bench_sound(1 if smoke else RADIO_TRACKS, smoke)),
    ]
    unknown = set(args.case or ()) - {name for name, _ in cases}
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m lofi.tools.bench", *given])
    measured: dict[str, dict[str, Any]] = {}
    for name, case in cases:
        if args.case and name not in args.case:
            continue
        start, load = time.perf_counter(), load_average()
        date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        print(f"[bench] {name}…", file=sys.stderr, flush=True)
        figures = case()
        results.update(figures)
        seconds = time.perf_counter() - start
        print(f"[bench] {name} took {seconds:.1f} s", file=sys.stderr)
        measured[name] = {
            "command": command,
            "date": date,
            "seconds": seconds,
            "load_average": [load, load_average()],
            "machine": results["machine"],
            "smoke": smoke,
            "figures": figures,
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    if "sound" in results and not smoke:
        from lofi.tools.bench_sound import write_doc

        write_doc(results["sound"], Path("docs/sound.md"))
    print_table(results)
    if args.report is not None:
        write_report(measured, targets(), args.report)
        print(f"wrote {args.report} and {args.report.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
