"""Summing stems and looped effect beds into one mix, and the master of that mix."""

from __future__ import annotations

import math

import numpy as np

from lofi.audio.loudness import normalize
from lofi.audio.placement import MONO_MIX, Mix
from lofi.audio.tape import Tape, tape_and_room
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import LofiError

LOOP_CROSSFADE_S = 0.5


def loop_effect(bed: np.ndarray, frames: int, level_db: float) -> np.ndarray:
    """The bed repeated to `frames` with equal-power crossfaded seams, at `level_db`.

    Every seam is the same, so one period (seam + the bed's middle) is built and tiled.
    """
    n = len(bed)
    out = np.zeros((frames, 2), dtype=np.float32)
    if n == 0 or frames <= 0:
        return out
    fade = min(int(LOOP_CROSSFADE_S * SAMPLE_RATE), n // 3)
    period = n - fade  # frames from one copy's start to the next one's
    ramp = (np.arange(fade, dtype=np.float64) + 0.5) / max(fade, 1) * (np.pi / 2)
    fade_in = np.sin(ramp).astype(np.float32)[:, None]
    fade_out = np.cos(ramp).astype(np.float32)[:, None]
    seam = bed[period:] * fade_out + bed[:fade] * fade_in
    unit = np.concatenate([seam, bed[fade:period]])  # `period` frames long
    # Copied period by period into the one output array (no track-long temporaries).
    head = min(period, frames)
    out[:head] = bed[:head]
    for start in range(period, frames, period):
        stop = min(start + period, frames)
        out[start:stop] = unit[: stop - start]
    out *= np.float32(10 ** (level_db / 20))
    return out


def _fade(audio: np.ndarray, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    n = len(audio)
    fi = min(int(fade_in_s * SAMPLE_RATE), n // 2)
    fo = min(int(fade_out_s * SAMPLE_RATE), n // 2)
    if fi:
        audio[:fi] *= (np.linspace(0.0, 1.0, fi, dtype=np.float32) ** 2)[:, None]
    if fo:
        audio[n - fo :] *= (np.linspace(1.0, 0.0, fo, dtype=np.float32) ** 2)[:, None]
    return audio


def combine(
    stems: dict[str, np.ndarray],
    effects: dict[str, tuple[np.ndarray, float]],
    fade_in_s: float = 2.0,
    fade_out_s: float = 4.0,
    duck: np.ndarray | None = None,
) -> np.ndarray:
    """Sums the stems and the looped effect beds, then fades the whole in and out.

    An effect at -inf dB (or None) is left out, so the result equals the dry sum. With
    `duck` (a gain per frame), the beds dip under the kick.
    """
    if not stems:
        raise LofiError("nothing to mix: no stems")
    frames = max(len(s) for s in stems.values())
    mix = np.zeros((frames, 2), dtype=np.float32)
    for name in sorted(stems):  # a fixed order keeps the float sums identical
        mix[: len(stems[name])] += stems[name]
    for name in sorted(effects):
        bed, level = effects[name]
        if level is None or not math.isfinite(level):
            continue
        looped = loop_effect(bed, frames, level)
        if duck is not None:
            looped *= duck[:frames, None]
        mix += looped
    return _fade(mix, fade_in_s, fade_out_s)


def master(audio: np.ndarray, tape: Tape | None = None, mix: Mix = MONO_MIX) -> np.ndarray:
    """The lofi master: tape and room colour, then -14 LUFS with the true peak <= -1 dBTP.

    The coloured copy goes straight to `normalize`, which lets go of it after its first
    stage, so a caller that passes its last reference to the mix holds fewer copies at once.
    """
    return normalize(tape_and_room(audio, tape, mix))
