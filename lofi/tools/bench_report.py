"""`python -m lofi.tools.bench --report`: the bench's figures as docs/benchmark.md.

Each run's cases are merged into docs/benchmark.json beside the page (every case's figures
with the command, date, machine and load average they were measured with), and the page is
written from that file alone: a figure in the docs is always a command's output, never typed
by hand, and a run of a few cases replaces only theirs.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

REPORT = Path("docs/benchmark.md")
FORMAT_VERSION = 1

# What each figure is, in a reader's words (a figure not listed is shown by its key).
LABELS = {
    "sampler_speedup": "numpy step sampler ÷ `model.predict`, tokens/s (same checkpoint, seed)",
    "sampler_tokens_per_s": "numpy step sampler, tokens/s",
    "sampler_baseline_tokens_per_s": "`model.predict` one token at a time, tokens/s",
    "compose_critic_ratio": "composing a song with the default style: the loop critic's pick "
    "of 64 loops ÷ the first loop drawn (arrangement 4), s per song",
    "compose_critic_s": "composing a 32-bar song with the default style, s",
    "compose_first_loop_s": "… with arrangement 4 (the first loop drawn), s",
    "render_ratio": "render of the song ÷ `fluidsynth -ni -F` on the same MIDI and SoundFont",
    "render_seconds": "render, s",
    "render_cli_seconds": "`fluidsynth` command line, s",
    "e2e_seconds": "request → playable mix in memory, WAV written, s",
    "take_mb": "a studio take on disk without stems, MB",
    "take_with_stems_mb": "… with the stems asked for, MB",
    "stems_on_demand_s": "stems made on demand, s",
    "session_cap_mb": "session cap (`LIMITS.session_bytes`), MB",
    "takes_per_session": "takes that fit under the cap",
    "corpus_cache_speedup": "cold parse of the corpus ÷ cached reload",
    "corpus_cold_seconds": "cold parse (empty cache, process pool), s",
    "corpus_cached_seconds": "reload from the cache, s",
    "parse_speedup": "cold parse, music21 ÷ the fast reader (same subset)",
    "parse_music21_cold_seconds_estimated": "music21 on every file, extrapolated by bytes, s",
    "parse_fast_cold_seconds": "fast reader on every file, s",
    "parse_fast_ms_per_file": "fast reader, CPU ms per file",
    "train_pipeline_ratio": "training input pipeline (tf.data) ÷ in-memory arrays, sequences/s",
    "peak_rss_mb": "peak memory of a process that loaded both models and made a track, MB",
    "render_worker_peak_rss_mb": "… of one render worker, MB",
    "time_to_first_audio_s": "radio: click → first 4 bars mastered on disk (median), s",
    "radio_lookahead_margin_s": "radio: next track on disk before it is needed (least), s",
    "radio_track_make_s": "radio: one track made (median), s",
    "studio_time_to_first_audio_s": "studio: Generate → first 4 bars of every part on disk, s",
    "studio_whole_take_s": "studio: whole take saved, s",
    "realism_gap": "realism gap (4-bar windows): generated-vs-held-out forest AUC − human "
    "(training vs held-out pieces) forest AUC",
    "overlap_ratio": "overlap ratio: generated-vs-held-out overlap ÷ the human (training vs "
    "held-out) overlap",
    "finetune_seconds": "fine-tuning the shipped style to the chorales, wall s",
    "finetune_cpu_seconds": "… CPU s",
    "scratch_style_seconds": "the same corpus trained from scratch, wall s",
    "pack_finetune_seconds": "fine-tuning a piano style to a user's lofi pack (`train style "
    "--from` as a child process), wall s",
    "pack_finetune_cpu_seconds": "… CPU s",
    "pack_scratch_seconds": "the same pack trained from scratch, wall s",
    "pack_base_seconds": "the base style trained on the other half of the pack, wall s",
}


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e6:
        return f"{int(value):,}"
    return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"


def _rows(figures: dict[str, Any], targets: dict[str, str]) -> list[str]:
    rows = []
    for key, value in figures.items():
        label = LABELS.get(key, f"`{key}`")
        if isinstance(value, bool):
            rows.append(f"| {label} | {value} | {targets.get(key, '')} |")
        elif isinstance(value, int | float):
            rows.append(f"| {label} | {_number(float(value))} | {targets.get(key, '')} |")
        elif isinstance(value, dict):
            for sub, v in value.items():
                if isinstance(v, dict):  # a table (the sound case: a row per track)
                    rows += [
                        f"| `{key}`: {sub} · {k} | {_number(float(x))} | |" for k, x in v.items()
                    ]
                else:
                    rows.append(f"| `{key}`: {sub} | {_number(float(v))} | |")
        elif isinstance(value, str):
            rows.append(f"| {label} | {value} | |")
    return rows


def merge_cases(path: Path, cases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The figures file at `path` with these cases replaced (a missing file starts empty)."""
    data: dict[str, Any] = {"format_version": FORMAT_VERSION, "cases": {}}
    if path.is_file():
        try:
            old = json.loads(path.read_text())
            if isinstance(old, dict) and isinstance(old.get("cases"), dict):
                data["cases"] = old["cases"]
        except json.JSONDecodeError:
            pass  # a broken file is rewritten from this run's cases
    data["cases"].update(cases)
    return data


def render_markdown(data: dict[str, Any], targets: dict[str, str]) -> str:
    """The page: the figures with a target first, then every case's figures and how."""
    cases = data["cases"]
    commands = sorted({c["command"] for c in cases.values()})
    lines = [
        "# Benchmark",
        "",
        "<!-- Generated by `python -m lofi.tools.bench --report` (`make bench`) from",
        "     docs/benchmark.json: do not edit; run the command again. -->",
        "",
        "Generated by " + ", ".join(f"`{c}`" for c in commands) + " (`make bench` runs every",
        "case). Each case below says when and on what it was measured; the load average is the",
        "machine's (2 cores: above 2, other work shared the cores and times are upper bounds).",
        "Ratios are against a baseline measured in the same run.",
        "",
        "## Against their targets",
        "",
        "| figure | value | target | case |",
        "|---|---|---|---|",
    ]
    for name, case in cases.items():
        for key, value in case["figures"].items():
            if key in targets and isinstance(value, int | float):
                label = LABELS.get(key, f"`{key}`")
                lines.append(f"| {label} | {_number(float(value))} | {targets[key]} | {name} |")
    for name, case in cases.items():
        load = case.get("load_average", [])
        smoke = " — smoke run: tiny sizes, a check of the plumbing, not figures" * bool(
            case.get("smoke")
        )
        lines += [
            "",
            f"## {name}{smoke}",
            "",
            f"`{case['command']}` on {case['date']}, {case['seconds']:.0f} s; "
            f"{case['machine']['cpu']}, {case['machine']['cores']} cores, Python "
            f"{case['machine']['python']}; load average "
            + " → ".join(f"{x:.1f}" for x in load)
            + ".",
            "",
            "| figure | value | target |",
            "|---|---|---|",
            *_rows(case["figures"], targets),
        ]
    return "\n".join(lines) + "\n"


def write_report(cases: dict[str, dict[str, Any]], targets: dict[str, str], page: Path) -> None:
    """Merges `cases` into the page's JSON beside it and rewrites the page from it."""
    figures_file = page.with_suffix(".json")
    data = merge_cases(figures_file, cases)
    page.parent.mkdir(parents=True, exist_ok=True)
    figures_file.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    page.write_text(render_markdown(data, targets))


def load_average() -> float:
    """The one-minute load average (0 where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0
