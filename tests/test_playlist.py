"""Long mixes: a short playlist from the command line, its cue sheet, its recipe, no repeats."""

import itertools
import json
import os
import subprocess
import sys

import soundfile as sf

from lofi.core.constants import SAMPLE_RATE


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "lofi", "playlist", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def test_playlist_is_three_tracks_with_crossfades_and_reproducible(app_dirs, tmp_path) -> None:
    env = {
        **os.environ,
        "LOFI_EFFECTS_DIR": str(app_dirs["effects"]),
        "LOFI_SOUNDFONTS_DIR": str(app_dirs["soundfonts"]),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    models = [
        "--melody-model", str(app_dirs["checkpoints"] / "melody"),
        "--chord-model", str(app_dirs["checkpoints"] / "chords"),
    ]  # fmt: skip
    font = app_dirs["soundfonts"] / "sf_GMbank.sf2"
    for part, preset in (
        ("chords", "0:4"),
        ("melody", "0:11"),
        ("bass", "0:33"),
        ("drums", "128:0"),
    ):
        models += ["--soundfont", f"{part}={font}:{preset}"]
    # 16 bars at 60 BPM is 64 s (+ the 2 s tail): two make 129 s of the three minutes, and the
    # third is cut to the whole phrases that end the mix nearest them: 12 bars.
    first = tmp_path / "a"
    done = _run(
        ["--minutes", "3", "--bars", "16", "--bpm-range", "60", "60", "--crossfade", "3",
         "--seed", "5", "--out", str(first), "--no-mp3", *models],
        env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cue = json.loads((first / "cue.json").read_text())
    tracks = cue["tracks"]
    assert len(tracks) == 3
    overlap = round(3 * SAMPLE_RATE)
    info = sf.info(str(first / "mix.wav"))
    assert info.frames == sum(t["frames"] for t in tracks) - 2 * overlap
    assert abs(info.frames / SAMPLE_RATE - 180) <= 8  # within two bars of the target
    assert [t["bars"] for t in tracks] == [16, 16, 12]
    starts = [t["start_s"] for t in tracks]
    assert starts[0] == 0
    for before, t in itertools.pairwise(tracks):
        assert (
            t["start_s"] * SAMPLE_RATE
            == before["start_s"] * SAMPLE_RATE + before["frames"] - overlap
        )
    assert len({(t["seed"]) for t in tracks}) == 3
    sheet = (first / "mix.cue").read_text()
    assert sheet.count("TRACK") == 3 and "INDEX 01 00:00:00" in sheet
    # The playlist recipe makes the same mix, byte for byte.
    again = tmp_path / "b"
    done = _run(["--recipe", str(first / "playlist.json"), "--out", str(again), "--no-mp3"], env)
    assert done.returncode == 0, done.stderr
    assert (again / "mix.wav").read_bytes() == (first / "mix.wav").read_bytes()
    # A track recipe is not a playlist recipe: a clear message, no traceback.
    bad = tmp_path / "track.json"
    bad.write_text(json.dumps(tracks[0]["recipe"]))
    done = _run(["--recipe", str(bad), "--out", str(tmp_path / "c")], env)
    assert done.returncode == 2 and "not a playlist recipe" in done.stderr
    assert "Traceback" not in done.stderr


def test_playlist_plays_the_shipped_style_and_lasts_the_minutes_asked(tmp_path) -> None:
    from lofi.models.style import default_style_dir

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = tmp_path / "mix"
    done = _run(
        ["--minutes", "1.25", "--bars", "16", "--bpm-range", "80", "80", "--seed", "3",
         "--out", str(out), "--no-mp3"],
        env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # 16 bars at 80 BPM last 50 s with the tail; the second track is cut to the 8 bars
    # (26 s, less the crossfade) that end the mix nearest 75 s.
    seconds = sf.info(str(out / "mix.wav")).frames / SAMPLE_RATE
    assert abs(seconds - 75) <= 6  # two bars at 80 BPM
    recipe = json.loads((out / "playlist.json").read_text())
    shipped = json.loads((default_style_dir() / "style.json").read_text())
    assert [track["bars"] for track in recipe["tracks"]] == [16, 8]
    for track in recipe["tracks"]:
        assert track["style"] is not None and track["style"]["name"] == shipped["name"]
        assert set(track["style"]["parts"]) == set(shipped["parts"])
