"""The benchmark's smoke run: every figure is produced (no timing is asserted)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "midi"
KEYS = {
    "sampler_speedup",
    "sampler_tokens_per_s",
    "render_ratio",
    "e2e_seconds",
    "e2e_stage_seconds",
    "corpus_cache_speedup",
    "parse_speedup",
    "train_pipeline_ratio",
    "peak_rss_mb",
    "machine",
}


@pytest.mark.timeout(600)
def test_smoke_bench_writes_every_key(tmp_path, tiny_checkpoints, app_dirs) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):  # three files, three pieces
        (corpus / f"p{i}.mid").write_bytes((DATA / "tiny_c_major.mid").read_bytes() + b"\0" * i)
    out = tmp_path / "results.json"
    melody, chords = tiny_checkpoints
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "lofi.tools.bench",
            "--smoke",
            "--out",
            str(out),
            "--corpus",
            str(corpus),
            "--melody-model",
            str(melody),
            "--chord-model",
            str(chords),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**__import__("os").environ, "LOFI_EFFECTS_DIR": str(app_dirs["effects"])},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results.keys() >= KEYS
    for key in KEYS - {"machine", "e2e_stage_seconds"}:
        assert isinstance(results[key], float) and results[key] > 0, key
    assert {"compose", "render", "mix", "write_wav"} <= results["e2e_stage_seconds"].keys()
    assert results["machine"]["cores"] >= 1
    assert "sampler_speedup" in res.stdout  # the table
