"""The studio's mixer: the levels, mutes and solos set while listening, and the bounce.

The browser applies the mixer to the stems at once; the bounce makes that mix on the server
as a new request (part volumes, bed levels, the parts left out) that its recipe records.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lofi.core.errors import ConfigError
from lofi.core.settings import LIMITS
from lofi.models import SongModels
from lofi.service.recipe import TrackRequest, validate_request
from lofi.service.studio_stream import PlayerTake
from lofi.service.takes import read_take, save_take
from lofi.service.track import make_track


@dataclass(frozen=True)
class Channel:
    """One mixer strip as the player reports it: level in dB (None: off), mute, solo."""

    level_db: float | None
    mute: bool = False
    solo: bool = False


def mixed_request(request: TrackRequest, mixer: dict[str, Any]) -> TrackRequest:
    """The request whose track is the mix the listener set.

    Part volumes, bed levels, and the parts silenced by mute or solo; unknown strips are
    ignored, levels are checked.

    Args:
        request: the take's request.
        mixer: strip name → {"level_db": dB or None (off), "mute": bool, "solo": bool}.

    Raises:
        ConfigError: a level outside the allowed range.
    """
    strips = {
        name: Channel(
            None if s.get("level_db") is None else float(s["level_db"]),
            bool(s.get("mute")),
            bool(s.get("solo")),
        )
        for name, s in mixer.items()
        if isinstance(s, dict)
    }
    soloed = any(s.solo for s in strips.values())

    def audible(name: str) -> bool:
        s = strips.get(name)
        if s is None:
            return not soloed
        return not s.mute and (s.solo or not soloed)

    instruments = {}
    for part, inst in request.instruments.items():
        s = strips.get(part)
        gain = inst.gain_db if s is None or s.level_db is None else s.level_db
        if not math.isfinite(gain) or gain not in LIMITS.gain_db:
            raise ConfigError(f"{part} volume {gain:g} dB is outside {LIMITS.gain_db} dB")
        instruments[part] = dataclasses.replace(inst, gain_db=round(gain, 2))
    effects = {}
    for name, level in request.effects.items():
        s = strips.get(name)
        db = level if s is None else (-math.inf if s.level_db is None else s.level_db)
        effects[name] = round(db, 2) if audible(name) and math.isfinite(db) else -math.inf
    muted = tuple(sorted(p for p in request.instruments if not audible(p)))
    mixed = dataclasses.replace(request, instruments=instruments, effects=effects, muted=muted)
    validate_request(mixed)
    return mixed


def bounce(
    take: PlayerTake, mixer: dict[str, Any], models: SongModels | None = None
) -> tuple[TrackRequest, Path]:
    """The final mix with the mixer's levels, saved as the session's next take.

    Made on the server as Generate makes a track, so its recipe makes the same bytes again.

    Args:
        take: the take in the player.
        mixer: the mixer's strips (see `mixed_request`).
        models: the loaded samplers (loaded from the request when None).

    Returns:
        The request that made the bounce and the new take's folder.

    Raises:
        LofiError: a level out of range, or the render failed.
    """
    request = mixed_request(take.request, mixer)
    track = make_track(request, models=models)
    parent = read_take(take.out).number if take.out is not None else None
    return request, save_take(track, request, take.session, "bounce", parent)
