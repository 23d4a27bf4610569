"""recipe.json: everything that made a track, so the same recipe makes the same track."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from lofi import __version__
from lofi.audio.placement import Mix
from lofi.audio.soundfonts import Instrument
from lofi.audio.tape import Tape
from lofi.compose.around_loop import LoopPart
from lofi.compose.arrangement import (
    ARRANGEMENT,
    ARRANGEMENT_V1,
    Arrangement,
    arrangement_from_json,
)
from lofi.core.errors import ConfigError, LofiError, RecipeError
from lofi.core.parts import all_tracks, rules_fallbacks
from lofi.core.paths import portable_path
from lofi.core.settings import GENERATION, LIMITS, MIX
from lofi.core.types import GenerationConfig, Key, SamplingConfig
from lofi.models import SongModels, load_checkpoints, load_song_models
from lofi.models.checkpoint import file_sha256, read_checkpoint
from lofi.models.critic import CRITIC_FILE, critic_sha256
from lofi.models.form import FALLBACK_FORM, form_sha256
from lofi.models.loading import default_chord_model, default_melody_model
from lofi.models.style import form_source_of, read_style
from lofi.service.loops import loop_entry, loop_from_entry
from lofi.service.recipe_mix import mix_from_json, mix_to_json, validate_mix
from lofi.service.recipe_models import find_model, find_style, portable_model, sampled_sha256
from lofi.service.recipe_schema import (
    RECIPE_FORMAT_VERSION,
    check_recipe,
    parse_recipe,
    read_recipe_file,
)
from lofi.service.recipe_sounds import EFFECT, SOUNDFONT, find_sound
from lofi.service.user_settings import setting_values, settings_config, validate_config

__all__ = [
    "Mix",
    "Tape",
    "TrackRequest",
    "from_recipe",
    "load_recipe",
    "save_recipe",
    "setting_values",
    "settings_config",
    "to_recipe",
    "validate_config",
]


@dataclass(frozen=True)
class TrackRequest:
    """What a user asks for: composition settings, models, instruments and effect levels."""

    config: GenerationConfig
    melody_model: Path
    chord_model: Path
    instruments: dict[str, Instrument]
    effects: dict[str, float] = field(default_factory=dict)  # name → level in dB
    effect_paths: dict[str, Path] = field(default_factory=dict)
    style: Path | None = None  # a style folder; its melody/chords models are the two above
    tape: Tape = field(default_factory=Tape)  # the master's wobble and low-pass
    arrangement: Arrangement = ARRANGEMENT  # an old recipe's arrangement makes its old track
    muted: tuple[str, ...] = ()  # parts left out of the mix (the mixer's mute and solo)
    # Parts the style has a model for that this track plays by the rules: a recipe made
    # before the style learned them (lofi.core.parts, `later`) or naming their rules.
    rules_parts: tuple[str, ...] = ()
    loop: LoopPart | None = None  # a user's loop, one part note for note (service.loops)
    mix: Mix = field(default_factory=Mix)  # a recipe that names no mix: the mono version 1


def style_request(
    config: GenerationConfig,
    style: Path,
    instruments: dict[str, Instrument],
    effects: dict[str, float],
    effect_paths: dict[str, Path],
    tape: Tape | None = None,
    rules_parts: tuple[str, ...] = (),
    mix: Mix | None = None,
) -> TrackRequest:
    """A request for a track in `style` (a folder holding style.json).

    The `rules_parts` play their hand-written rules even where the style has a model.
    """
    loaded = read_style(style)
    # A style whose piano plays instead of the melody and chords (the shipped lofi one)
    # names the shipped checkpoints of those two: the fields a recipe without a style plays
    # from. Its track is the style's, composed from `style`.
    return TrackRequest(
        config=config,
        melody_model=loaded.models.get("melody", default_melody_model()),
        chord_model=loaded.models.get("chords", default_chord_model()),
        instruments=instruments,
        effects=effects,
        effect_paths=effect_paths,
        style=Path(style),
        tape=tape or Tape(),
        rules_parts=tuple(sorted(rules_parts)),
        mix=mix or Mix(),
    )


def request_models(request: TrackRequest) -> SongModels:
    """The request's style's models, or its two checkpoints' when it names no style."""
    if request.style is not None:
        return load_song_models(request.style, request.rules_parts)
    return load_checkpoints(request.melody_model, request.chord_model)


