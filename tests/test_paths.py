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


def test_without_lofi_home_the_platform_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOFI_HOME", raising=False)
    monkeypatch.delenv("LOFI_USER_DATA_DIR", raising=False)
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
