"""Each part's implementation, one module per part: the `PART` its registry entry names.

A part (lofi.core.parts) knows its representation (its vocabulary and how a corpus encodes
to its tokens: training's data), how its checkpoint loads (lofi.models) and how it plays
given the song so far, or its named fallback when the style has no model of it.
`compose` (lofi.compose.song) runs the parts a style holds in registry order.
"""

from __future__ import annotations

from importlib import import_module
from typing import cast

from lofi.compose.parts.base import LearnedPart, SongSoFar
from lofi.core.errors import ConfigError
from lofi.core.parts import PartModel, part_spec

__all__ = ["LearnedPart", "SongSoFar", "implementation"]


def implementation(name: str) -> PartModel:
    """The registered part's implementation (its module's `PART`)."""
    spec = part_spec(name)
    try:
        part = import_module(spec.implementation).PART
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"part {name}: {spec.implementation} has no PART ({exc})") from exc
    return cast(PartModel, part)
