"""The studio's take: first bars first, pieces that join into the track, the mixer's bounce."""

import dataclasses
import json
import math
import shutil

import numpy as np
import pytest
import soundfile as sf

from lofi.audio.export import write_wav
from lofi.core.errors import ConfigError
from lofi.core.types import GenerationConfig, Key
from lofi.models.loading import load_checkpoints
from lofi.service.mixer import bounce, mixed_request
from lofi.service.recipe import from_recipe, to_recipe
from lofi.service.studio_stream import chord_runs, start_take
from lofi.service.takes import read_take
from lofi.service.track import make_track, write_track


@pytest.fixture(scope="module")
def studio(app_dirs, gm_soundfont):
    from lofi.audio.soundfonts import Instrument
    from lofi.service.recipe import TrackRequest
    from lofi.service.track import ensure_default_effects, resolve_effects

    # The sounds from the data folder's SoundFonts and effects, where recipes find them.
    font = gm_soundfont
    ensure_default_effects()
    beds = resolve_effects({"rain": -20.0, "vinyl": -math.inf})
    request = TrackRequest(
        GenerationConfig(seed=5, key=Key.parse("D-minor"), bpm=100.0, bars=12),
        app_dirs["checkpoints"] / "melody",
        app_dirs["checkpoints"] / "chords",
        {
            "chords": Instrument(font, 0, 4, -2.0),
            "melody": Instrument(font, 0, 11),
            "bass": Instrument(font, 0, 33),
            "drums": Instrument(font, 128, 0),
        },
        {"rain": -20.0, "vinyl": -math.inf},
        beds,
    )
    return request, load_checkpoints(request.melody_model, request.chord_model)


def _pieces(take, part: str) -> np.ndarray:
    return np.concatenate([sf.read(str(path), dtype="int16")[0] for path, _ in take.pieces[part]])


def test_first_bars_play_first_and_the_pieces_join_into_the_track(studio, tmp_path) -> None:
    request, models = studio
    take = start_take(request, models, tmp_path / "session", "test")
    try:
        assert take.wait_first(120) and take.error is None
        first = take.for_player()
        # Playable before the rest: every part's first piece, each bed's loop, four bars long.
        assert [s["name"] for s in first["stems"]] == ["chords", "melody", "bass", "drums"]
        assert all(len(s["segments"]) >= 1 for s in first["stems"])
        assert first["stems"][0]["segments"][0]["frames"] == round(4 * 4 * 60 / 100 * 44100)
        assert {b["name"]: b["level_db"] for b in first["beds"]} == {"rain": -20.0, "vinyl": None}
        assert {s["name"]: s["level_db"] for s in first["strips"]}["chords"] == -2.0
        assert [s[2] for s in first["sections"]] == [s.name for s in take.song.sections]
        assert first["chords"] and first["notes"] and first["drums"]
        # One label per run of a chord: no two touching events name the same chord.
        for before, (at, _, name) in zip(first["chords"], first["chords"][1:], strict=False):
            assert not (name == before[2] and abs(before[0] + before[1] - at) < 1e-3)
        assert take.wait_done(180), take.error
        done = take.for_player()
        assert done["files_done"] and done["stems_done"]
        # The pieces join, sample for sample, into the whole render the files are made of.
        assert take.track is not None
        for part, stem in take.track.stems.items():
            assert len(take.pieces[part]) == 2
            write_wav(stem, tmp_path / "stem.wav")
            whole = sf.read(str(tmp_path / "stem.wav"), dtype="int16")[0]
            assert np.array_equal(_pieces(take, part), whole), part
        # Saved as the session's first take.
        assert take.out is not None and read_take(take.out).number == 1
        # The files are the track `make_track` makes of the same request, byte for byte.
        again = write_track(make_track(request, models=models), request, tmp_path / "again")
        for name in ("wav", "midi", "recipe"):
            assert take.paths[name].read_bytes() == again[name].read_bytes(), name
        # The bed loops where `loop_effect` repeats it.
        bed, start = take.beds["rain"]
        assert 0 < start < sf.info(str(bed)).frames
    finally:
        shutil.rmtree(take.folder.parent, ignore_errors=True)


def test_mixer_levels_mutes_and_solos_make_the_bounce_request(studio) -> None:
    request, _ = studio
    mixed = mixed_request(
        request,
        {
            "chords": {"level_db": -6.0, "mute": False, "solo": False},
            "drums": {"level_db": 0.0, "mute": True, "solo": False},
            "rain": {"level_db": -12.5, "mute": False, "solo": False},
            "vinyl": {"level_db": -30.0, "mute": False, "solo": False},
            "nonsense": "ignored",
        },
    )
    assert mixed.instruments["chords"].gain_db == -6.0
    assert mixed.instruments["melody"].gain_db == 0.0  # untouched strips keep their level
    assert mixed.muted == ("drums",)
    assert mixed.effects == {"rain": -12.5, "vinyl": -30.0}
    # Solo: only the soloed strips sound; the beds not soloed are off.
    solo = mixed_request(request, {"bass": {"level_db": 0.0, "solo": True}})
    assert solo.muted == ("chords", "drums", "melody")
    assert solo.effects == {"rain": -math.inf, "vinyl": -math.inf}
    with pytest.raises(ConfigError, match="volume"):
        mixed_request(request, {"bass": {"level_db": 99.0}})
    # The recipe records the mix and reads back to the same request.
    recipe = json.loads(json.dumps(to_recipe(mixed)))
    assert recipe["muted"] == ["drums"] and recipe["effects"]["rain"]["level_db"] == -12.5
    assert from_recipe(recipe) == mixed
    assert "muted" not in to_recipe(request)  # a track without a mix writes what it always did


def test_bounce_renders_the_mix_and_its_recipe_makes_it_again(studio, tmp_path) -> None:
    request, models = studio
    take = start_take(dataclasses.replace(request), models, tmp_path / "session", "test")
    try:
        assert take.wait_done(180), take.error
        mixer = {"drums": {"level_db": 0.0, "mute": True}, "chords": {"level_db": -8.0}}
        mixed, out = bounce(take, mixer, models)
        bounced_take = read_take(out)
        assert (bounced_take.label, bounced_take.parent) == ("bounce", 1)
        bounced = sf.read(str(out / "mix.wav"))[0]
        original = sf.read(str(take.paths["wav"]))[0]
        assert bounced.shape == original.shape and not np.array_equal(bounced, original)
        again = from_recipe(json.loads((out / "recipe.json").read_text()))
        assert again == mixed and again.muted == ("drums",)
        redo = make_track(again, models=models)
        assert sorted(redo.stems) == ["bass", "chords", "melody"]  # the muted part is not made
        redo_files = write_track(redo, again, tmp_path / "redo", mp3=False)
        assert redo_files["wav"].read_bytes() == (out / "mix.wav").read_bytes()
    finally:
        shutil.rmtree(take.folder.parent, ignore_errors=True)


def test_a_chord_held_over_several_beats_is_one_label() -> None:
    held = ((0.0, 1.0, "i7"), (1.0, 1.0, "i7"), (2.0, 2.0, "i7"), (4.0, 1.0, "iv"))
    beats = (*held, (6.0, 1.0, "iv"), (7.0, 1.0, "iv"))  # after a gap: iv again
    assert chord_runs(beats) == [
        (0.0, 4.0, "i7"),
        (4.0, 1.0, "iv"),
        (6.0, 2.0, "iv"),
    ]
    assert chord_runs(()) == []
