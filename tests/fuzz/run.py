"""Feeds the fuzz cases through the functions the pages and the CLI call on a dropped file.

`python -m tests.fuzz.run --cases 300 --seed 0` prints one JSON summary: files tried by
kind, rejections, acceptances (each one played or loaded), unhandled exceptions, escapes
(files written outside the upload folders), overwrites, and peak memory. Run as its own
process so the process itself surviving, and its peak RSS, are part of the result.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from lofi.core.errors import LofiError
from lofi.core.paths import PROJECT_ROOT
from tests.fuzz.cases import Case, make_cases
from tests.fuzz.files import MIDI

SENTINEL = b"a file the user made earlier"


def _tree(root: Path) -> dict[str, str]:
    out = {}
    for path in root.rglob("*"):
        if path.is_file() or path.is_symlink():
            data = path.read_bytes() if path.is_file() else b"link"
            out[str(path.relative_to(root))] = hashlib.sha256(data).hexdigest()
    return out


def _one_line(exc: BaseException, root: Path) -> str | None:
    """Why a rejection message is not one clear line, or None when it is."""
    text = str(exc)
    if not text or "\n" in text or len(text) > 400 or "Traceback" in text:
        return f"not one clear line: {text!r}"
    if str(root) in text or str(PROJECT_ROOT) in text:
        return f"shows a server path: {text!r}"
    return None


def _accepted_works(case: Case, kept: Any) -> None:
    """An accepted upload must be usable: a SoundFont plays, an effect bed loads."""
    if case.kind == "soundfont":
        from lofi.audio.render import render_midi

        audio = render_midi(MIDI, kept, tail_s=0.0)[:44_100]
        assert np.isfinite(audio).all() and np.abs(audio).max() > 1e-4, "plays silence"
    elif case.kind == "effect":
        from lofi.audio.effects import load_effect

        audio = load_effect(kept)
        assert audio.ndim == 2 and audio.shape[1] == 2 and len(audio) > 0
        assert np.isfinite(audio).all()


def run(seed: int, count: int) -> dict[str, Any]:
    from lofi.audio.render import shutdown
    from lofi.data.corpus import load_corpus
    from lofi.service.uploads import save_corpus_files, save_effect, save_soundfont

    root = Path(tempfile.mkdtemp(prefix="lofi-fuzz-"))
    folders = {k: root / k for k in ("soundfont", "effect", "corpus")}
    for folder in folders.values():
        folder.mkdir()
    for name in ("tiny.sf2", "tiny.sf3"):
        (folders["soundfont"] / name).write_bytes(SENTINEL)
    (folders["effect"] / "bed.wav").write_bytes(SENTINEL)
    (root / "outside.txt").write_bytes(SENTINEL)
    before = _tree(root)
    tried: Counter[str] = Counter()
    outcome: Counter[str] = Counter()
    problems: list[str] = []
    for case in make_cases(seed, count):
        for name, _ in case.files:
            tried[Path(name).suffix.lower()] += 1
        try:
            if case.kind == "corpus":
                kept: Any = save_corpus_files(list(case.files), "upload", folders["corpus"])
            else:
                save = save_soundfont if case.kind == "soundfont" else save_effect
                kept = save(case.files[0][1], case.files[0][0], folders[case.kind])
            outcome["accepted"] += 1
            if case.kind != "corpus":
                _accepted_works(case, kept)
        except LofiError as exc:
            outcome["rejected"] += 1
            if why := _one_line(exc, root):
                problems.append(f"{case.kind} {case.label}: {why}")
        except Exception as exc:  # what the suite forbids: counted and named
            outcome["unhandled"] += 1
            problems.append(f"{case.kind} {case.label}: unhandled {type(exc).__name__}: {exc}")
    corpus = load_corpus(folders["corpus"])  # what the dataset page does with each upload
    shutdown()
    after = _tree(root)
    overwritten = [p for p, h in before.items() if after.get(p) != h]
    escaped = [p for p in after if not any(p.startswith(f"{k}/") for k in folders)]
    escaped = [p for p in escaped if p not in before]
    leftovers = [p for p in after if Path(p).name.startswith(".")]
    return {
        "cases": count,
        "files_by_kind": dict(sorted(tried.items())),
        **dict(outcome),
        "corpus_pieces": len(corpus.pieces),
        "corpus_bad_files": len(corpus.bad),
        "problems": problems,
        "escapes": escaped,
        "overwrites": overwritten,
        "hidden_leftovers": leftovers,
        "peak_rss_mb": _own_peak_rss_mb(),
        "peak_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
    }


def _own_peak_rss_mb() -> int:
    """This process' own peak resident memory (VmHWM).

    Linux carries ru_maxrss across exec, so a run started by a large parent (a test worker
    holding TensorFlow) would report the parent's size; VmHWM belongs to this program alone.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("LOFI_CACHE_DIR", tempfile.mkdtemp(prefix="lofi-fuzz-cache-"))
    print(json.dumps(run(args.seed, args.cases), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
