"""The lofi colour of the master: tape wow and flutter, filters, a small room, compression."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lofi.audio.placement import MONO_MIX, Mix
from lofi.core.constants import SAMPLE_RATE
from lofi.core.settings import MIX

WOW_HZ, WOW_MS = 0.55, 0.9  # slow tape speed wobble: rate and depth of the delay swing
FLUTTER_HZ, FLUTTER_MS = 6.0, 0.06


@dataclass(frozen=True)
class Tape:
    """The user's tape colour: wobble depth (times the default) and the low-pass cutoff."""

    wow: float = MIX.tape_wow
    lowpass_hz: float = MIX.lowpass_hz


def wow(audio: np.ndarray, depth: float = 1.0) -> np.ndarray:
    """Tape wow and flutter: a delay line whose length swings slowly (linear interpolation)."""
    n = len(audio)
    t = np.arange(n, dtype=np.float32) / np.float32(SAMPLE_RATE)
    delay = np.sin(np.float32(2 * np.pi * WOW_HZ) * t)
    delay += 1
    delay *= np.float32(WOW_MS * depth * SAMPLE_RATE / 1000)
    flutter = np.sin(np.float32(2 * np.pi * FLUTTER_HZ) * t, out=t)
    flutter += 1
    delay += flutter * np.float32(FLUTTER_MS * depth * SAMPLE_RATE / 1000)
    del t, flutter
    # Read position k - delay, split into whole frames back (small) and the fraction, so no
    # float64 positions are needed: x[k - d - 1] * frac + x[k - d] * (1 - frac).
    whole = np.floor(delay)
    frac = (delay - whole)[:, None]
    back = np.arange(n, dtype=np.int32) - whole.astype(np.int32)
    del delay, whole
    np.clip(back, 0, n - 1, out=back)
    older = np.maximum(back - 1, 0)
    now = audio[back]
    out: np.ndarray = now + (audio[older] - now) * frac
    return out


@dataclass(frozen=True)
class Tone:
    """A stereo mix version's master EQ: a low shelf under the bass, the brightness shelf."""

    low_shelf_hz: float  # thins the boom a little: warm, not muddy
    low_shelf_db: float
    shelf_db: float  # the brightness: a high shelf this deep at the brightness frequency


SHELF_Q = 0.5  # a gentle slope (0.707 is Butterworth-steep)
TONES = {2: Tone(120.0, -2.5, -3.0), 3: Tone(150.0, -3.0, -3.0)}  # kept as each shipped
DUSTY_RATE_HZ, DUSTY_BITS = 26_040.0, 12  # an SP-1200's rate and depth


def master_board(tape: Tape, mix: Mix = MONO_MIX) -> Any:
    """The master's pedalboard chain after the wow, for the mix's version.

    Version 1: high- and low-pass (the brightness is the low-pass: a wall), a small room,
    gentle compression. Versions 2 and 3 (their `TONES`): a gentle low shelf under the bass,
    the brightness a gentle high shelf (with a low-pass an octave above it), tape saturation,
    the optional dusty sampler grain, then the same glue compression; the room is the parts'
    shared plate (placement.py).
    """
    from pedalboard import (
        Bitcrush,
        Chain,
        Compressor,
        Distortion,
        Gain,
        HighpassFilter,
        HighShelfFilter,
        LowpassFilter,
        LowShelfFilter,
        Resample,
        Reverb,
    )

    if not mix.stereo:
        return Chain([
            HighpassFilter(cutoff_frequency_hz=30.0),
            LowpassFilter(cutoff_frequency_hz=tape.lowpass_hz),
            Reverb(room_size=0.3, damping=0.6, wet_level=0.12, dry_level=0.9, width=0.8),
            Compressor(threshold_db=-20.0, ratio=2.5, attack_ms=20.0, release_ms=250.0),
        ])  # fmt: skip
    tone = TONES[mix.version]
    stages: list[Any] = [
        HighpassFilter(cutoff_frequency_hz=30.0),
        LowShelfFilter(cutoff_frequency_hz=tone.low_shelf_hz, gain_db=tone.low_shelf_db, q=SHELF_Q),
        HighShelfFilter(cutoff_frequency_hz=tape.lowpass_hz, gain_db=tone.shelf_db, q=SHELF_Q),
        LowpassFilter(cutoff_frequency_hz=min(2 * tape.lowpass_hz, 20_000.0)),
    ]
    if mix.saturation_db > 0:
        stages += [Distortion(drive_db=mix.saturation_db), Gain(gain_db=-mix.saturation_db)]
    if mix.dusty:
        stages += [
            Resample(target_sample_rate=DUSTY_RATE_HZ, quality=Resample.Quality.ZeroOrderHold),
            Bitcrush(bit_depth=DUSTY_BITS),
        ]
    stages.append(Compressor(threshold_db=-20.0, ratio=2.5, attack_ms=20.0, release_ms=250.0))
    return Chain(stages)


def tape_and_room(audio: np.ndarray, tape: Tape | None = None, mix: Mix = MONO_MIX) -> np.ndarray:
    """Wow, then the mix version's master chain (pedalboard)."""
    tape = tape or Tape()
    board = master_board(tape, mix)
    return np.ascontiguousarray(board(wow(audio, tape.wow).T, SAMPLE_RATE).T, dtype=np.float32)


def player_master(tape: Tape, mix: Mix, midi: bytes) -> dict[str, Any]:
    """The master's settings as the Studio's browser player mirrors them (JSON-ready).

    The version's shelves and top low-pass, the tape drive, the dusty grain, and the kicks
    (seconds, velocity 0-1) the beds duck under with the ducking's depth and times.
    """
    from lofi.audio.placement import DUCK_ATTACK_S, DUCK_DB, DUCK_RELEASE_S, kick_frames

    if not mix.stereo:
        return {"stereo": False}
    tone = TONES[mix.version]
    duck = None
    if mix.ducking:
        kicks = [
            [round(int(f) / SAMPLE_RATE, 4), round(int(v) / 127, 3)] for f, v in kick_frames(midi)
        ]
        duck = {
            "depth_db": DUCK_DB,
            "attack_s": DUCK_ATTACK_S,
            "release_s": DUCK_RELEASE_S,
            "kicks": kicks,
        }
    return {
        "stereo": True,
        "low_shelf_hz": tone.low_shelf_hz,
        "low_shelf_db": tone.low_shelf_db,
        "shelf_db": tone.shelf_db,
        "top_hz": min(2 * tape.lowpass_hz, 20_000.0),
        "saturation_db": mix.saturation_db,
        "dusty": {"rate": DUSTY_RATE_HZ, "bits": DUSTY_BITS} if mix.dusty else None,
        "duck": duck,
    }
