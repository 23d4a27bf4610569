"""The mix in the recipe: new recipes name their stereo mix, older ones make their mono mix."""

import json

import numpy as np
import pytest

from lofi.audio.placement import MONO_MIX, Mix
from lofi.core.errors import RecipeError
from lofi.core.types import GenerationConfig, Key
from lofi.service.recipe import TrackRequest, from_recipe, to_recipe
from lofi.service.track import make_track
from tests.factories import gm_instruments


@pytest.fixture
def request_(tiny_checkpoints, gm_soundfont) -> TrackRequest:
    melody, chords = tiny_checkpoints
    config = GenerationConfig(3, Key.parse("A-minor"), 100.0, 8)
    return TrackRequest(config, melody, chords, gm_instruments(gm_soundfont))


def test_a_new_recipe_names_its_mix_and_makes_the_same_bytes(request_) -> None:
    mix = Mix(width=1.5, reverb_db=-6.0, ducking=False, saturation_db=9.0, dusty=True)
    request = TrackRequest(**{**request_.__dict__, "mix": mix})
    recipe = json.loads(json.dumps(to_recipe(request)))
    assert recipe["format_version"] == 4
    assert recipe["mix"] == {
        "version": 3,
        "width": 1.5,
        "reverb_db": -6.0,
        "ducking": False,
        "saturation_db": 9.0,
        "dusty": True,
    }
    again = from_recipe(recipe)
    assert again.mix == mix
    np.testing.assert_array_equal(make_track(again).mix, make_track(request).mix)
    with pytest.raises(RecipeError, match="saturation"):
        from_recipe({**recipe, "mix": {**recipe["mix"], "saturation_db": 40.0}})
    with pytest.raises(RecipeError, match="mix"):
        from_recipe({**recipe, "mix": {**recipe["mix"], "version": 9}})


def test_a_recipe_from_before_the_stereo_mix_makes_its_mono_mix(request_) -> None:
    old = TrackRequest(**{**request_.__dict__, "mix": MONO_MIX})
    recipe = json.loads(json.dumps(to_recipe(old)))
    assert "mix" not in recipe
    recipe["format_version"] = 3  # as recipes were written before the mix
    again = from_recipe(recipe)
    assert again.mix == MONO_MIX
    mono, stereo = make_track(again), make_track(request_)
    np.testing.assert_array_equal(mono.mix, make_track(old).mix)
    assert not np.array_equal(mono.mix, stereo.mix)
    assert request_.mix.version == 3  # a new request gets the newest stereo mix


def test_a_mix_2_recipe_makes_its_mix_2(request_) -> None:
    v2 = TrackRequest(**{**request_.__dict__, "mix": Mix(version=2)})
    recipe = json.loads(json.dumps(to_recipe(v2)))
    assert recipe["mix"]["version"] == 2
    again = from_recipe(recipe)
    assert again.mix == Mix(version=2)
    made = make_track(again).mix
    np.testing.assert_array_equal(made, make_track(v2).mix)
    assert not np.array_equal(made, make_track(request_).mix)  # version 3 sounds otherwise
