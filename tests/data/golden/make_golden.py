"""Makes the golden recipes and the sha256 of the song.mid each must make, with the CLI.

    .venv/bin/python tests/data/golden/make_golden.py

Run from the checkout (the data directory). The style they name, tiny-blupi/, was made once
by the command in its style.json (`python -m lofi train style --corpus blupi ... --out
tests/data/golden/tiny-blupi`) and is committed, so the recipes never depend on the shipped
style, which is retrained from time to time. `generate` writes the current arrangement's
recipe; each earlier shipped arrangement's recipe is that recipe with the arrangement as its
version wrote it (a version-1 recipe held only its drum fields, a version-2 one all but
`rhythm`, `timing`, `bass_entry` and `loop_choices`, a version-3 one all but the last two, a
version-4 one all but `loop_choices`). Then `generate
--recipe` makes every recipe's track, and its song.mid's sha256 goes into golden.json.
Rerun only when a change is meant to alter what a recipe makes, which old recipes must not.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parents[2]
STYLE = HERE / "tiny-blupi"
GM = "soundfonts/sf_GMbank.sf2"
GENERATE = [
    *("--style", str(STYLE.relative_to(CHECKOUT))),
    *("--seed", "11", "--key", "D-minor", "--bpm", "80", "--bars", "16"),
    *("--soundfont", f"chords={GM}:0:4", "--soundfont", f"melody={GM}:0:11"),
    *("--soundfont", f"bass={GM}:0:33", "--soundfont", f"drums={GM}:128:0"),
    *("--effects", "rain=off,vinyl=off", "--no-mp3"),
]
# The fields each shipped arrangement version left out of its recipes.
UNWRITTEN = {
    2: ("rhythm", "timing", "bass_entry", "loop_choices"),
    3: ("bass_entry", "loop_choices"),
    4: ("loop_choices",),
}


def lofi(*args: str) -> None:
    env = {**os.environ, "LOFI_HOME": str(CHECKOUT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run([sys.executable, "-m", "lofi", *args], check=True, cwd=CHECKOUT, env=env)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    """Writes arrangement-vN.recipe.json for every shipped version and golden.json."""
    sys.path.insert(0, str(CHECKOUT))
    os.environ["LOFI_HOME"] = str(CHECKOUT)
    from dataclasses import replace

    from lofi.compose.arrangement import _V1_FIELDS, ARRANGEMENTS
    from lofi.service.recipe import load_recipe, to_recipe

    with tempfile.TemporaryDirectory(prefix="lofi-golden-") as tmp:
        first = Path(tmp) / "first"
        lofi("generate", *GENERATE, "--out", str(first))
        request = load_recipe(first / "recipe.json")
        golden: dict[str, str] = {}
        for (_name, version), arrangement in sorted(ARRANGEMENTS.items()):
            # The recipe this machine writes for the request made by that arrangement
            # (its form and timing sources follow the arrangement), in that version's words.
            old = json.loads(json.dumps(to_recipe(replace(request, arrangement=arrangement))))
            keep = _V1_FIELDS if version == 1 else tuple(old["arrangement"])
            drop = UNWRITTEN.get(version, ())
            old["arrangement"] = {
                k: v for k, v in old["arrangement"].items() if k in keep and k not in drop
            }
            file = HERE / f"arrangement-v{version}.recipe.json"
            file.write_text(json.dumps(old, indent=1) + "\n")
            out = Path(tmp) / f"v{version}"
            lofi("generate", "--recipe", str(file), "--out", str(out), "--no-mp3")
            golden[file.name] = sha256(out / "song.mid")
            if version == max(v for _, v in ARRANGEMENTS):
                assert golden[file.name] == sha256(first / "song.mid"), "generate ≠ its recipe"
        manifest = {
            "made_by": "python tests/data/golden/make_golden.py",
            "generate": "python -m lofi generate " + " ".join(GENERATE),
            "song_mid_sha256": golden,
        }
        (HERE / "golden.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps(golden, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
