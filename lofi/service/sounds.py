"""What a track can sound with: SoundFonts, presets, default instruments and effect beds.

Also starts the FluidSynth workers before the first track needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lofi.audio.effects import list_effects
from lofi.audio.meter import COLUMNS as METER_COLUMNS
from lofi.audio.render import DC_WARN_SHARE, dc_share, warm_up
from lofi.audio.soundfonts import (
    Instrument,
    Preset,
    available_soundfonts,
    default_instruments,
    list_presets,
)
from lofi.core.paths import effects_dir

__all__ = [
    "METER_COLUMNS",
    "Instrument",
    "Preset",
    "available_soundfonts",
    "default_instruments",
    "effect_beds",
    "list_presets",
    "sound_meter",
    "soundfont_warnings",
    "start_renderer",
]


def effect_beds() -> dict[str, Path]:
    """Every WAV bed in the effects folder, by name (the file name without .wav)."""
    return list_effects(effects_dir())


def start_renderer() -> None:
    """Starts the FluidSynth workers with the default instruments' SoundFonts loaded."""
    warm_up(sorted({instrument.soundfont for instrument in default_instruments().values()}))


def soundfont_warnings(path: Path) -> list[str]:
    """What a usable SoundFont's test note shows that the user should know (DC offset).

    A SoundFont that fails here was checked on upload already: its failure is no warning.
    """
    from lofi.core.errors import LofiError

    try:
        preset = list_presets(path)[0]
        share = dc_share(path, preset)
    except LofiError:
        return []
    if share < DC_WARN_SHARE:
        return []
    return [
        f"{path.name}: its test note ({preset.name}) has a DC offset, {100 * share:.0f} % of "
        "its energy; the stereo mix removes it, but an older recipe's mono mix or another "
        "program would thump"
    ]


def sound_meter(mix: np.ndarray, drums: np.ndarray | None) -> dict[str, Any]:
    """The sound report of a mix (lofi.audio.meter) and the figures that miss their targets."""
    from lofi.audio.meter import measure, misses

    report = measure(mix, drums).as_dict()
    return {"figures": report, "misses": misses(report)}
