"""The recipe's "mix": its version and named settings, read, written and checked."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from lofi.audio.placement import MONO_MIX, Mix
from lofi.core.errors import ConfigError
from lofi.core.settings import MIX, SETTINGS


def validate_mix(mix: Mix) -> None:
    """The mix's version is one this machine makes, and its settings are in range."""
    if mix.version not in MIX.mix_versions:
        raise ConfigError(f"mix version {mix.version} is not one of {MIX.mix_versions}")
    for name in ("width", "reverb_db", "ducking", "saturation_db", "dusty"):
        SETTINGS[name].check(getattr(mix, name))  # declared once, lofi.core.settings


def mix_to_json(mix: Mix) -> dict[str, Any]:
    """The recipe's "mix": the version and its named settings."""
    return asdict(mix)


def mix_from_json(entry: Any) -> Mix:
    """The mix a recipe names; none is the mono version 1 of older recipes."""
    if entry is None:
        return MONO_MIX
    base = Mix(version=int(entry["version"]))
    return Mix(
        version=base.version,
        width=float(entry.get("width", base.width)),
        reverb_db=float(entry.get("reverb_db", base.reverb_db)),
        ducking=bool(entry.get("ducking", base.ducking)),
        saturation_db=float(entry.get("saturation_db", base.saturation_db)),
        dusty=bool(entry.get("dusty", base.dusty)),
    )
