"""The benchmark's smoke run: every figure is produced (no timing is asserted).

The lofi-pack case runs on its own, in tests/test_bench_pack.py.
"""

import json
from pathlib import Path

import pytest

from tests.smoke_bench import CASES, smoke_bench

KEYS = {
    "sampler_speedup",
    "compose_critic_ratio",
    "sampler_tokens_per_s",
    "render_ratio",
    "e2e_seconds",
    "e2e_stage_seconds",
    "take_mb",
    "take_with_stems_mb",
    "stems_on_demand_s",
    "corpus_cache_speedup",
    "parse_speedup",
    "train_pipeline_ratio",
    "time_to_first_audio_s",
    "studio_time_to_first_audio_s",
    "peak_rss_mb",
    "machine",
    "realism_gap",
    "overlap_ratio",
    "sound",
}


@pytest.mark.timeout(600)
def test_smoke_bench_writes_every_key(tmp_path, tiny_checkpoints, app_dirs) -> None:
    r, res = smoke_bench(tmp_path, tiny_checkpoints, app_dirs["effects"], CASES)
    assert r.keys() >= KEYS and r["smoke"] is True
    assert isinstance(r["realism_gap"], float)  # may be negative
    assert list(r["sound"]) == ["default", "radio #1"]
    for row in r["sound"].values():  # a mix's report: finite loudness, shares that add up
        assert row["true_peak_dbtp"] <= -0.9 and -30 < row["lufs"] < 0
        assert 0 < row["air_share"] < 1 - row["low_share"] and -1 <= row["correlation"] <= 1
    for key in KEYS - {"machine", "e2e_stage_seconds", "realism_gap", "sound"}:
        assert isinstance(r[key], float) and r[key] > 0, key
    # every ratio is the ratio of the figures it names
    approx = pytest.approx
    ratio = r["sampler_tokens_per_s"] / r["sampler_baseline_tokens_per_s"]
    assert r["sampler_speedup"] == approx(ratio)
    assert r["render_ratio"] == approx(r["render_seconds"] / r["render_cli_seconds"])
    ratio = r["compose_critic_s"] / r["compose_first_loop_s"]
    assert r["compose_critic_ratio"] == approx(ratio)
    speedup = r["corpus_cold_seconds"] / r["corpus_cached_seconds"]
    assert r["corpus_cache_speedup"] == approx(speedup)
    ratio = r["train_pipeline_sequences_per_s"] / r["train_arrays_sequences_per_s"]
    assert r["train_pipeline_ratio"] == approx(ratio)
    ratio = r["parse_music21_subset_seconds"] / r["parse_fast_subset_seconds"]
    assert r["parse_speedup"] == approx(ratio)
    assert r["corpus_files"] == r["parse_files"] == 10
    # the whole request takes at least its stages, the files on top take longer still
    stages = r["e2e_stage_seconds"]
    assert {"compose", "render", "mix", "write_wav", "write_mp3"} <= stages.keys()
    parts = sum(stages[k] for k in ("compose", "render", "mix", "write_wav"))
    assert parts <= r["e2e_seconds"] * 1.05 <= stages["total_with_mp3_and_stems"] * 1.05
    # a process that imported numpy and rendered a song: tens to hundreds of MB, not GB
    assert 50 < r["peak_rss_mb"] < 4096 and 5 < r["render_worker_peak_rss_mb"] < 4096
    assert r["machine"]["cores"] >= 1 and r["machine"]["python"].startswith("3.")
    # fine-tuning against the base and from scratch: per part, summed, and said in words
    for name in ("base", "scratch", "finetuned"):
        parts = [r[f"{name}_heldout_loss_{p}"] for p in ("melody", "chords")]
        assert r[f"{name}_heldout_loss"] == approx(sum(parts))
    assert r["finetuned_beats_both_heldout_loss"] in (0.0, 1.0)
    assert f"held-out pieces: {r['finetune_verdict']}" in res.stdout
    assert f"held-out pieces: {r['small_finetune_verdict']}" in res.stdout
    assert r["small_finetuned_beats_both_heldout_loss"] in (0.0, 1.0)
    table = res.stdout
    for key in ("sampler_speedup", "render_ratio", "e2e_seconds", "peak_rss_mb"):
        assert f"{r[key]:12.3f}" in table.split(key, 1)[1].splitlines()[0], key
    # --report: the page is made from the figures file beside it, this run's figures in both
    page = (tmp_path / "docs" / "benchmark.md").read_text()
    saved = json.loads((tmp_path / "docs" / "benchmark.json").read_text())
    assert page.startswith("# Benchmark") and "python -m lofi.tools.bench --smoke" in page
    assert set(saved["cases"]) == set(CASES)
    assert saved["cases"]["render"]["figures"]["render_ratio"] == r["render_ratio"]
    assert f"| {r['render_ratio']:,.3f} | ≤ 1.2 | render |" in page


def test_report_merges_a_run_into_the_figures_it_keeps(tmp_path: Path) -> None:
    from lofi.tools.bench_report import write_report

    machine = {"cpu": "test cpu", "cores": 2, "python": "3.11"}

    def case(command: str, figures: dict[str, object]) -> dict[str, object]:
        return {
            "command": command,
            "date": "2026-01-01 00:00 UTC",
            "seconds": 1.0,
            "load_average": [0.5, 0.75],
            "machine": machine,
            "smoke": False,
            "figures": figures,
        }

    page = tmp_path / "benchmark.md"
    goals = {"render_ratio": "≤ 1.2", "sampler_speedup": "≥ 300"}
    write_report({"render": case("bench --case render", {"render_ratio": 0.5})}, goals, page)
    write_report({"sampler": case("bench --case sampler", {"sampler_speedup": 800.0})}, goals, page)
    first = page.read_text()
    assert "| 0.500 | ≤ 1.2 | render |" in first and "| 800 | ≥ 300 | sampler |" in first
    assert "`bench --case render`, `bench --case sampler`" in first
    write_report({"render": case("bench --case render", {"render_ratio": 0.25})}, goals, page)
    again = page.read_text()
    assert "| 0.250 | ≤ 1.2 | render |" in again and "0.500" not in again
    assert "| 800 | ≥ 300 | sampler |" in again and "load average 0.5 → 0.8" in again
