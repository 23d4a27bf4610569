"""Styles: every part trained from one corpus, loaded by style.json, composed, recorded."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lofi.compose.arrangement import ARRANGEMENT_V1
from lofi.compose.midi import song_to_midi
from lofi.compose.song import compose
from lofi.core.errors import RecipeError, StyleError
from lofi.core.types import GenerationConfig, Key
from lofi.data.corpus import load_corpus
from lofi.encoding.drums import KIT_PITCH
from lofi.learn.style_training import train_style
from lofi.learn.train import TrainConfig
from lofi.models.form import FALLBACK_FORM, read_form
from lofi.models.loading import load_song_models
from lofi.models.style import (
    FALLBACK_RULES,
    STYLE_FILE,
    default_style_dir,
    form_source_of,
    read_style,
    resolve_style,
)
from lofi.service.recipe import from_recipe, recipe_form, request_models, style_request, to_recipe
from tests.factories import TINY, groove_folder, synthetic_corpus

BASE = TrainConfig(
    kind="melody", corpus="grooves", epochs=1, seq_len=8, batch_size=8, size=TINY, max_steps=2
)


# Session-wide: a worker may run other modules between this one's tests, and a module
# fixture would then be made again.
@pytest.fixture(scope="session")
def style(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("style")
    corpus = load_corpus(groove_folder(root / "corpus"))
    assert len(corpus.pieces) == 4 and len(corpus.sources) == 4
    train_style(corpus, root / "grooves", BASE, command="tests", report=lambda _m: None)
    return root / "grooves"


def test_style_json_names_every_part_and_its_corpus(style: Path) -> None:
    data = json.loads((style / STYLE_FILE).read_text())
    assert data["format_version"] == 1 and data["name"] == "grooves"
    assert data["parts"] == {k: k for k in ("bass", "chords", "comping", "drums", "melody")}
    assert data["fallbacks"] == {} and data["command"] == "tests"
    assert len(data["corpus_hash"]) == 64
    loaded = read_style(style)
    assert set(loaded.models) == {"melody", "chords", "drums", "bass", "comping"}
    assert resolve_style(str(style)) == style


def test_learned_drums_play_in_the_composed_song(style: Path) -> None:
    models = load_song_models(style)
    assert models.model("drums") is not None and models.id("drums").startswith("drums@")
    assert models.model("bass") is not None and models.model("comping") is not None
    song = compose(GenerationConfig(seed=3, bars=16), models)
    assert {p.name for p in song.parts if p.notes} == {"chords", "melody", "bass", "drums"}
    drums = song.part("drums").notes
    assert {n.pitch for n in drums} <= set(KIT_PITCH)
    assert max(n.onset for n in drums) < 15 * 4  # the last bar rings out without drums
    assert song_to_midi(song) == song_to_midi(compose(GenerationConfig(seed=3, bars=16), models))


def test_recipe_names_the_style_and_reproduces_the_song(style: Path, gm_soundfont: Path) -> None:
    from lofi.audio.soundfonts import Instrument

    config = GenerationConfig(seed=5, key=Key.parse("Eb-major"), bars=8)
    instruments = {"drums": Instrument(gm_soundfont, 128, 0)}
    request = style_request(config, style, instruments, {}, {})
    recipe = json.loads(json.dumps(to_recipe(request)))
    assert recipe["format_version"] == 4 and recipe["style"]["name"] == "grooves"
    assert set(recipe["style"]["parts"]) == {"melody", "chords", "drums", "bass", "comping"}
    assert recipe["arrangement"]["name"] == "lofi-sections"
    again = from_recipe(recipe)
    assert again.style == style
    first = song_to_midi(compose(config, request_models(request)))
    assert song_to_midi(compose(again.config, request_models(again))) == first
    changed = {**recipe, "arrangement": {**recipe["arrangement"], "version": 0}}
    with pytest.raises(RecipeError, match="different track"):
        from_recipe(changed)
    other = {**recipe, "style": {**recipe["style"], "parts": {"melody": "0" * 64}}}
    with pytest.raises(RecipeError, match="other weights"):
        from_recipe(other)
    assert recipe["form"] == recipe_form(request)
    with pytest.raises(RecipeError, match="different track"):
        from_recipe({**recipe, "form": {"source": "learned", "sha256": "0" * 64}})
    assert recipe["timing"]["source"] in ("learned", "style:default")
    with pytest.raises(RecipeError, match="timing came from"):
        from_recipe({**recipe, "timing": {"source": "rules:grid"}})
    # A recipe of the first arrangement (fixed form, the old melody rules) makes its track.
    old = json.loads(json.dumps(to_recipe(replace(request, arrangement=ARRANGEMENT_V1))))
    assert old["form"] == {"source": FALLBACK_FORM}
    again = from_recipe(old)
    assert again.arrangement == ARRANGEMENT_V1
    first = song_to_midi(compose(config, request_models(request), ARRANGEMENT_V1))
    assert song_to_midi(compose(again.config, request_models(again), again.arrangement)) == first


def test_a_corpus_too_short_for_a_form_falls_back_by_name(style: Path) -> None:
    data = json.loads((style / STYLE_FILE).read_text())
    shipped = form_source_of(None)[1] is not None
    assert data["form"]["fallback"] == ("style:default" if shipped else FALLBACK_FORM)
    assert "phrase" in data["form"]["reason"]
    assert read_style(style).form_source()[0] == data["form"]["fallback"]


def test_a_corpus_without_drums_falls_back_by_name(tmp_path: Path) -> None:
    style = train_style(synthetic_corpus(), tmp_path / "piano", BASE, report=lambda _m: None)
    assert style.fallbacks == {"drums": FALLBACK_RULES}
    assert set(style.parts) == {"melody", "chords", "bass", "comping"}
    assert not (style.path / "drums").exists()  # no empty folder for the part it lacks
    assert load_song_models(style.path).model("drums") is None
    with pytest.raises(StyleError, match="already holds a style"):
        train_style(synthetic_corpus(), tmp_path / "piano", BASE)


def test_bad_styles_are_refused_clearly(style: Path, tmp_path: Path) -> None:
    with pytest.raises(StyleError, match=r"no style\.json"):
        read_style(tmp_path)
    data = json.loads((style / STYLE_FILE).read_text())
    (tmp_path / STYLE_FILE).write_text(json.dumps({**data, "format_version": 9}))
    with pytest.raises(StyleError, match="style format 9"):
        read_style(tmp_path)
    (tmp_path / STYLE_FILE).write_text(json.dumps(data))
    with pytest.raises(StyleError, match="model is unusable"):
        read_style(tmp_path)
    with pytest.raises(StyleError, match="no style 'nope'"):
        resolve_style("nope")


def test_the_shipped_default_is_learned_from_the_lofi_pack() -> None:
    from lofi.core.paths import checkpoints_dir

    assert default_style_dir() == checkpoints_dir() / "lofi"
    shipped = read_style(default_style_dir())
    assert shipped.corpus == "lofi" and set(shipped.parts) == {"piano", "bass"}
    assert shipped.fallbacks["drums"] == FALLBACK_RULES  # the pack has no drums
    command = shipped.command.split()
    assert command[:6] == ["python", "-m", "lofi", "train", "style", "--corpus"]
    assert command[6] == "lofi" and command[command.index("--parts") + 1] == "piano,bass"
    # Trained on the pack's training part: evaluate's held-out pieces stay unseen.
    assert shipped.training["held_out"] == 0.2 and shipped.training["held_out_pieces"] > 10
    assert shipped.timing_source()[0] == "learned"
    # The pack's loops teach no 16-bar form: the game style's, as style.json says.
    source, form = shipped.form_source()
    assert source == "style:default" and form is not None and read_form(form).pieces > 50
    models = load_song_models(default_style_dir())
    assert models.model("piano") is not None and models.model("bass") is not None
    assert models.model("melody") is None and models.model("chords") is None
    songs = [compose(GenerationConfig(seed=seed, bars=16), models) for seed in (3, 4, 5)]
    for song in songs:
        tune, chords = song.part("melody").notes, song.part("chords").notes
        assert tune and chords and song.part("bass").notes and song.part("drums").notes
    # Held chords under a tune: the piano's notes ring a beat or more on average (a song's
    # loops may be staccato ones, as some of the pack's are).
    held = [n for song in songs for n in song.part("chords").notes]
    assert sum(n.duration for n in held) / len(held) >= 1.0


@pytest.mark.parametrize("release", ["lofi_v1", "lofi_v2"])
def test_a_recipe_of_an_earlier_lofi_style_finds_it_where_it_now_ships(release: str) -> None:
    """The default's folder holds its newest piano; each earlier release still replays."""
    from lofi.core.paths import checkpoints_dir
    from lofi.models.loading import style_checkpoints
    from lofi.service.recipe_models import find_style, sampled_sha256

    first = checkpoints_dir() / release
    loaded = read_style(first)
    entry: dict[str, Any] = {
        "path": "checkpoints/lofi",  # where the default lived when the recipe was made
        "name": "lofi",
        "parts": loaded.model_sha256(),
        "weights": {k: sampled_sha256(f, k) for k, f in style_checkpoints(first).items()},
        "fallbacks": loaded.fallbacks,
    }
    assert find_style(entry) == (first, ())
    current = read_style(default_style_dir())
    assert current.model_sha256()["piano"] != loaded.model_sha256()["piano"]
    with pytest.raises(RecipeError, match="other weights"):
        find_style({**entry, "parts": {**entry["parts"], "piano": "0" * 64}})