def validate_request(request: TrackRequest) -> None:
    """The settings, then every part's volume and effect level: finite and in range."""
    validate_config(request.config, request.tape)
    validate_mix(request.mix)
    for part, inst in request.instruments.items():
        if part not in all_tracks():
            raise ConfigError(f"unknown part {part!r}; the parts are {', '.join(all_tracks())}")
        if inst.gain_db not in LIMITS.gain_db:
            raise ConfigError(f"{part} volume {inst.gain_db:g} dB is outside {LIMITS.gain_db} dB")
    for part in request.muted:
        if part not in request.instruments:
            raise ConfigError(f"muted part {part!r} is not one of the track's parts")
    for name, level in request.effects.items():
        if level != -math.inf and not LIMITS.effect_db.low <= level <= LIMITS.effect_db.high:
            raise ConfigError(
                f"effect {name} level {level:g} dB is outside "
                f"{LIMITS.effect_db.low:g}–{LIMITS.effect_db.high:g} dB (or off)"
            )


def _portable(path: Path) -> str:
    return portable_path(path)


def to_recipe(request: TrackRequest) -> dict[str, Any]:
    """The recipe.json content: settings, model hashes, instruments and effects, portable."""
    c = request.config
    models = {}
    for kind, folder in (("melody", request.melody_model), ("chords", request.chord_model)):
        ckpt = read_checkpoint(folder, kind)
        models[kind] = {
            "path": portable_model(folder),
            "model_sha256": ckpt.meta["model_sha256"],
            "weights_sha256": sampled_sha256(folder, kind),
        }
    instruments = {
        part: {
            "soundfont": _portable(inst.soundfont),
            "sha256": file_sha256(inst.soundfont),
            "bank": inst.bank,
            "program": inst.program,
            "gain_db": inst.gain_db,
        }
        for part, inst in sorted(request.instruments.items())
    }
    effects = {
        name: {
            "path": _portable(request.effect_paths[name]),
            "sha256": file_sha256(request.effect_paths[name]),
            "level_db": None if not math.isfinite(level) else level,
        }
        for name, level in sorted(request.effects.items())
    }
    style = None
    if request.style is not None:
        loaded = read_style(request.style)
        rules = request.rules_parts
        named = rules_fallbacks()
        style = {
            "path": portable_model(request.style),
            "name": loaded.name,
            "parts": {k: v for k, v in loaded.model_sha256().items() if k not in rules},
            # What the samplers read (model.keras is what training saved).
            "weights": {
                k: sampled_sha256(f, k) for k, f in sorted(loaded.models.items()) if k not in rules
            },
            "fallbacks": dict(sorted({**loaded.fallbacks, **{k: named[k] for k in rules}}.items())),
        }
    mixer = {"muted": sorted(request.muted)} if request.muted else {}
    return {
        "format_version": RECIPE_FORMAT_VERSION,
        "lofi_version": __version__,
        "style": style,
        "arrangement": request.arrangement.to_json(),
        "form": recipe_form(request),
        **({"timing": recipe_timing(request)} if request.arrangement.timing == "style" else {}),
        **({"critic": recipe_critic(request)} if request.arrangement.loop_choices > 1 else {}),
        "seed": c.seed,
        # Absent in recipes made before part seeds: the seed then drives every part.
        **({"part_seeds": dict(c.part_seeds)} if c.part_seeds is not None else {}),
        "key": c.key.name,
        "bpm": float(c.bpm),
        "bars": c.bars,
        "sampling": asdict(c.sampling),
        "feel": {
            "swing": c.swing,
            "energy": c.energy,
            "tape_wow": request.tape.wow,
            "lowpass_hz": request.tape.lowpass_hz,
        },
        # Absent in recipes made before the stereo mix: they play the mono version 1.
        **({"mix": mix_to_json(request.mix)} if request.mix.stereo else {}),
        "models": models,
        "instruments": instruments,
        "effects": effects,
        **mixer,
        **({"loop": loop_entry(request.loop)} if request.loop is not None else {}),
    }


def recipe_form(request: TrackRequest) -> dict[str, str]:
    """Where the track's form came from, as the recipe records it.

    The style's learned form model or a named fallback, with the form file's hash.
    """
    if request.arrangement.form == "rules":
        return {"source": FALLBACK_FORM}
    source, path = form_source_of(request.style)
    return {"source": source} if path is None else {"source": source, "sha256": form_sha256(path)}


def recipe_timing(request: TrackRequest) -> dict[str, str]:
    """Where the track's timing feels came from: the style's or a named fallback, hashed."""
    source, path = form_source_of(request.style, "timing")
    return {"source": source} if path is None else {"source": source, "sha256": form_sha256(path)}


def recipe_critic(request: TrackRequest) -> dict[str, str]:
    """The loop critic the piano chose its loops by: the style's, hashed, or none."""
    path = None if request.style is None else Path(request.style) / CRITIC_FILE
    if path is None or not path.is_file():
        return {"source": "none"}
    return {"source": CRITIC_FILE, "sha256": critic_sha256(path)}


