"""One source for every default: the CLI, the engine's configs and the pages agree with it."""

import argparse
from dataclasses import replace
from pathlib import Path

import pytest

from lofi.cli import _parser
from lofi.core.errors import ConfigError
from lofi.core.settings import GENERATION, SETTINGS, TRAINING, USER_SETTINGS, Span
from lofi.core.types import GenerationConfig, Key, SamplingConfig
from lofi.learn.models import ModelSize
from lofi.learn.train import TrainConfig, check_config
from lofi.service.recipe import setting_values, settings_config, validate_config
from lofi.service.recipe_mix import validate_mix
from lofi.service.recipe_schema import recipe_schema
from lofi.service.user_settings import settings_mix


def _defaults(command: str, *required: str) -> argparse.Namespace:
    return _parser().parse_args([command, *required])


def test_span_is_inclusive_and_prints_its_ends() -> None:
    span = Span(60.0, 100.0)
    assert 60.0 in span and 100 in span and 78.5 in span
    assert 59.9 not in span and 100.1 not in span and "80" not in span
    assert str(span) == "60–100"


def test_generate_cli_defaults_are_the_settings() -> None:
    args = _defaults("generate", "--out", "x")
    assert (args.seed, args.bpm, args.bars) == (GENERATION.seed, GENERATION.bpm, GENERATION.bars)
    assert (args.temperature, args.top_k, args.top_p, args.stay_in_key) == (
        GENERATION.temperature,
        GENERATION.top_k,
        GENERATION.top_p,
        GENERATION.stay_in_key,
    )
    assert Key.parse(args.key) == GenerationConfig().key


def test_each_setting_is_declared_once_and_every_surface_is_made_from_it() -> None:
    schema = recipe_schema()["properties"]
    args = _defaults("generate", "--out", "x")
    config, tape = settings_config({}, Key.parse(GENERATION.key))
    values = setting_values(config, tape, settings_mix({}))
    for s in USER_SETTINGS:
        # the recipe's field, typed and ranged as declared
        *groups, name = s.recipe.split(".")
        field = schema[groups[0]]["properties"][name] if groups else schema[name]
        if s.span is not None:
            assert field["maximum"] == s.span.high, s.name
        # the shell's option and its default; the engine's default
        if s.name not in ("register_low", "register_high"):
            assert getattr(args, s.name) == s.default, s.name
        assert values[s.name] == s.default, s.name
    # every Studio setting is a `generate` option, each refused out of range by one check
    given = ["--swing", "0.7", "--energy", "1.5", "--tape-wow", "0", "--lowpass-hz", "4000"]
    given += ["--width", "1.5", "--no-ducking", "--dusty"]
    args = _parser().parse_args(["generate", "--out", "x", *given])
    from lofi.cli.generate import setting_values as given_values

    config, tape = settings_config(given_values(args), Key.parse(args.key))
    assert (config.swing, config.energy, tape.wow, tape.lowpass_hz) == (0.7, 1.5, 0.0, 4000.0)
    assert config.part_seeds is not None  # each part its own seed, as in the Studio
    mix = settings_mix(given_values(args))
    assert (mix.width, mix.ducking, mix.dusty, mix.version) == (1.5, False, True, 3)
    for s in USER_SETTINGS:
        if s.span is None:
            continue
        wrong = {**values, s.name: s.span.high + 1}
        config, tape = settings_config(wrong, Key.parse(args.key))
        with pytest.raises(ConfigError, match=s.label.lower().split(" (")[0]):
            validate_config(config, tape)
            validate_mix(settings_mix(wrong))


def test_train_cli_and_engine_defaults_are_the_settings() -> None:
    from lofi.cli.train import resolve_options

    args = _defaults("train", "melody", "--out", "x")
    assert resolve_options(args, None) == []  # the settings' defaults: nothing to record
    config, size = TrainConfig(kind="melody"), ModelSize()
    for name in ("epochs", "seq_len", "batch_size", "patience", "seed"):
        assert getattr(args, name) == getattr(config, name) == getattr(TRAINING, name), name
    from lofi.cli.train import default_learning_rate

    assert default_learning_rate(args) == config.learning_rate == TRAINING.learning_rate
    assert args.learning_rate == TRAINING.learning_rate
    finetune = _defaults("train", "style", "--from", "default", "--out", "x")
    assert default_learning_rate(finetune) == TRAINING.finetune_learning_rate
    for name in ("units", "layers", "embedding", "dropout", "token_dropout"):
        assert getattr(args, name) == getattr(size, name) == getattr(TRAINING, name), name
    assert args.corpus == config.corpus == TRAINING.corpus


def test_engine_refuses_what_the_settings_do_not_allow() -> None:
    low = GENERATION.bpm_range.low
    validate_config(GenerationConfig(bpm=low, bars=GENERATION.bars_range.high))
    with pytest.raises(ConfigError, match=f"outside {GENERATION.bpm_range}"):
        validate_config(GenerationConfig(bpm=low - 1))
    with pytest.raises(ConfigError, match="bars"):
        validate_config(GenerationConfig(bars=GENERATION.bars_range.high + 1))
    too_hot = SamplingConfig(temperature=SETTINGS["temperature"].span.high * 2)  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="temperature"):
        validate_config(GenerationConfig(sampling=too_hot))
    check_config(TrainConfig(kind="melody"))
    with pytest.raises(ConfigError, match="epochs 0"):
        check_config(TrainConfig(kind="melody", epochs=0))
    big = replace(ModelSize(), layers=TRAINING.layers_range.high + 1)
    with pytest.raises(ConfigError, match="LSTM layers"):
        check_config(TrainConfig(kind="melody", size=big))


def test_train_cli_refuses_out_of_range_before_reading_a_corpus(tmp_path: Path) -> None:
    from lofi.cli import main

    code = main(
        ["train", "melody", "--corpus", "/nowhere", "--out", str(tmp_path / "r"), "--epochs", "0"]
    )
    assert code == 2
    assert not (tmp_path / "r").exists()


def test_pages_offer_the_settings_ranges(app_env) -> None:
    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=180)
    at.run()
    sliders = {s.label: s for s in at.slider}
    bars, bpm = sliders["Length (bars)"], sliders["Tempo (BPM)"]
    assert (bars.min, bars.max, bars.value) == (
        GENERATION.bars_range.low,
        GENERATION.bars_range.high,
        GENERATION.bars,
    )
    assert (bpm.min, bpm.max, bpm.value) == (
        GENERATION.bpm_range.low,
        GENERATION.bpm_range.high,
        GENERATION.bpm,
    )
    at.switch_page("app_pages/training.py")
    at.run()
    epochs = next(n for n in at.number_input if n.label == "Epochs (most)")
    assert epochs.value == TRAINING.epochs