def test_a_recipe_of_the_default_with_its_earlier_critic_finds_the_release_that_holds_it() -> None:
    """lofi_v3 is the default's piano and bass with the loop critic it chose by before."""
    from lofi.core.paths import checkpoints_dir
    from lofi.models.critic import CRITIC_FILE, critic_sha256
    from lofi.models.loading import style_checkpoints
    from lofi.service.recipe_models import find_style, sampled_sha256

    default, release = default_style_dir(), checkpoints_dir() / "lofi_v3"
    loaded = read_style(default)
    assert read_style(release).model_sha256() == loaded.model_sha256()
    entry: dict[str, Any] = {
        "path": "checkpoints/lofi",
        "name": "lofi",
        "parts": loaded.model_sha256(),
        "weights": {k: sampled_sha256(f, k) for k, f in style_checkpoints(default).items()},
        "fallbacks": loaded.fallbacks,
    }
    earlier, now = (critic_sha256(f / CRITIC_FILE) for f in (release, default))
    assert earlier != now
    assert find_style(entry, {"source": CRITIC_FILE, "sha256": earlier})[0] == release
    assert find_style(entry, {"source": CRITIC_FILE, "sha256": now})[0] == default
    assert find_style(entry)[0] == default  # a recipe whose piano chose no loops


