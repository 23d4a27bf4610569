"""Mixing stems and effect beds, the lofi master, and writing WAV and MP3 files."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy import signal

from lofi.constants import SAMPLE_RATE, TARGET_LUFS, TRUE_PEAK_DBTP
from lofi.errors import LofiError

LOOP_CROSSFADE_MS = 500
WOW_HZ, WOW_MS = 0.55, 0.9  # slow tape speed wobble: rate and depth of the delay swing
FLUTTER_HZ, FLUTTER_MS = 6.0, 0.06
LIMIT_DBFS = -2.0  # sample-peak ceiling before the true-peak check


def _to_segment(audio: np.ndarray) -> Any:
    from pydub import AudioSegment

    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    return AudioSegment(pcm.tobytes(), frame_rate=SAMPLE_RATE, sample_width=2, channels=2)


def _from_segment(segment: Any) -> np.ndarray:
    pcm = np.frombuffer(segment.raw_data, dtype="<i2").reshape(-1, 2)
    return pcm.astype(np.float32) / 32767.0


def loop_effect(bed: np.ndarray, frames: int, level_db: float) -> np.ndarray:
    """The bed repeated with crossfaded seams to `frames`, at `level_db` (pydub)."""
    segment = _to_segment(bed)
    fade = min(LOOP_CROSSFADE_MS, len(segment) // 3)
    looped = segment
    target_ms = frames * 1000 / SAMPLE_RATE + 50
    while len(looped) < target_ms:
        looped = looped.append(segment, crossfade=fade)
    looped = looped.apply_gain(level_db)
    out = _from_segment(looped)[:frames]
    if len(out) < frames:
        out = np.pad(out, ((0, frames - len(out)), (0, 0)))
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
) -> np.ndarray:
    """Sums the stems and the looped effect beds, then fades the whole in and out.

    An effect at -inf dB (or None) is left out, so the result equals the dry sum.
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
        mix += loop_effect(bed, frames, level)
    return _fade(mix, fade_in_s, fade_out_s)


def _wow(audio: np.ndarray) -> np.ndarray:
    """Tape wow and flutter: a delay line whose length swings slowly (linear interpolation)."""
    n = len(audio)
    t = np.arange(n, dtype=np.float32) / np.float32(SAMPLE_RATE)
    delay = np.sin(np.float32(2 * np.pi * WOW_HZ) * t)
    delay += 1
    delay *= np.float32(WOW_MS * SAMPLE_RATE / 1000)
    flutter = np.sin(np.float32(2 * np.pi * FLUTTER_HZ) * t)
    flutter += 1
    delay += flutter * np.float32(FLUTTER_MS * SAMPLE_RATE / 1000)
    del t, flutter
    pos = np.arange(n, dtype=np.float64) - delay  # float64: exact sample positions
    np.clip(pos, 0, n - 1, out=pos)
    i = pos.astype(np.int32)
    frac = (pos - i).astype(np.float32)
    del pos, delay
    j = np.minimum(i + 1, n - 1)
    out = np.empty_like(audio)
    for ch in range(audio.shape[1]):
        x = audio[:, ch]
        a = x[i]
        out[:, ch] = a + (x[j] - a) * frac
    return out


def loudness_lufs(audio: np.ndarray) -> float:
    import pyloudnorm

    return float(pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(audio.astype(np.float64)))


def true_peak_dbtp(audio: np.ndarray, block: int = 4096, margin: int = 64) -> float:
    """Peak of the 4× oversampled signal, in dB relative to full scale.

    Only blocks holding a sample within 2 dB of the sample peak are oversampled: an
    inter-sample peak above the sample peak needs large samples next to it, and after the
    master's low-pass the overshoot between samples is far below 2 dB.
    """
    mono_peak = np.abs(audio).max(axis=1)
    sample_peak = float(mono_peak.max()) if len(mono_peak) else 0.0
    if sample_peak == 0:
        return -math.inf
    hot = np.flatnonzero(mono_peak >= sample_peak * 10 ** (-2 / 20)) // block
    peak = sample_peak
    for b in np.unique(hot):
        start, stop = b * block, min((b + 1) * block, len(audio))
        lo, hi = max(start - margin, 0), min(stop + margin, len(audio))
        up = signal.resample_poly(audio[lo:hi], 4, 1, axis=0)
        peak = max(peak, float(np.abs(up[4 * (start - lo) : 4 * (stop - lo)]).max()))
    return 20 * math.log10(peak)


def master(audio: np.ndarray) -> np.ndarray:
    """The lofi master: high- and low-pass, a small room, tape wow, gentle compression,
    then −14 LUFS with the true peak at or under −1 dBTP."""
    from pedalboard import Compressor, HighpassFilter, Limiter, LowpassFilter, Pedalboard, Reverb

    board = Pedalboard([
        HighpassFilter(cutoff_frequency_hz=30.0),
        LowpassFilter(cutoff_frequency_hz=9500.0),
        Reverb(room_size=0.3, damping=0.6, wet_level=0.12, dry_level=0.9, width=0.8),
        Compressor(threshold_db=-20.0, ratio=2.5, attack_ms=20.0, release_ms=250.0),
    ])  # fmt: skip
    out = np.ascontiguousarray(board(_wow(audio).T, SAMPLE_RATE).T, dtype=np.float32)
    loud = loudness_lufs(out)
    if not math.isfinite(loud):
        return out  # silence stays silence
    gain_db = TARGET_LUFS - loud
    # Limit the samples to LIMIT_DBFS (in the level they will have after the gain), so the
    # low-passed signal's inter-sample peaks stay under the true-peak ceiling.
    limiter = Limiter(threshold_db=LIMIT_DBFS - gain_db, release_ms=80.0)
    out = np.ascontiguousarray(limiter(out.T, SAMPLE_RATE).T, dtype=np.float32)
    out *= np.float32(10 ** ((TARGET_LUFS - loudness_lufs(out)) / 20))
    peak = true_peak_dbtp(out)
    if peak > TRUE_PEAK_DBTP:
        out *= np.float32(10 ** ((TRUE_PEAK_DBTP - 0.05 - peak) / 20))
    return out


def write_wav(audio: np.ndarray, path: Path) -> None:
    sf.write(str(path), np.clip(audio, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16", format="WAV")


def write_mp3(audio: np.ndarray, path: Path, bitrate: str = "192k") -> None:
    try:
        _to_segment(audio).export(
            str(path), format="mp3", bitrate=bitrate, parameters=["-write_xing", "1"]
        )
    except Exception as exc:  # ffmpeg missing or failing
        raise LofiError(f"cannot write the MP3 (is ffmpeg installed?): {exc}") from exc
