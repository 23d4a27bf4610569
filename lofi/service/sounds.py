"""What a track can sound with: SoundFonts, presets, default instruments and effect beds.

Also starts the FluidSynth workers before the first track needs them.
"""

from __future__ import annotations

from pathlib import Path

from lofi.audio.effects import list_effects
from lofi.audio.render import warm_up
from lofi.audio.soundfonts import (
    Instrument,
    Preset,
    available_soundfonts,
    default_instruments,
    list_presets,
)
from lofi.core.paths import effects_dir

__all__ = [
    "Instrument",
    "Preset",
    "available_soundfonts",
    "default_instruments",
    "effect_beds",
    "list_presets",
    "start_renderer",
]


def effect_beds() -> dict[str, Path]:
    """Every WAV bed in the effects folder, by name (the file name without .wav)."""
    return list_effects(effects_dir())


def start_renderer() -> None:
    """Starts the FluidSynth workers with the default instruments' SoundFonts loaded."""
    warm_up(sorted({instrument.soundfont for instrument in default_instruments().values()}))
