"""Keeps uploads in a fresh process and prints how much its memory grew, in MB.

`python -m tests.fuzz.peak A.zip B.zip …` prints JSON: each file's outcome (kept, or the
refusal's message) and the peak resident memory above what the process held just before
the first one.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    from lofi.core.errors import LofiError
    from lofi.service.uploads import save_corpus_files

    root = Path(tempfile.mkdtemp())
    outcomes = {}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for name in argv:
        try:
            saved = save_corpus_files([("a.zip", Path(name).read_bytes())], "bomb", root)
            outcomes[Path(name).name] = f"kept {len(saved.kept)}"
        except LofiError as exc:
            outcomes[Path(name).name] = f"refused: {exc}"
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(json.dumps({"outcomes": outcomes, "grown_mb": round(grown, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
