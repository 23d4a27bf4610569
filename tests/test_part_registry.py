"""The part registry: every layer reads one list, and a new part is one module and one line."""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from lofi.compose.midi import song_to_midi
from lofi.compose.song import compose
from lofi.core.parts import (
    PartSpec,
    all_tracks,
    part_names,
    register,
    style_parts,
    tracks,
    unregister,
)
from lofi.core.types import GenerationConfig, Key
from lofi.learn.train import TrainConfig, train
from lofi.models.style import FALLBACK_RULES, Style, read_style, write_style
from lofi.service.recipe import from_recipe, request_models, style_request, to_recipe
from lofi.service.recipe_schema import recipe_schema
from tests.factories import TINY, gm_instruments, synthetic_corpus

TOY = TrainConfig(kind="pad", epochs=2, seq_len=4, batch_size=4, size=TINY, max_steps=3)


@pytest.fixture
def pad() -> Iterator[PartSpec]:
    # The one registry line a new part needs (here for this test only).
    spec = register(PartSpec("pad", "pad", "rules:pad", module="tests.toy_part"))
    yield spec
    unregister("pad")


def test_one_list_of_parts_serves_every_layer() -> None:
    from lofi.cli import _parser

    assert part_names() == ("chords", "melody", "comping", "piano", "bass", "drums")
    assert style_parts(()) == ("chords", "melody", "comping", "bass", "drums")
    # The piano plays instead of the chords, melody and comping: a style holds one or the other.
    assert style_parts(("piano", "drums")) == ("piano", "bass", "drums")
    assert tracks(("piano", "bass")) == ("chords", "melody", "bass")  # its tune: the melody
    schema = recipe_schema()["properties"]
    assert schema["instruments"]["propertyNames"]["enum"] == list(all_tracks())
    style_kinds = schema["style"]["oneOf"][1]["properties"]["parts"]["propertyNames"]["enum"]
    assert style_kinds == list(part_names())
    from lofi.cli.train import resolve_options

    args = _parser().parse_args(["train", "style", "--out", "x"])
    resolve_options(args, synthetic_corpus())  # no files: not known to be a piano pack
    assert args.kind == "style" and args.parts == "chords,melody,comping,bass,drums"


def test_a_toy_part_flows_through_training_style_recipe_and_compose(
    pad: PartSpec, tiny_checkpoints: tuple[Path, Path], gm_soundfont: Path, tmp_path: Path
) -> None:
    assert "pad" in style_parts(()) and "pad" in all_tracks()
    assert _parser_kinds() >= {"pad", "piano"}  # `train pad` on the command line
    # training: the generic fit reads the part's vocabulary and encoding from its module
    style = tmp_path / "toy"
    meta = train(TOY, synthetic_corpus(), style / "pad")
    assert meta["train_windows"] > 0 and (style / "pad" / "weights.npz").is_file()
    # style: style.json may name it, and reading the style checks and finds its checkpoint
    for folder in tiny_checkpoints:
        shutil.copytree(folder, style / folder.name)
    parts = {"melody": "melody", "chords": "chords", "pad": "pad"}
    fallbacks = {"drums": FALLBACK_RULES, "bass": "rules:bass", "comping": "rules:comping"}
    write_style(Style(style, "toy", "synthetic", "0" * 64, "tests", parts, fallbacks))
    assert read_style(style).models["pad"] == style / "pad"
    # recipe: saved with its weights' hash and its track's instrument, read back alike
    instruments = {
        **gm_instruments(gm_soundfont),
        "pad": replace(gm_instruments(gm_soundfont)["chords"], program=89),
    }
    config = GenerationConfig(seed=3, key=Key.parse("E-minor"), bars=8)
    request = style_request(config, style, instruments, {}, {})
    recipe = json.loads(json.dumps(to_recipe(request)))
    assert (
        set(recipe["style"]["parts"]) == {"melody", "chords", "pad"}
        and "pad" in recipe["instruments"]
    )
    again = from_recipe(recipe)
    # compose: the song holds the pad's own track, as its model plays it, and remakes alike
    song = compose(config, request_models(request))
    assert [p.name for p in song.parts] == ["chords", "melody", "bass", "drums", "pad"]
    pad_notes = song.part("pad").notes
    assert pad_notes and all(n.duration == 4.0 and 48 <= n.pitch < 60 for n in pad_notes)
    assert song_to_midi(compose(again.config, request_models(again))) == song_to_midi(song)
    # its named fallback when a style has no model of it: silence, the other parts untouched
    silent = compose(config, request_models(request).with_parts(pad=None))
    assert not silent.part("pad").notes
    assert silent.part("melody") == song.part("melody")


def _parser_kinds() -> set[str]:
    from lofi.cli import _parser

    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    train = sub.choices["train"]
    return set(next(a for a in train._actions if a.dest == "kind").choices or ())


def test_a_style_of_piano_bass_and_drums_makes_a_song(tmp_path: Path) -> None:
    from lofi.models import SongModels
    from lofi.models.loading import load_part

    train(replace(TOY, kind="piano", seq_len=16), synthetic_corpus(), tmp_path / "piano")
    piano = {"piano": load_part(tmp_path / "piano", "piano")}
    models = SongModels(piano, style_parts(("piano",)))  # no melody, chords or comping model
    song = compose(GenerationConfig(seed=2, key=Key.parse("G-major"), bars=8), models)
    assert [p.name for p in song.parts] == ["chords", "melody", "bass", "drums"]
    assert all(song.part(t).notes for t in ("chords", "melody", "bass", "drums"))
    assert song.chords  # the harmony the piano sounds, which the bass plays under