def test_the_style_in_use_lists_the_parts_its_songs_play() -> None:
    """The sidebar's lines: a piano style's songs have no comping, the game style's do."""
    from lofi.service.styles import part_sources

    lofi = part_sources(read_style(default_style_dir()))
    assert set(lofi) == {"piano", "bass", "drums", "form", "timing"}, lofi
    assert lofi["piano"].startswith("learned from lofi") and "grooves" in lofi["drums"]
    game = part_sources(read_style(resolve_style("game")))
    assert set(game) == {"melody", "chords", "bass", "comping", "drums", "form", "timing"}


def test_the_game_style_still_ships_with_every_part() -> None:
    game = read_style(resolve_style("game"))
    assert game.corpus == "default"
    assert set(game.parts) == {"melody", "chords", "bass", "comping"}
    assert game.fallbacks == {"drums": FALLBACK_RULES}
    models = load_song_models(resolve_style("game"))
    assert models.model("bass") is not None and models.model("comping") is not None
    source, form = game.form_source()
    assert source == "learned" and form is not None and read_form(form).pieces > 50


def test_a_recipe_from_before_learned_bass_and_comping_plays_their_rules(style: Path) -> None:
    config = GenerationConfig(seed=2, bars=8)
    request = style_request(config, style, {}, {}, {})
    recipe = json.loads(json.dumps(to_recipe(request)))
    old = {**recipe, "style": {**recipe["style"]}}
    old["style"]["parts"] = {
        k: v for k, v in recipe["style"]["parts"].items() if k not in ("bass", "comping")
    }
    again = from_recipe(old)
    assert again.rules_parts == ("bass", "comping")
    models = request_models(again)
    assert models.model("bass") is None and models.model("comping") is None
    assert models.model("drums") is not None
    rules = request_models(request).with_parts(bass=None, comping=None)
    assert song_to_midi(compose(config, models)) == song_to_midi(compose(config, rules))
    assert song_to_midi(compose(config, models)) != song_to_midi(
        compose(config, request_models(request))
    )
    saved = to_recipe(again)  # saved again, it names the rules it plays
    assert saved["style"]["fallbacks"] == {"bass": "rules:bass", "comping": "rules:comping"}
    assert from_recipe(json.loads(json.dumps(saved))).rules_parts == ("bass", "comping")


def test_a_style_written_before_bass_and_comping_were_learned_reads_their_rules(
    style: Path, tmp_path: Path
) -> None:
    import shutil

    old = tmp_path / "old"
    shutil.copytree(style, old)
    data = json.loads((old / STYLE_FILE).read_text())
    data["parts"] = {k: v for k, v in data["parts"].items() if k not in ("bass", "comping")}
    (old / STYLE_FILE).write_text(json.dumps(data))
    loaded = read_style(old)
    assert loaded.fallbacks == {"bass": "rules:bass", "comping": "rules:comping"}
    assert load_song_models(old).model("bass") is None


def test_the_lofi_default_and_the_game_style_both_ship(
    style: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from lofi.models.style import fallback_style_dir, game_style_dir
    from lofi.service.styles import style_choices

    root = tmp_path / "checkpoints"
    shutil.copytree(style, root)
    monkeypatch.setenv("LOFI_CHECKPOINTS_DIR", str(root))
    # Only the root's style: it is the default, and no game style is offered besides it.
    assert default_style_dir() == root and game_style_dir() is None
    with pytest.raises(StyleError):
        resolve_style("game")
    shutil.copytree(style, root / "lofi")
    data = json.loads((root / "lofi" / STYLE_FILE).read_text())
    (root / "lofi" / STYLE_FILE).write_text(json.dumps({**data, "name": "lofi"}))
    assert default_style_dir() == root / "lofi" == resolve_style("default")
    assert game_style_dir() == root == resolve_style("game") == fallback_style_dir()
    choices = style_choices(tmp_path / "no-runs")
    assert choices["default"] == root / "lofi" and choices["game"] == root
    # `style:default` keeps naming the root's models: what older styles fell back on.
    user = tmp_path / "user"
    shutil.copytree(style, user)
    shutil.rmtree(user / "bass")
    data = json.loads((user / STYLE_FILE).read_text())
    data["parts"].pop("bass")
    data["fallbacks"] = {"bass": "style:default"}
    (user / STYLE_FILE).write_text(json.dumps(data))
    assert read_style(user).models["bass"] == root / "bass"
