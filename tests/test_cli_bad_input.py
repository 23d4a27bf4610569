"""Bad flags, values, files and folders: one line on stderr and a non-zero exit, never a
traceback. Run in-process through lofi.cli.main, plus a few as real subprocesses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lofi.cli import main
from lofi.core.errors import RecipeError
from lofi.service.recipe_schema import parse_recipe

Case = Callable[[Path, tuple[Path, Path]], list[str]]


def _gen(*extra: str) -> Case:
    def build(tmp: Path, models: tuple[Path, Path]) -> list[str]:
        melody, chords = models
        return [
            "generate",
            "--out",
            str(tmp / "out"),
            "--melody-model",
            str(melody),
            "--chord-model",
            str(chords),
            "--no-mp3",
            *extra,
        ]

    return build


def _tampered(kind: str, edit: Callable[[Path], object]) -> Case:
    """Generate with a copy of the tiny checkpoint of `kind` that `edit` damaged."""

    def build(tmp: Path, models: tuple[Path, Path]) -> list[str]:
        melody, chords = models
        folder = tmp / f"bad-{kind}"
        shutil.copytree(melody if kind == "melody" else chords, folder)
        edit(folder)
        chosen = (folder, chords) if kind == "melody" else (melody, folder)
        return _gen()(tmp, chosen)

    return build


def _json_edit(name: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        data = json.loads((folder / name).read_text())
        (folder / name).write_text(json.dumps(change(data)))

    return edit


def _drop(key: str) -> Callable[[dict], dict]:
    return lambda d: {k: v for k, v in d.items() if k != key}


def _weights(change: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]) -> Callable:
    def edit(folder: Path) -> None:
        with np.load(folder / "weights.npz") as data:
            arrays = {k: data[k] for k in data.files}
        np.savez(folder / "weights.npz", **change(arrays))  # type: ignore[arg-type]

    return edit


def _nan(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    arrays["lstm/0/bias"] = arrays["lstm/0/bias"] * np.nan
    return arrays


def _reshaped(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    arrays["lstm/0/recurrent"] = arrays["lstm/0/recurrent"][:, :-4]
    return arrays


def _huge_header(folder: Path) -> None:
    """A weights file whose array header declares 7 TiB."""
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 2000000), }"
    header = header.ljust(118) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(64)
    import zipfile

    with zipfile.ZipFile(folder / "weights.npz", "w") as z:
        z.writestr("lstm/0/kernel.npy", npy)


def _write(name: str, data: bytes) -> Callable[[Path], object]:
    return lambda folder: (folder / name).write_bytes(data)


def _recipe(change: Callable[[dict], object] | str) -> Case:
    def build(tmp: Path, models: tuple[Path, Path]) -> list[str]:
        from lofi.audio.soundfonts import default_instruments
        from lofi.core.types import GenerationConfig, Key
        from lofi.service.recipe import TrackRequest, to_recipe
        from lofi.service.track import resolve_effects

        levels = {"rain": -24.0}
        request = TrackRequest(
            GenerationConfig(1, Key.parse("A-minor"), 80.0, 8),
            models[0],
            models[1],
            default_instruments(),
            levels,
            resolve_effects(levels),
        )
        path = tmp / "recipe.json"
        if isinstance(change, str):
            path.write_text(change)
        else:
            path.write_text(json.dumps(change(to_recipe(request))))
        return ["generate", "--recipe", str(path), "--out", str(tmp / "out"), "--no-mp3"]

    return build


def _set(*keys: str, value: object) -> Callable[[dict], dict]:
    def change(data: dict) -> dict:
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
        return data

    return change


def _file_at(rel: str) -> Case:
    def build(tmp: Path, models: tuple[Path, Path]) -> list[str]:
        (tmp / "afile").write_text("mine")
        return [*_gen()(tmp, models)[:1], "--out", str(tmp / rel), *_gen()(tmp, models)[3:]]

    return build


def _train(*extra: str) -> Case:
    return lambda tmp, _: ["train", "melody", "--corpus", str(tmp), "--out", str(tmp / "r"), *extra]


CASES: dict[str, Case] = {
    "unknown flag": _gen("--loudness", "11"),
    "unknown key": _gen("--key", "H-minor"),
    "bpm 0": _gen("--bpm", "0"),
    "bpm 1000": _gen("--bpm", "1000"),
    "bpm -5": _gen("--bpm", "-5"),
    "bpm nan": _gen("--bpm", "nan"),
    "bpm not a number": _gen("--bpm", "fast"),
    "bars 0": _gen("--bars", "0"),
    "bars 100000": _gen("--bars", "100000"),
    "temperature -1": _gen("--temperature", "-1"),
    "temperature nan": _gen("--temperature", "nan"),
    "top-p 0": _gen("--top-p", "0"),
    "seed -1": _gen("--seed", "-1"),
    "effects rain=1e308": _gen("--effects", "rain=1e308"),
    "effects rain=nan": _gen("--effects", "rain=nan"),
    "effects rain=400": _gen("--effects", "rain=400"),
    "effects unknown bed": _gen("--effects", "thunder=-20"),
    "effects no level": _gen("--effects", "rain"),
    "soundfont missing": _gen("--soundfont", "melody=/no/such/font.sf2"),
    "soundfont corrupt": lambda t, m: (
        (t / "bad.sf2").write_bytes(b"RIFF\x00\x00\x00\x00sfbk" + bytes(64)),
        _gen("--soundfont", f"melody={t / 'bad.sf2'}")(t, m),
    )[1],
    "soundfont unknown part": _gen("--soundfont", "lead=x.sf2"),
    "out is a file": _file_at("afile"),
    "out under a file": _file_at("afile/deeper"),
    "vocab without kind": _tampered("melody", _json_edit("vocab.json", _drop("kind"))),
    "vocab a list": _tampered("melody", _json_edit("vocab.json", lambda d: [d])),
    "meta a list": _tampered("chords", _json_edit("meta.json", lambda d: [d])),
    "meta missing": _tampered("chords", lambda f: (f / "meta.json").unlink()),
    "weights empty": _tampered("melody", _write("weights.npz", b"")),
    "weights truncated": _tampered(
        "melody", lambda f: (f / "weights.npz").write_bytes((f / "weights.npz").read_bytes()[:900])
    ),
    "weights wrong shape": _tampered("melody", _weights(_reshaped)),
    "weights nan": _tampered("chords", _weights(_nan)),
    "weights declare 7 TiB": _tampered("melody", _huge_header),
    "recipe gain nan": _recipe('{"format_version": 1, "bpm": NaN}'),
    "recipe gain 1000 dB": _recipe(_set("instruments", "melody", "gain_db", value=1000)),
    "recipe level 1e308": _recipe(_set("effects", "rain", "level_db", value=1e308)),
    "recipe bars 1e400": _recipe('{"format_version": 1, "bars": 1e400}'),
    "recipe nested": _recipe("[" * 100_000),
    "recipe unknown part": _recipe(
        lambda d: {**d, "instruments": {"lead": d["instruments"]["melody"]}}
    ),
    "recipe a list": _recipe("[1, 2]"),
    "recipe not json": _recipe("seed = 1"),
    "recipe missing seed": _recipe(_drop("seed")),
    "recipe float bars": _recipe(_set("bars", value=8.5)),
    "train validation-split -1": _train("--validation-split", "-1"),
    "train layers 0": _train("--layers", "0"),
    "train max-steps -5": _train("--max-steps", "-5"),
    "train learning-rate nan": _train("--learning-rate", "nan"),
    "train epochs 0": _train("--epochs", "0"),
    "playlist bars 0": lambda t, m: [
        *("playlist", "--out", str(t / "pl"), "--bars", "0", "--no-mp3"),
        *("--melody-model", str(m[0]), "--chord-model", str(m[1])),
    ],
    "playlist recipe nested": lambda t, m: [
        *("playlist", "--out", str(t / "pl"), "--no-mp3"),
        *("--recipe", str(_written(t / "deep.json", "[" * 100_000))),
    ],
    "evaluate bars 0": lambda t, m: [
        *("evaluate", "--corpus", str(Path(__file__).parent / "data" / "midi"), "--bars", "0"),
        *("--melody-model", str(m[0]), "--chord-model", str(m[1])),
    ],
}


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_and_a_failure(name, tmp_path, tiny_checkpoints, capsys) -> None:
    argv = CASES[name](tmp_path, tiny_checkpoints)
    with pytest.raises(SystemExit) if _is_argparse(name) else _nothing():
        code = main(argv)
        assert code not in (0, None)
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert "Traceback" not in err and "unexpected failure" not in err, err
    assert not (tmp_path / "out" / "mix.wav").exists()


@pytest.mark.parametrize("command", ["generate", "evaluate"])
def test_a_style_with_models_is_refused(command, tmp_path, tiny_checkpoints, capsys) -> None:
    melody, _ = tiny_checkpoints
    where = ["--out", str(tmp_path / "out")] if command == "generate" else []
    argv = [command, *where, "--style", "default", "--melody-model", str(melody)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: give either --style or --melody-model/--chord-model, not both"


def _is_argparse(name: str) -> bool:
    return name in ("unknown flag", "bpm not a number")


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize("argv", [["generate", "--bars", "x", "--out", "o"], ["nonsense"]])
def test_bad_flags_in_a_real_process(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lofi", *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")


def test_a_hand_edited_recipe_in_a_real_process(tmp_path) -> None:
    (tmp_path / "r.json").write_text("[" * 100_000)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lofi",
            "generate",
            "--recipe",
            str(tmp_path / "r.json"),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "nests" in done.stderr and "Traceback" not in done.stderr


def test_a_recipe_is_refused_for_what_is_wrong_with_it() -> None:
    # Random bytes are named as not JSON: counting their brackets once called them a
    # recipe that "nests 9 levels deep".
    noise = bytes(np.random.default_rng(3).integers(0, 256, 3000, dtype=np.uint8))
    assert noise.count(b"[") + noise.count(b"{") > 10
    with pytest.raises(RecipeError, match="not valid JSON"):
        parse_recipe(noise)
    with pytest.raises(RecipeError, match="nests thousands of levels deep"):
        parse_recipe("[" * 100_000)
    with pytest.raises(RecipeError, match="nests 10 levels deep"):
        parse_recipe('{"a": ' + "[" * 9 + "]" * 9 + "}")
    assert parse_recipe('{"a": [{"b": "[[[[[[[[[["}]}') == {"a": [{"b": "[" * 10}]}


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        (["train", "timing", "--corpus", "default", "--out", "/proc/lofi-out"], "/proc/lofi-out"),
        (["train", "form", "--corpus", "default", "--out", "/proc/lofi/f"], "/proc/lofi/f"),
        (["playlist", "--out", "/proc/lofi-mix", "--minutes", "1", "--no-mp3"], "/proc/lofi-mix"),
        (["generate", "--out", "/proc/lofi-track", "--bars", "8"], "/proc/lofi-track"),
    ],
)
def test_an_output_that_cannot_be_written_is_named(argv, target, capsys) -> None:
    # Even root cannot make a folder in /proc.
    assert main(argv) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot write into {target}: "), last


def test_an_evaluation_json_that_is_a_folder_is_refused_first(tmp_path, capsys) -> None:
    corpus = str(Path(__file__).parent / "data" / "midi")
    argv = ["evaluate", "--corpus", corpus, "--songs", "2", "--bars", "8", "--held-out", "0.5"]
    assert main([*argv, "--json", str(tmp_path)]) == 2  # a folder, not a file
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == f"error: --json {tmp_path} is a folder; give the file to write", last
