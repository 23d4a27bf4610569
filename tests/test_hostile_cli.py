"""Commands given hostile values or killed mid-write: one clear line, no half-made folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lofi.cli import main

DATA = Path(__file__).parent / "data" / "midi"

CASES = {
    "train seed -5": (
        ["train", "melody", "--seed", "-5", "--corpus", str(DATA), "--out", "{tmp}/r"],
        "--seed -5 is outside 0–4294967295",
    ),
    "train style critic loops -1": (
        ["train", "style", "--critic-loops", "-1", "--corpus", str(DATA), "--out", "{tmp}/r"],
        "--critic-loops -1 is outside 0–100000",
    ),
    "train critic no loops": (
        ["train", "critic", "--critic-loops", "0", "--corpus", str(DATA), "--out", "{tmp}/r"],
        "a critic needs at least 1 loop",
    ),
    "train out in /proc": (
        ["train", "melody", "--corpus", str(DATA), "--out", "/proc/x/run"],
        "cannot write into /proc/x/run: ",
    ),
    "train style resume a new folder": (
        ["train", "style", "--resume", "--corpus", str(DATA), "--out", "{tmp}/new"],
        "holds no stopped style run",
    ),
    "corpus build out in /proc": (
        ["corpus", "build", str(DATA), "--out", "/proc/x"],
        "cannot write into /proc/x: ",
    ),
    "corpus stats empty name": (["corpus", "stats", ""], "give a corpus"),
    "corpus build empty name": (["corpus", "build", " ", "--out", "{tmp}/s"], "give a corpus"),
    "generate out in /proc": (
        ["generate", "--out", "/proc/x", "--bars", "8"],
        "cannot write into /proc/x: ",
    ),
    "evaluate songs 0": (["evaluate", "--corpus", str(DATA), "--songs", "0"], "at least one"),
    "evaluate json in /proc": (
        ["evaluate", "--corpus", str(DATA), "--json", "/proc/x/r.json"],
        "cannot write /proc/x/r.json: ",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_in_one_line_before_any_work(name, tmp_path, capsys, monkeypatch) -> None:
    argv, expected = CASES[name]
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    # Work would parse the corpus (its cache written here) or load models: neither happens.
    monkeypatch.setenv("LOFI_CACHE_DIR", str(tmp_path / "cache"))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and expected in err, err
    assert "unexpected failure" not in err
    assert not (tmp_path / "cache").exists()  # nothing was parsed
    assert not (tmp_path / "new").exists() and not (tmp_path / "r").exists()


@pytest.fixture(scope="module")
def generate_args(tmp_path_factory, tiny_checkpoints, gm_soundfont) -> tuple[dict, list[str]]:
    from lofi.audio.effects import make_default_effects

    effects = tmp_path_factory.mktemp("effects")
    make_default_effects(effects)
    env = {**os.environ, "LOFI_EFFECTS_DIR": str(effects), "PYTHONPATH": os.pathsep.join(sys.path)}
    melody, chords = tiny_checkpoints
    args = ["--melody-model", str(melody), "--chord-model", str(chords), "--bars", "8"]
    for part, preset in (("chords", "0:4"), ("melody", "0:11"), ("bass", "0:33")):
        args += ["--soundfont", f"{part}={gm_soundfont}:{preset}"]
    return env, [*args, "--soundfont", f"drums={gm_soundfont}:128:0"]


def _partial(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(".out.partial-")]


@pytest.mark.parametrize("moment", ["mix.wav", "recipe.json", "stems", "mix.mp3"])
def test_generate_killed_while_writing_leaves_no_finished_looking_folder(
    generate_args, tmp_path, moment
) -> None:
    env, args = generate_args
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "lofi", "generate", "--out", str(out), *args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Waits for the moment the kill stands for: that file appearing in the hidden folder.
        while proc.poll() is None and not any((p / moment).exists() for p in _partial(tmp_path)):
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    if proc.returncode == 0:  # finished before the kill landed: the whole track is there
        assert {"mix.wav", "mix.mp3", "song.mid", "recipe.json"} <= {p.name for p in out.iterdir()}
        return
    assert not out.exists()  # only the hidden, partial folder is left
    assert [p.name.startswith(".out.partial-") for p in tmp_path.iterdir()] == [True]
    again = subprocess.run([*cmd, "--no-mp3"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert (out / "mix.wav").is_file() and (out / "recipe.json").is_file()


def test_generate_into_an_empty_folder_fills_it(generate_args, tmp_path) -> None:
    env, args = generate_args
    out = tmp_path / "empty"
    out.mkdir()
    cmd = [sys.executable, "-m", "lofi", "generate", "--out", str(out), *args, "--no-mp3"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert {"mix.wav", "song.mid", "recipe.json", "stems"} == {p.name for p in out.iterdir()}
    assert not _partial(tmp_path)
