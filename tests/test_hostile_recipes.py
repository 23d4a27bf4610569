"""Recipes from strangers: sounds only from the data folder, recipe files only regular ones.

A recipe names its SoundFonts and effect beds by name and content hash; whatever path it
holds, nothing outside the SoundFonts and effects folders is opened, and every sound that
is not there gets the same message, so a recipe cannot learn what else is on the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from lofi.core.errors import RecipeError
from lofi.service.recipe import from_recipe, load_recipe

_opened: list[str] = []
_watching = threading.Event()


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _watching.is_set() and isinstance(args[0], str | bytes | Path):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture(scope="module")
def recipe(tiny_checkpoints) -> dict:
    from lofi.audio.soundfonts import default_instruments
    from lofi.core.types import GenerationConfig, Key
    from lofi.service.recipe import TrackRequest, to_recipe
    from lofi.service.track import resolve_effects

    levels = {"rain": -24.0}
    request = TrackRequest(
        GenerationConfig(1, Key.parse("A-minor"), 80.0, 8),
        tiny_checkpoints[0],
        tiny_checkpoints[1],
        default_instruments(),
        levels,
        resolve_effects(levels),
    )
    return to_recipe(request)


def _refusal(recipe: dict, where: tuple[str, str, str], path: str, sha: str) -> str:
    data = json.loads(json.dumps(recipe))
    group, name, field = where
    data[group][name][field] = path
    data[group][name]["sha256"] = sha
    _opened.clear()
    _watching.set()
    try:
        with pytest.raises(RecipeError) as info:
            from_recipe(data)
    finally:
        _watching.clear()
    return str(info.value)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SOUNDFONT = ("instruments", "melody", "soundfont")
EFFECT = ("effects", "rain", "path")


def test_a_soundfont_outside_the_data_folder_is_refused_unread(recipe, tmp_path) -> None:
    copy = tmp_path / "elsewhere" / "font.sf2"
    copy.parent.mkdir()
    copy.write_bytes(Path(recipe_font(recipe)).read_bytes() + b"\0\0")
    sha = _sha(copy)
    missing = _refusal(recipe, SOUNDFONT, "soundfonts/font.sf2", sha)  # simply not there
    for path in (str(copy), "../../elsewhere/font.sf2", "soundfonts/../../x/font.sf2"):
        assert _refusal(recipe, SOUNDFONT, path, sha) == missing, path
        assert not [p for p in _opened if "elsewhere" in p or p.startswith("/x")], _opened
    assert "font.sf2" in missing and "SoundFonts folder" in missing


def recipe_font(recipe: dict) -> str:
    from lofi.core.paths import resolve_portable

    return str(resolve_portable(recipe["instruments"]["melody"]["soundfont"]))


@pytest.mark.parametrize("path", ["/proc/self/pagemap", "/dev/zero", "/etc/passwd", "/etc"])
def test_system_files_get_the_message_of_a_missing_sound(recipe, path) -> None:
    sha = hashlib.sha256(b"").hexdigest()
    if Path(path).is_file() and os.access(path, os.R_OK) and path == "/etc/passwd":
        sha = _sha(Path(path))  # even the right hash of a file that exists tells nothing
    first = _refusal(recipe, SOUNDFONT, path, sha)
    assert _opened == [] or not any(p.startswith(("/proc", "/dev", "/etc")) for p in _opened)
    assert first == _refusal(recipe, SOUNDFONT, "/no/such/folder/" + Path(path).name, sha)
    assert first == _refusal(recipe, SOUNDFONT, "soundfonts/" + Path(path).name, sha)


def test_an_effect_bed_outside_its_folder_is_refused_even_with_its_hash(recipe, tmp_path) -> None:
    from lofi.core.paths import resolve_portable

    bed = resolve_portable(recipe["effects"]["rain"]["path"])
    copy = tmp_path / "elsewhere" / "x.wav"
    copy.parent.mkdir()
    copy.write_bytes(bed.read_bytes() + b"\0\0")  # a bed this machine's folder lacks
    sha = _sha(copy)
    missing = _refusal(recipe, EFFECT, "effects/x.wav", sha)
    assert _refusal(recipe, EFFECT, str(copy), sha) == missing
    assert _refusal(recipe, EFFECT, "../../elsewhere/x.wav", sha) == missing
    assert not [p for p in _opened if "elsewhere" in p]


def test_a_hidden_upload_in_the_folder_is_not_a_recipe_sound(recipe) -> None:
    from lofi.core.paths import resolve_portable

    bed = resolve_portable(recipe["effects"]["rain"]["path"])
    hidden = bed.parent / ".upload-abc.wav"
    shutil.copy(bed, hidden)
    try:
        with pytest.raises(RecipeError, match="not in this machine's effects folder"):
            data = json.loads(json.dumps(recipe))
            data["effects"]["rain"]["path"] = str(hidden)
            data["effects"]["rain"]["sha256"] = "0" * 64
            from_recipe(data)
    finally:
        hidden.unlink()


def test_the_recipe_as_written_still_finds_its_sounds(recipe) -> None:
    request = from_recipe(recipe)
    assert request.effect_paths["rain"].name == "rain.wav"


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_a_recipe_file_that_is_not_a_regular_file_is_refused_unread(kind, tmp_path) -> None:
    path = {"device": Path("/dev/zero"), "folder": tmp_path}.get(kind, tmp_path / "fifo")
    if kind == "fifo":
        os.mkfifo(path)  # opening it to read would wait for a writer forever
    with pytest.raises(RecipeError, match="not a regular file"):
        load_recipe(path)


def test_a_recipe_file_is_read_only_up_to_its_limit(tmp_path) -> None:
    from lofi.core.settings import LIMITS

    path = tmp_path / "big.json"
    path.write_bytes(b" " * (LIMITS.recipe_bytes * 4))
    _opened.clear()
    with pytest.raises(RecipeError, match="larger than"):
        load_recipe(path)


def _swap_weights(folder: Path) -> None:
    """Other sampler weights beside the same model.keras, meta.json edited to match."""
    import numpy as np

    from lofi.models.checkpoint import file_sha256

    with np.load(folder / "weights.npz") as data:
        arrays = {k: data[k] for k in data.files}
    first = sorted(k for k in arrays if arrays[k].dtype.kind == "f")[0]
    arrays[first] = arrays[first] + 0.5
    np.savez(folder / "weights.npz", **arrays)
    meta = json.loads((folder / "meta.json").read_text())
    meta["weights_sha256"] = file_sha256(folder / "weights.npz")
    (folder / "meta.json").write_text(json.dumps(meta))


def test_swapped_sampler_weights_do_not_pass_for_the_recipes_model(recipe, tmp_path) -> None:
    from lofi.core.paths import resolve_portable

    data = json.loads(json.dumps(recipe))
    copy = tmp_path / "melody"
    shutil.copytree(resolve_portable(recipe["models"]["melody"]["path"]), copy)
    data["models"]["melody"]["path"] = str(copy)
    assert from_recipe(data).melody_model == copy  # the same files: found
    _swap_weights(copy)
    with pytest.raises(RecipeError, match=r"melody model .* is not here"):
        from_recipe(data)


def test_swapped_sampler_weights_in_a_style_are_refused(tmp_path) -> None:
    from lofi.audio.soundfonts import default_instruments
    from lofi.core.types import GenerationConfig, Key
    from lofi.service.recipe import style_request, to_recipe

    style = tmp_path / "style"
    shutil.copytree(Path(__file__).parent / "data" / "golden" / "tiny-blupi", style)
    config = GenerationConfig(1, Key.parse("A-minor"), 80.0, 8)
    data = to_recipe(style_request(config, style, default_instruments(), {}, {}))
    assert set(data["style"]["weights"]) == set(data["style"]["parts"])
    assert from_recipe(data).style == style
    _swap_weights(style / "melody")
    with pytest.raises(RecipeError, match="other weights than the recipe's"):
        from_recipe(data)
