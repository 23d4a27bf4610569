import subprocess
import sys

import pytest

from lofi.cli import main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lofi", *args], capture_output=True, text=True, timeout=300
    )


def test_help_explains_every_subcommand() -> None:
    out = _run("--help").stdout
    for command in ("train", "generate", "effects", "corpus", "presets"):
        assert command in out
    gen = _run("generate", "--help").stdout
    for option in (
        "--seed",
        "--key",
        "--bpm",
        "--bars",
        "--temperature",
        "--soundfont",
        "--effects",
        "--melody-model",
        "--chord-model",
        "--recipe",
        "--out",
    ):
        assert option in gen


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "H-minor"], "unknown key"),
        (["--bpm", "300"], "outside 60–100"),
        (["--soundfont", "chords=/nowhere/missing.sf2"], "missing.sf2"),
        (["--effects", "thunder=-10"], "no effect named thunder"),
        (["--effects", "rain=loud"], "not a number"),
    ],
)
def test_generate_bad_input_is_one_clear_line(tmp_path, tiny_checkpoints, args, message) -> None:
    melody, chords = tiny_checkpoints
    out = tmp_path / "out"
    res = _run(
        "generate",
        "--out",
        str(out),
        "--melody-model",
        str(melody),
        "--chord-model",
        str(chords),
        *args,
    )
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists() or not any(out.rglob("*.wav"))


def test_broken_recipe_is_one_clear_line(tmp_path, capsys) -> None:
    recipe = tmp_path / "recipe.json"
    recipe.write_text('{"format_version": 1, "seed": "x"')
    assert main(["generate", "--recipe", str(recipe), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read recipe recipe.json")


def test_unknown_corpus_is_one_clear_line(tmp_path, capsys) -> None:
    code = main(["train", "melody", "--corpus", "no-such-corpus", "--out", str(tmp_path / "r")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "no-such-corpus" in err and "\n" not in err


def test_generate_refuses_a_folder_that_holds_files(tmp_path, capsys) -> None:
    out = tmp_path / "track"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert main(["generate", "--out", str(out)]) == 2
    assert "nothing is overwritten" in capsys.readouterr().err
    assert (out / "mine.txt").read_text() == "keep me"