def _check_form(data: dict[str, Any], request: TrackRequest) -> None:
    """A recipe's form, timing and critic must be what this machine would use for them."""
    if data.get("form", {"source": FALLBACK_FORM}) != recipe_form(request):
        raise RecipeError(
            f"the recipe's form came from {data.get('form')}, here it would come from "
            f"{recipe_form(request)}; it would make a different track"
        )
    if request.arrangement.loop_choices > 1 and data.get("critic") != recipe_critic(request):
        raise RecipeError(
            f"the recipe's loops were chosen by the critic {data.get('critic')}, here by "
            f"{recipe_critic(request)}; it would make a different track"
        )
    if request.arrangement.timing == "style" and data.get("timing") != recipe_timing(request):
        raise RecipeError(
            f"the recipe's timing came from {data.get('timing')}, here it would come from "
            f"{recipe_timing(request)}; it would make a different track"
        )


def from_recipe(data: Any) -> TrackRequest:
    """Rebuilds the request; every file is found by its content hash."""
    if not isinstance(data, dict):
        raise RecipeError("a recipe is a JSON object")
    check_recipe(data)
    if data["format_version"] == 1:
        arrangement = ARRANGEMENT_V1  # a format-1 recipe predates the named arrangement
    else:
        arrangement = arrangement_from_json(data.get("arrangement"))
    feel = data.get("feel", {})  # absent before feel controls: the defaults then
    tape = Tape(
        float(feel.get("tape_wow", MIX.tape_wow)), float(feel.get("lowpass_hz", MIX.lowpass_hz))
    )
    try:
        config = GenerationConfig(
            seed=int(data["seed"]),
            key=Key.parse(str(data["key"])),
            bpm=float(data["bpm"]),
            bars=int(data["bars"]),
            sampling=SamplingConfig(**data["sampling"]),
            swing=float(feel.get("swing", GENERATION.swing)),
            energy=float(feel.get("energy", GENERATION.energy)),
            part_seeds=(
                tuple(
                    (p, int(data["part_seeds"][p])) for p in all_tracks() if p in data["part_seeds"]
                )
                if "part_seeds" in data
                else None
            ),
        )
        validate_config(config)
        instruments = {
            part: Instrument(
                find_sound(e["soundfont"], e["sha256"], SOUNDFONT),
                int(e["bank"]),
                int(e["program"]),
                float(e.get("gain_db", 0.0)),
            )
            for part, e in data["instruments"].items()
        }
        effects: dict[str, float] = {}
        effect_paths: dict[str, Path] = {}
        for name, e in data["effects"].items():
            level = e.get("level_db")
            effects[name] = -math.inf if level is None else float(level)
            effect_paths[name] = find_sound(e["path"], e["sha256"], EFFECT)
        muted = tuple(sorted(data.get("muted", [])))
        loop = loop_from_entry(data["loop"], config) if "loop" in data else None
        mix = mix_from_json(data.get("mix"))
        if data.get("style"):
            critic = data.get("critic") if arrangement.loop_choices > 1 else None
            folder, rules = find_style(data["style"], critic)
            request = style_request(
                config, folder, instruments, effects, effect_paths, tape, rules, mix
            )
            request = replace(request, arrangement=arrangement, muted=muted, loop=loop)
            _check_form(data, request)
            validate_request(request)
            return request
        request = TrackRequest(
            config=config,
            melody_model=find_model(data["models"]["melody"], "melody"),
            chord_model=find_model(data["models"]["chords"], "chords"),
            instruments=instruments,
            effects=effects,
            effect_paths=effect_paths,
            tape=tape,
            arrangement=arrangement,
            muted=muted,
            loop=loop,
            mix=mix,
        )
        _check_form(data, request)
        validate_request(request)
        return request
    except RecipeError:
        raise
    except LofiError as exc:
        raise RecipeError(f"the recipe is not valid: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RecipeError(f"the recipe is broken or incomplete ({exc!r})") from exc


def load_recipe(path: Path) -> TrackRequest:
    """The request a recipe.json describes; RecipeError when it is too large or invalid."""
    path = Path(path)
    text = read_recipe_file(path)
    try:
        data = parse_recipe(text)
    except RecipeError as exc:
        raise RecipeError(f"cannot read recipe {path.name}: {exc}") from None
    return from_recipe(data)


def save_recipe(request: TrackRequest, path: Path) -> None:
    """Writes the request's recipe.json to `path`."""
    path.write_text(json.dumps(to_recipe(request), indent=1) + "\n")
