import subprocess
import sys

import pytest

from lofi.cli import main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lofi", *args], capture_output=True, text=True, timeout=300
    )


def test_help_explains_every_subcommand() -> None:
    res = _run("--help")
    assert res.returncode == 0
    for command in ("train", "generate", "effects", "corpus", "presets", "where"):
        assert command in res.stdout
        sub = _run(command, "--help")
        assert sub.returncode == 0 and sub.stdout.startswith("usage: python -m lofi " + command)
    gen = _run("generate", "--help").stdout
    for option in (
        "--seed",
        "--key",
        "--bpm",
        "--bars",
        "--temperature",
        "--density",
        "--register",
        "--soundfont",
        "--effects",
        "--melody-model",
        "--chord-model",
        "--recipe",
        "--out",
    ):
        assert option in gen


def test_every_command_and_argument_has_help_text() -> None:
    import argparse

    from lofi.cli import _parser

    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    listed = {choice.dest: choice.help for choice in sub._choices_actions}
    assert set(listed) == set(sub.choices) and all(listed.values())
    for name, command in sub.choices.items():
        assert command.description, f"`{name} --help` has no description"
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
    playlist = sub.choices["playlist"].format_help()
    assert "--style" in playlist and "default" in playlist


def test_presets_lists_what_the_soundfont_holds(gm_soundfont, capsys) -> None:
    from lofi.audio.soundfonts import list_presets

    assert main(["presets", str(gm_soundfont)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{p.bank}:{p.program}\t{p.name}" for p in list_presets(gm_soundfont)]
    assert "0:33\tFingered Bass" in lines


def test_effects_writes_beds_that_decode_and_keeps_them(tmp_path, capsys) -> None:
    import numpy as np
    import soundfile as sf

    from lofi.audio.effects import check_effect_wav

    assert main(["effects", "--out", str(tmp_path)]) == 0
    before = {}
    for name in ("rain", "vinyl"):
        path = tmp_path / f"{name}.wav"
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
        assert rate == 44100 and audio.shape[1] == 2
        assert check_effect_wav(path) == pytest.approx(len(audio) / rate) and len(audio) > rate
        assert float(np.sqrt(np.mean(audio**2))) > 1e-3 and np.abs(audio).max() <= 1.0
        before[name] = path.read_bytes()
    assert main(["effects", "--out", str(tmp_path)]) == 0
    assert "already" in capsys.readouterr().out
    assert {name: (tmp_path / f"{name}.wav").read_bytes() for name in before} == before


def test_corpus_counts_pieces_and_names_bad_files(tmp_path, capsys) -> None:
    from pathlib import Path

    data = Path(__file__).parent / "data" / "midi"
    for name in ("tiny_c_major.mid", "truncated.mid"):
        (tmp_path / name).write_bytes((data / name).read_bytes())
    assert main(["corpus", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert ": 1 pieces, 1 bad," in out[0]
    assert out[1].startswith("  bad: truncated.mid: ")


def test_corpus_stats_lists_the_bundled_lofi_pack(capsys) -> None:
    assert main(["corpus", "stats", "lofi"]) == 0
    assert capsys.readouterr().out.startswith("lofi: 99 pieces, 0 bad, ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "H-minor"], "unknown key"),
        (["--bpm", "300"], "outside 60–100"),
        (["--soundfont", "chords=/nowhere/missing.sf2"], "missing.sf2"),
        (["--effects", "thunder=-10"], "no effect named thunder"),
        (["--effects", "rain=loud"], "not a number"),
        (["--density", "9"], "density 9 is outside"),
        (["--register", "70-75"], "span at least 12"),
        (["--register", "high"], "not LOW-HIGH"),
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
