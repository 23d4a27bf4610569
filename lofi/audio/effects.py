"""Effect beds (rain, vinyl): the default ones made here, user WAVs checked and loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

# scipy.signal is imported where it is used: the sandboxed child that decodes an uploaded
# bed imports this module, and scipy.signal alone takes over a second to import.
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import EffectError
from lofi.core.paths import SONIC_PI_SAMPLES
from lofi.core.settings import LIMITS

BED_SECONDS = 30.0
SEAM_SECONDS = 1.0  # crossfade that makes each bed loop without a click
MAX_PEAK = 2.0  # +6 dBFS: a float bed a little over full scale still mixes as meant


def _loopable(audio: np.ndarray) -> np.ndarray:
    """Folds the extra second at the end over the start, so the end flows into the start."""
    seam = int(SEAM_SECONDS * SAMPLE_RATE)
    body, tail = audio[:-seam].copy(), audio[-seam:]
    ramp = np.linspace(0.0, 1.0, seam, dtype=np.float32)[:, None]
    body[:seam] = body[:seam] * ramp + tail * (1.0 - ramp)
    return body


def _normalise(audio: np.ndarray, rms_db: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) or 1.0
    out = audio * (10 ** (rms_db / 20) / rms)
    peak = float(np.abs(out).max())
    return (out / peak * 0.9 if peak > 0.9 else out).astype(np.float32)


def make_rain(rng: np.random.Generator, seconds: float = BED_SECONDS) -> np.ndarray:
    """Filtered noise in three bands with slow swells, plus droplets scattered in stereo."""
    from scipy import signal

    n = int((seconds + SEAM_SECONDS) * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    out = np.zeros((n, 2), dtype=np.float64)
    for low, high, level in ((80, 500, 0.5), (500, 3000, 1.0), (3000, 9000, 0.45)):
        sos = signal.butter(2, (low, high), btype="bandpass", fs=SAMPLE_RATE, output="sos")
        noise = signal.sosfilt(sos, rng.standard_normal((n, 2)), axis=0)
        swell = 0.75 + 0.25 * np.sin(2 * np.pi * rng.uniform(0.03, 0.09) * t + rng.uniform(0, 6))
        out += level * noise * swell[:, None]
    drops = rng.poisson(18.0 * (seconds + SEAM_SECONDS))
    length = int(0.03 * SAMPLE_RATE)
    env = np.exp(-np.arange(length) / (0.004 * SAMPLE_RATE))
    for start, freq, amp, pan in zip(
        rng.integers(0, n - length, drops),
        rng.uniform(1500, 6000, drops),
        rng.uniform(0.3, 1.5, drops),
        rng.uniform(0.1, 0.9, drops),
        strict=True,
    ):
        ping = amp * env * np.sin(2 * np.pi * freq * np.arange(length) / SAMPLE_RATE)
        out[start : start + length, 0] += ping * (1 - pan)
        out[start : start + length, 1] += ping * pan
    return _normalise(_loopable(out.astype(np.float32)), -24.0)


def _hiss(rng: np.random.Generator, n: int) -> np.ndarray:
    from scipy import signal

    path = SONIC_PI_SAMPLES / "vinyl_hiss.flac"
    if path.is_file():
        hiss, rate = sf.read(path, dtype="float32", always_2d=True)
        if rate != SAMPLE_RATE:
            hiss = signal.resample_poly(hiss, SAMPLE_RATE, rate, axis=0).astype(np.float32)
        if hiss.shape[1] == 1:
            hiss = np.repeat(hiss, 2, axis=1)
        tiled: np.ndarray = np.tile(hiss, (n // len(hiss) + 1, 1))[:n, :2]
        return tiled
    sos = signal.butter(2, (2000, 10000), btype="bandpass", fs=SAMPLE_RATE, output="sos")
    noise: np.ndarray = signal.sosfilt(sos, rng.standard_normal((n, 2)), axis=0) * 0.05
    return noise.astype(np.float32)


def make_vinyl(rng: np.random.Generator, seconds: float = BED_SECONDS) -> np.ndarray:
    """Crackle (many small clicks, a few pops) and a low rumble over the vinyl hiss."""
    from scipy import signal

    n = int((seconds + SEAM_SECONDS) * SAMPLE_RATE)
    hiss = _normalise(_hiss(rng, n), -30.0).astype(np.float64)
    clicks = np.zeros((n, 2))
    count = rng.poisson(10.0 * (seconds + SEAM_SECONDS))
    at = rng.integers(0, n, count)
    clicks[at, rng.integers(0, 2, count)] = rng.choice([-1, 1], count) * rng.uniform(
        0.2, 1.0, count
    )
    sos = signal.butter(2, 1500, btype="highpass", fs=SAMPLE_RATE, output="sos")
    crackle = signal.sosfilt(sos, clicks, axis=0) * 0.8
    pops = np.zeros((n, 2))
    count = rng.poisson(0.6 * (seconds + SEAM_SECONDS))
    pops[rng.integers(0, n, count), :] = rng.uniform(0.5, 1.0, (count, 1))
    sos = signal.butter(2, 900, btype="lowpass", fs=SAMPLE_RATE, output="sos")
    pops = signal.sosfilt(sos, pops, axis=0) * 4.0
    t = np.arange(n) / SAMPLE_RATE
    rumble = 0.01 * np.sin(2 * np.pi * 33.3 / 60 * t)[:, None]  # one turn of the record
    out = (hiss + crackle + pops + rumble).astype(np.float32)
    return _normalise(_loopable(out), -26.0)


def make_default_effects(dest: Path, seed: int = 0) -> dict[str, Path]:
    """Writes the rain and vinyl beds (16-bit WAV, seeded) into `dest`; their paths by name."""
    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    beds = {"rain": make_rain(rng), "vinyl": make_vinyl(rng)}
    paths = {}
    for name, audio in beds.items():
        path = dest / f"{name}.wav"
        tmp = dest / f".{name}.wav.tmp"
        sf.write(tmp, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")
        tmp.replace(path)
        paths[name] = path
    return paths


def list_effects(folder: Path) -> dict[str, Path]:
    """Every .wav in `folder` by name (the file name without .wav), sorted; {} if no folder.

    Hidden files (an upload still being checked, a bed being written) are never listed.
    """
    if not folder.is_dir():
        return {}
    return {
        p.stem: p
        for p in sorted(folder.iterdir())
        if p.suffix.lower() == ".wav" and not p.name.startswith(".")
    }


def _header(path: Path) -> Any:
    """The WAV's header, checked against caps before a single sample is decoded.

    A header may lie (a 7 Hz rate and a length of hours asks a resampler for hundreds of
    GiB), so rate, channels and length must be sane and agree with the file's size.
    """
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(12)
    except OSError as exc:
        raise EffectError(f"cannot read {name}: {exc.strerror}") from exc
    if size > LIMITS.effect_bytes:
        raise EffectError(
            f"{name} is too large ({size >> 20} MB; the limit is {LIMITS.effect_bytes >> 20} MB)"
        )
    if size == 0:
        raise EffectError(f"{name} is an empty file")
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        raise EffectError(f"{name} is not a WAV file (no RIFF/WAVE header)")
    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile's errors name the full path: keep only the file's
        text = str(exc).replace(str(path), name).splitlines()[0][:160]
        raise EffectError(f"{name} is a damaged WAV file ({text})") from exc
    if info.channels not in (1, 2):
        raise EffectError(f"{name} has {info.channels} channels; use mono or stereo")
    if not LIMITS.effect_rate_hz.low <= info.samplerate <= LIMITS.effect_rate_hz.high:
        raise EffectError(
            f"{name} has a sample rate of {info.samplerate} Hz; "
            f"use {LIMITS.effect_rate_hz.low}–{LIMITS.effect_rate_hz.high} Hz"
        )
    if info.frames < 0.1 * info.samplerate:
        raise EffectError(f"{name} is shorter than 0.1 s")
    if (
        info.frames > LIMITS.effect_seconds * info.samplerate
        or info.frames * info.channels > 8 * size
    ):
        raise EffectError(
            f"{name} declares more audio than it holds or more than {LIMITS.effect_seconds:g} s"
        )
    return info


def _decode(path: Path) -> np.ndarray:
    """Every sample as float32 (n, channels); raises EffectError naming only the file."""
    try:
        audio, _ = sf.read(str(path), dtype="float32", always_2d=True)
    except MemoryError:
        raise
    except Exception as exc:
        text = str(exc).replace(str(path), path.name).splitlines()[0][:160]
        raise EffectError(f"{path.name} cannot be decoded ({text})") from exc
    if not np.isfinite(audio).all():
        raise EffectError(f"{path.name} holds samples that are not numbers")
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > MAX_PEAK:  # refused, not normalised: its level would be a guess
        raise EffectError(
            f"{path.name} has samples at {20 * np.log10(peak):+.0f} dBFS, far beyond full "
            f"scale (a bed may reach {20 * np.log10(MAX_PEAK):+.0f} dBFS); export it at or "
            "below 0 dBFS"
        )
    return np.asarray(audio, dtype=np.float32)


def _decode_probe(path: Path) -> int:
    return len(_decode(path))


def check_effect_wav(path: Path) -> float:
    """Checks a WAV a user brings; returns its length in seconds or raises EffectError.

    Past the header checks, the whole file is decoded once in a limited child process
    (libsndfile is C code reading a stranger's bytes).
    """
    from lofi.core.sandbox import Limits, SandboxError, run_limited

    path = Path(path)
    info = _header(path)
    limits = Limits(LIMITS.decode_memory_bytes, LIMITS.decode_cpu_s, LIMITS.decode_wall_s)
    try:
        frames = run_limited(_decode_probe, path, limits=limits)
    except SandboxError as exc:
        raise EffectError(f"{path.name} cannot be decoded: {exc}") from None
    return float(frames / info.samplerate)


def load_effect(path: Path) -> np.ndarray:
    """A checked WAV as float32 (n, 2) at the project's sample rate.

    The header caps bound what decoding and resampling may allocate, so this runs in the
    calling process (the upload already decoded the file once in a child).
    """
    from scipy import signal

    path = Path(path)
    info = _header(path)
    audio = _decode(path)
    if info.samplerate != SAMPLE_RATE:
        audio = signal.resample_poly(audio, SAMPLE_RATE, info.samplerate, axis=0)
        audio = audio.astype(np.float32)
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    return np.ascontiguousarray(audio)
