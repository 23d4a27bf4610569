"""Golden recipes: a committed recipe.json of every shipped arrangement makes its song.mid.

tests/data/golden holds one recipe per arrangement version in ARRANGEMENTS, the committed
tiny style they name (by path and weight hashes, as every recipe names its models) and the
sha256 of the song.mid each made when tests/data/golden/make_golden.py wrote them with
`python -m lofi generate`. A change that alters one of these bytes breaks the promise that an
old recipe makes its old track.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lofi.compose.arrangement import ARRANGEMENTS
from lofi.compose.midi import song_to_midi
from lofi.compose.song import compose
from lofi.service.recipe import load_recipe, request_models

GOLDEN = Path(__file__).parent / "data" / "golden"
CHECKOUT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((GOLDEN / "golden.json").read_text())["song_mid_sha256"]


def test_every_shipped_arrangement_has_a_golden_recipe() -> None:
    versions = sorted(version for _name, version in ARRANGEMENTS)
    assert sorted(MANIFEST) == [f"arrangement-v{v}.recipe.json" for v in versions]
    for name, version in ARRANGEMENTS:
        recipe = json.loads((GOLDEN / f"arrangement-v{version}.recipe.json").read_text())
        assert recipe["arrangement"]["name"] == name
        assert recipe["arrangement"]["version"] == version
        assert recipe["style"]["path"] == "tests/data/golden/tiny-blupi"


@pytest.mark.parametrize("recipe", sorted(MANIFEST))
def test_golden_recipe_makes_its_song_mid(recipe: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The recipes name their files relative to the data directory: the checkout, as here.
    monkeypatch.setenv("LOFI_HOME", str(CHECKOUT))
    request = load_recipe(GOLDEN / recipe)
    song = compose(request.config, request_models(request), request.arrangement)
    # As make_track writes song.mid: each part's General MIDI program from its instrument.
    midi = song_to_midi(song, {p: i.program for p, i in request.instruments.items()})
    assert hashlib.sha256(midi).hexdigest() == MANIFEST[recipe]
