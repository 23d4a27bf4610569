"""The lofi colour of the master: tape wow and flutter, filters, a small room, compression."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


def tape_and_room(audio: np.ndarray, tape: Tape | None = None) -> np.ndarray:
    """Wow, then high- and low-pass, a small room and gentle compression (pedalboard)."""
    from pedalboard import Chain, Compressor, HighpassFilter, LowpassFilter, Reverb

    tape = tape or Tape()
    board = Chain([
        HighpassFilter(cutoff_frequency_hz=30.0),
        LowpassFilter(cutoff_frequency_hz=tape.lowpass_hz),
        Reverb(room_size=0.3, damping=0.6, wet_level=0.12, dry_level=0.9, width=0.8),
        Compressor(threshold_db=-20.0, ratio=2.5, attack_ms=20.0, release_ms=250.0),
    ])  # fmt: skip
    return np.ascontiguousarray(board(wow(audio, tape.wow).T, SAMPLE_RATE).T, dtype=np.float32)
