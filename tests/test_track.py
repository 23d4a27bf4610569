import io
import json
import subprocess
import sys

import mido
import pytest
import soundfile as sf
from pedalboard.io import AudioFile

from lofi.core.constants import DRUM_CHANNEL
from lofi.models.checkpoint import read_checkpoint
from lofi.models.loading import default_chord_model, default_melody_model


@pytest.fixture(scope="module")
def env(tmp_path_factory, tiny_checkpoints, gm_soundfont):
    import os

    from lofi.audio.effects import make_default_effects

    effects = tmp_path_factory.mktemp("effects")
    make_default_effects(effects)
    melody, chords = tiny_checkpoints
    base = {**os.environ, "LOFI_EFFECTS_DIR": str(effects), "TF_CPP_MIN_LOG_LEVEL": "2"}
    args = ["--melody-model", str(melody), "--chord-model", str(chords)]
    for part, preset in (
        ("chords", "0:4"),
        ("melody", "0:11"),
        ("bass", "0:33"),
        ("drums", "128:0"),
    ):
        args += ["--soundfont", f"{part}={gm_soundfont}:{preset}"]
    return base, args


def _generate(env, out, *extra: str) -> subprocess.CompletedProcess[str]:
    base, args = env
    cmd = [sys.executable, "-m", "lofi", "generate", "--out", str(out), *args, *extra]
    return subprocess.run(cmd, env=base, capture_output=True, text=True, timeout=300)


def test_generate_writes_a_playable_track_identical_on_rerun(env, tmp_path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    settings = (
        "--seed",
        "4",
        "--key",
        "Eb-major",
        "--bpm",
        "90",
        "--bars",
        "12",
        "--effects",
        "rain=-20,vinyl=-26",
        "--density",
        "0.8",
        "--register",
        "55-91",
    )
    res = _generate(env, first, *settings)
    assert res.returncode == 0, res.stderr
    assert _generate(env, second, *settings).returncode == 0
    names = [
        "mix.wav",
        "mix.mp3",
        "song.mid",
        "recipe.json",
        "stems/chords.wav",
        "stems/melody.wav",
        "stems/bass.wav",
        "stems/drums.wav",
    ]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    audio, rate = sf.read(first / "mix.wav")
    expected = 12 * 4 * 60 / 90
    assert rate == 44100 and audio.shape[1] == 2
    assert expected < len(audio) / rate < expected + 3.0
    with AudioFile(str(first / "mix.mp3")) as mp3:
        assert mp3.num_channels == 2 and mp3.samplerate == rate
        assert mp3.duration == pytest.approx(len(audio) / rate, abs=0.1)
    mid = mido.MidiFile(file=io.BytesIO((first / "song.mid").read_bytes()))
    drums = next(t for t in mid.tracks if t.name == "drums")
    assert {m.channel for m in drums if m.type == "note_on"} == {DRUM_CHANNEL}
    recipe = json.loads((first / "recipe.json").read_text())
    assert recipe["key"] == "Eb-major" and recipe["effects"]["rain"]["level_db"] == -20
    sampling = recipe["sampling"]
    assert (sampling["density"], sampling["register_low"], sampling["register_high"]) == (
        0.8,
        55,
        91,
    )
    assert recipe["arrangement"]["version"] == 6 and recipe["form"]["source"] == "style:default"
    assert recipe["critic"] == {"source": "none"}  # these checkpoints have no loop critic
    assert recipe["timing"]["source"] == "style:default" and len(recipe["timing"]["sha256"]) == 64


def test_recipe_reproduces_the_track(env, tmp_path) -> None:
    made, again = tmp_path / "made", tmp_path / "again"
    assert _generate(env, made, "--seed", "9", "--bars", "8").returncode == 0
    base, _ = env
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "lofi",
            "generate",
            "--recipe",
            str(made / "recipe.json"),
            "--out",
            str(again),
        ],
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    for name in ("mix.wav", "song.mid", "recipe.json"):
        assert (made / name).read_bytes() == (again / name).read_bytes(), name


def test_another_seed_makes_another_song(env, tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert _generate(env, a, "--seed", "1", "--bars", "8", "--no-mp3").returncode == 0
    assert _generate(env, b, "--seed", "2", "--bars", "8", "--no-mp3").returncode == 0
    assert (a / "song.mid").read_bytes() != (b / "song.mid").read_bytes()


def test_shipped_models_say_how_they_were_made() -> None:
    for folder, kind in ((default_melody_model(), "melody"), (default_chord_model(), "chords")):
        meta = read_checkpoint(folder, kind).meta
        assert meta["corpus"] == "default" and meta["command"].startswith("python -m lofi train")
        assert meta["best_val_loss"] > 0
