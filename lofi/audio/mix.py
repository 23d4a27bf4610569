"""Mixing stems and effect beds, the lofi master, and writing WAV and MP3 files."""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy import signal

from lofi.core.constants import SAMPLE_RATE, TARGET_LUFS, TRUE_PEAK_DBTP
from lofi.core.errors import LofiError

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
    """The bed repeated with crossfaded seams to `frames`, at `level_db` (pydub).

    pydub makes one seam (the bed appended to itself with a crossfade); every later period is
    the same, so it is tiled in numpy instead of appending again and again (quadratic).
    """
    segment = _to_segment(bed)
    fade = min(LOOP_CROSSFADE_MS, len(segment) // 3)
    twice = _from_segment(segment.append(segment, crossfade=fade).apply_gain(level_db))
    period = len(twice) - len(bed)  # frames from one copy's start to the next one's
    first, unit = twice[:period], twice[period : 2 * period]
    if frames <= period or len(unit) < period:
        out = twice[:frames]
    else:
        reps = -(-(frames - period) // period)
        out = np.concatenate([first, np.tile(unit, (reps, 1))])[:frames]
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
    flutter = np.sin(np.float32(2 * np.pi * FLUTTER_HZ) * t, out=t)
    flutter += 1
    delay += flutter * np.float32(FLUTTER_MS * SAMPLE_RATE / 1000)
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
    return now + (audio[older] - now) * frac


@functools.cache
def _k_weighting() -> np.ndarray:
    """pyloudnorm's BS.1770 K-weighting stages as one second-order-sections filter."""
    import pyloudnorm

    stages = pyloudnorm.Meter(SAMPLE_RATE)._filters.values()
    sos = [np.concatenate([f.b * f.passband_gain, f.a]) for f in stages]
    return np.array(sos, dtype=np.float64)


def loudness_lufs(audio: np.ndarray) -> float:
    """Integrated loudness (ITU-R BS.1770-4, as pyloudnorm measures it) of a stereo array.

    pyloudnorm's own meter sums its 400 ms blocks in a Python loop; this does the same
    gating on running sums, about ten times faster, with pyloudnorm's filters.
    """
    x = np.asarray(audio, dtype=np.float64)
    x = x.reshape(len(x), -1)
    block = 0.4 * SAMPLE_RATE
    if len(x) < block:
        raise LofiError("audio is shorter than the 0.4 s loudness block")
    weighted = signal.sosfilt(_k_weighting(), x, axis=0)
    energy = np.square(weighted[:, 0])
    for ch in range(1, weighted.shape[1]):
        energy += np.square(weighted[:, ch])
    power = np.concatenate([np.zeros(1), np.cumsum(energy)])
    count = int(np.round((len(x) / SAMPLE_RATE - 0.4) / (0.4 * 0.25))) + 1
    j = np.arange(count, dtype=np.float64)
    lower = (0.4 * (j * 0.25) * SAMPLE_RATE).astype(np.int64)
    upper = np.minimum((0.4 * (j * 0.25 + 1) * SAMPLE_RATE).astype(np.int64), len(x))
    z = (power[upper] - power[lower]) / block  # channel gains are 1 for left and right
    with np.errstate(divide="ignore"):
        level = -0.691 + 10 * np.log10(z)
    gated = z[level >= -70.0]
    if not len(gated):
        return -math.inf
    relative = -0.691 + 10 * math.log10(gated.mean()) - 10.0
    gated = z[(level > relative) & (level > -70.0)]
    return -0.691 + 10 * math.log10(gated.mean()) if len(gated) else -math.inf


@functools.cache
def _oversampling_taps(up: int = 4, half_len: int = 40) -> tuple[np.ndarray, int]:
    """resample_poly's interpolation filter split by phase: column p gives its output at
    k + p/up from the samples k + d for d in -reach..reach (rows)."""
    h = signal.firwin(2 * half_len + 1, 1.0 / up, window=("kaiser", 5.0)) * up
    reach = half_len // up + 1
    taps = np.zeros((2 * reach + 1, up))
    for p in range(up):
        for row, d in enumerate(range(-reach, reach + 1)):
            index = half_len + p - up * d
            if 0 <= index <= 2 * half_len:
                taps[row, p] = h[index]
    return taps.astype(np.float32), reach


def true_peak_dbtp(audio: np.ndarray, window_db: float = 3.0) -> float:
    """Peak of the 4× oversampled signal (resample_poly's filter), in dB full scale.

    The points between samples are worked out only next to samples within `window_db` of
    the sample peak: an inter-sample peak above the sample peak needs large samples next to
    it (after the master's low-pass the overshoot between samples is far below 3 dB).
    """
    x = np.asarray(audio, dtype=np.float32).reshape(len(audio), -1)
    loud = np.abs(x[:, 0])
    for ch in range(1, x.shape[1]):  # column by column: faster than max(axis=1) on 2 values
        np.maximum(loud, np.abs(x[:, ch]), out=loud)
    sample_peak = float(loud.max()) if len(loud) else 0.0
    if sample_peak == 0:
        return -math.inf
    hot = loud >= np.float32(sample_peak * 10 ** (-window_db / 20))
    hot[:-1] |= hot[1:]  # the gaps on both sides of a hot sample
    starts = np.flatnonzero(hot)
    peak = 0.0
    taps, reach = _oversampling_taps()
    padded = np.pad(x, ((reach, reach), (0, 0)))  # resample_poly pads with zeros too
    for chunk in np.array_split(starts, max(1, len(starts) // 65536)):
        rows = chunk[:, None] + np.arange(2 * reach + 1)  # windows centred on each start
        for ch in range(x.shape[1]):
            peak = max(peak, float(np.abs(padded[rows, ch] @ taps).max()))
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
    # Limit the samples to LIMIT_DBFS (in the level they will have after the gain), so the
    # low-passed signal's inter-sample peaks stay under the true-peak ceiling. Limiting
    # lowers the loudness, so the gain is measured again; if that lifts the peaks over the
    # ceiling, limit harder (very spiky material) and finally turn the whole down a little.
    ceiling = LIMIT_DBFS
    for _ in range(3):
        gain_db = TARGET_LUFS - loud
        limiter = Limiter(threshold_db=ceiling - gain_db, release_ms=80.0)
        out = np.ascontiguousarray(limiter(out.T, SAMPLE_RATE).T, dtype=np.float32)
        loud = loudness_lufs(out)
        peak = true_peak_dbtp(out) + TARGET_LUFS - loud
        if peak <= TRUE_PEAK_DBTP:
            break
        ceiling -= peak - TRUE_PEAK_DBTP + 0.2
    out *= np.float32(10 ** ((TARGET_LUFS - loud) / 20))
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
