"""The user's settings of a track: made into a config and a tape, and checked in range.

Each setting is declared once (lofi.core.settings.USER_SETTINGS); the Studio and the shell
both make their request's config here, so the same settings make the same song.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from lofi.audio.placement import Mix
from lofi.audio.tape import Tape
from lofi.core.errors import ConfigError
from lofi.core.settings import GENERATION, SETTINGS, USER_SETTINGS
from lofi.core.types import GenerationConfig, Key, SamplingConfig, with_part_seeds


def validate_config(config: GenerationConfig, tape: Tape | None = None) -> None:
    """Each user setting within its declared range (lofi.core.settings.USER_SETTINGS).

    Raises:
        ConfigError: naming the first setting out of range.
    """
    for name, value in setting_values(config, tape).items():
        SETTINGS[name].check(value)
    s, span = config.sampling, GENERATION.register_span
    if s.register_high - s.register_low < span:
        raise ConfigError(
            f"melody register {s.register_low}-{s.register_high} must span at least {span} "
            "semitones"
        )


def setting_values(
    config: GenerationConfig, tape: Tape | None = None, mix: Mix | None = None
) -> dict[str, Any]:
    """Each user setting's value in a config (and a tape, a mix): names of USER_SETTINGS."""
    values = {"seed": config.seed, "bpm": config.bpm, "bars": config.bars}
    values |= {**asdict(config.sampling), "swing": config.swing, "energy": config.energy}
    if tape is not None:
        values |= {"tape_wow": tape.wow, "lowpass_hz": tape.lowpass_hz}
    if mix is not None:
        values |= {k: v for k, v in asdict(mix).items() if k != "version"}
    return values


def settings_mix(values: dict[str, Any]) -> Mix:
    """The newest mix with the user's mix settings (a setting not given: its default)."""
    named = ("width", "reverb_db", "ducking", "saturation_db", "dusty")
    return Mix(**{n: SETTINGS[n].kind(values.get(n, SETTINGS[n].default)) for n in named})


def settings_config(values: dict[str, Any], key: Key) -> tuple[GenerationConfig, Tape]:
    """The config and tape the user's settings make, as the Studio and the shell make them.

    A setting not in `values` takes its default; every part gets its own seed, drawn from
    the seed, so a seed makes the same song in the Studio and in the shell.
    """
    v = {s.name: s.kind(values.get(s.name, s.default)) for s in USER_SETTINGS}
    sampling = SamplingConfig(**{f.name: v[f.name] for f in fields(SamplingConfig)})
    config = GenerationConfig(
        v["seed"], key, v["bpm"], v["bars"], sampling, swing=v["swing"], energy=v["energy"]
    )
    return with_part_seeds(config), Tape(v["tape_wow"], v["lowpass_hz"])
