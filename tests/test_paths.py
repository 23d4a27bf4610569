"""Where files live: one data directory (LOFI_HOME or the platform's), never the package."""

from pathlib import Path

import platformdirs
import pytest

from lofi.core import paths


def test_lofi_home_holds_every_user_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("LOFI_SOUNDFONTS_DIR", "LOFI_EFFECTS_DIR", "LOFI_CACHE_DIR", "LOFI_USER_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LOFI_HOME", str(tmp_path))
    assert paths.home() == tmp_path.resolve()
    for folder in (
        paths.soundfonts_dir(),
        paths.effects_dir(),
        paths.cache_dir(),
        paths.user_data_dir(),
    ):
        assert folder.parent == tmp_path.resolve()
    monkeypatch.setenv("LOFI_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert paths.cache_dir() == (tmp_path / "elsewhere").resolve()  # one folder moved alone


def test_without_lofi_home_a_checkout_keeps_its_own_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOFI_HOME", raising=False)
    monkeypatch.delenv("LOFI_SOUNDFONTS_DIR", raising=False)
    checkout = Path(__file__).resolve().parents[1]
    assert paths.checkout_root() == checkout
    assert paths.home() == checkout
    assert paths.soundfonts_dir() == checkout / "soundfonts"  # what `make run` serves


def test_an_installed_lofi_uses_the_platform_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LOFI_HOME", raising=False)
    monkeypatch.delenv("LOFI_USER_DATA_DIR", raising=False)
    # Installed, the package's parent is site-packages: no pyproject.toml, no streamlit_app.py.
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path / "site-packages")
    assert paths.checkout_root() is None
    expected = Path(platformdirs.user_data_dir("lofi-studio", appauthor=False))
    assert paths.home() == expected
    assert paths.user_data_dir() == expected / "user_data"
    assert paths.PACKAGE_DIR not in paths.user_data_dir().parents


def test_shipped_checkpoints_are_found_whatever_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LOFI_CHECKPOINTS_DIR", raising=False)
    monkeypatch.setenv("LOFI_HOME", str(tmp_path))
    shipped = paths.checkpoints_dir()
    assert (shipped / "melody" / "meta.json").is_file()
    assert (shipped / "chords" / "meta.json").is_file()
    assert tmp_path not in shipped.parents


def test_recipe_paths_are_relative_to_the_data_directory_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LOFI_HOME", str(tmp_path / "home"))
    inside = tmp_path / "home" / "soundfonts" / "a.sf2"
    assert paths.portable_path(inside) == "soundfonts/a.sf2"
    assert paths.resolve_portable("soundfonts/a.sf2") == inside.resolve()
    outside = tmp_path / "elsewhere" / "b.sf2"
    assert paths.portable_path(outside) == str(outside.resolve())
    assert paths.resolve_portable(str(outside)) == outside
    checkout_file = paths.PROJECT_ROOT / "soundfonts" / "sf_GMbank.sf2"
    assert Path(paths.portable_path(checkout_file)).is_absolute()  # not checkout-relative


def test_default_effect_beds_are_made_once_and_kept(tmp_path: Path) -> None:
    from lofi.service.track import ensure_default_effects

    folder = tmp_path / "effects"
    folder.mkdir()
    (folder / "rain.wav").write_bytes(b"mine")
    ensure_default_effects(folder)
    assert (folder / "rain.wav").read_bytes() == b"mine"  # a user's file is never replaced
    assert (folder / "vinyl.wav").read_bytes()[:4] == b"RIFF"
    assert sorted(p.name for p in folder.iterdir()) == ["rain.wav", "vinyl.wav"]


def test_the_shell_remakes_a_studio_take_from_the_checkout_without_any_variable(
    tmp_path: Path, gm_soundfont: Path
) -> None:
    import os
    import shutil
    import subprocess
    import sys

    from lofi.audio.soundfonts import Instrument
    from lofi.core.types import GenerationConfig, Key
    from lofi.models.loading import load_song_models
    from lofi.models.style import default_style_dir
    from lofi.service.recipe import style_request
    from lofi.service.studio_stream import start_take
    from lofi.service.takes import new_request
    from lofi.service.track import ensure_default_effects, resolve_effects

    checkout = Path(__file__).resolve().parents[1]
    assert paths.home() == checkout and gm_soundfont.parent == checkout / "soundfonts"
    ensure_default_effects()
    programs = {"chords": (0, 4), "melody": (0, 11), "bass": (0, 33), "drums": (128, 0)}
    instruments = {part: Instrument(gm_soundfont, *bp) for part, bp in programs.items()}
    levels = {"rain": -20.0, "vinyl": -26.0}
    config = GenerationConfig(seed=7, key=Key.parse("D-minor"), bpm=84.0, bars=8)
    request = new_request(
        style_request(config, default_style_dir(), instruments, levels, resolve_effects(levels))
    )
    take = start_take(request, load_song_models(default_style_dir()), tmp_path / "session", "t")
    try:
        assert take.wait_done(300), take.error
    finally:
        shutil.rmtree(take.folder.parent, ignore_errors=True)
    # The README's command, run from the checkout with no LOFI_* variable set.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOFI_")}
    out = tmp_path / "again"
    command = [sys.executable, "-m", "lofi", "generate", "--recipe", str(take.paths["recipe"])]
    res = subprocess.run(
        [*command, "--out", str(out), "--no-mp3"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    for name, file in (("midi", "song.mid"), ("wav", "mix.wav"), ("recipe", "recipe.json")):
        assert (out / file).read_bytes() == take.paths[name].read_bytes(), name
    where = subprocess.run(
        [sys.executable, "-m", "lofi", "where"], cwd=checkout, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert where.stdout.strip() == str(checkout)
