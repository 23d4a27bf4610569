"""The benchmark's smoke run as the bench tests start it: a child process, tiny sizes."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "midi"
# Every case of `python -m lofi.tools.bench` but the lofi pack's, which runs on its own (its
# three `train style` commands take as long as all of these): two tests, two workers.
CASES = (
    *("sampler", "compose", "render", "e2e", "takes", "corpus", "parse", "train", "memory"),
    *("radio", "studio", "realism", "style", "sound"),
)


def smoke_bench(
    tmp_path: Path, checkpoints: tuple[Path, Path], effects: Path, cases: tuple[str, ...]
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """Runs the smoke bench's `cases` with --report; its figures and the finished process."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(10):  # ten files, ten pieces (enough for evaluate's held-out halves)
        (corpus / f"p{i}.mid").write_bytes((DATA / "tiny_c_major.mid").read_bytes() + b"\0" * i)
    out = tmp_path / "results.json"
    melody, chords = checkpoints
    res = subprocess.run(
        [
            *(sys.executable, "-m", "lofi.tools.bench", "--smoke", "--out", str(out)),
            *("--corpus", str(corpus), "--melody-model", str(melody), "--chord-model", str(chords)),
            *("--report", str(tmp_path / "docs" / "benchmark.md")),
            *(a for case in cases for a in ("--case", case)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "LOFI_EFFECTS_DIR": str(effects)},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(out.read_text()), res
