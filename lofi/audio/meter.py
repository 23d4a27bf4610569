"""The sound report of a mix: loudness, true peak, brightness, stereo width, the drums' punch.

The figures a mastering engineer reads off a meter, so a mix can be checked against a lofi
record's: integrated LUFS and true peak (loudness.py), the spectral centroid and the shares of
energy under 200 Hz and over 5 kHz (Welch's power spectrum of both channels), the left/right
correlation and the side/mid ratio, and the drum stem's crest factor and share over 5 kHz.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from lofi.audio.loudness import loudness_lufs, true_peak_dbtp
from lofi.core.constants import SAMPLE_RATE

LOW_HZ = 200.0  # "under 200 Hz": kick, bass, the low end
AIR_HZ = 5000.0  # "above 5 kHz": hats, breath, vinyl, the air
SEGMENT = 4096  # Welch segment: 10.8 Hz bins

# What a finished lofi master measures: figure → (low, high). Where each comes from:
# - −14 LUFS ± 0.5 and ≤ −1 dBTP: the streaming services' loudness normalisation (Spotify,
#   YouTube: −14 LUFS integrated) and AES TD1004's −1 dBTP ceiling for lossy encoding; the
#   product's master has aimed at both since its first version.
# - L/R correlation 0.5–0.9: a correlation meter's healthy-stereo zone: over 0.9 is close
#   to mono, under 0.5 the centre thins and the mix folds down to mono badly.
# - ≥ 1 % of the energy above 5 kHz (the drum stem ≥ 5 %) and a centroid of 500–1,500 Hz:
#   warm but open, between this product's first mono mix (321 Hz, 0.17 %: muffled, hats
#   barely there) and a bright pop master (centroid 2–3 kHz); audible hats put a few percent
#   of a drum bus over 5 kHz.
TARGETS: dict[str, tuple[float, float]] = {
    "lufs": (-14.5, -13.5),
    "true_peak_dbtp": (-math.inf, -1.0),
    "centroid_hz": (500.0, 1500.0),
    "air_share": (0.01, 1.0),
    "correlation": (0.5, 0.9),
    "drum_air_share": (0.05, 1.0),
}


class Column(NamedTuple):
    """How one figure of the report is shown: its key, label, format and scale."""

    key: str
    label: str
    fmt: str
    scale: float = 1.0  # the shares (0-1) are shown in percent

    def cell(self, report: dict[str, float]) -> str:
        """The figure of `report`, formatted."""
        return self.fmt.format(report[self.key] * self.scale)


# The figures as shown, in order: the bench's table (bench_sound) and the Studio's meter.
COLUMNS = (
    Column("lufs", "LUFS", "{:.1f}"),
    Column("true_peak_dbtp", "dBTP", "{:.1f}"),
    Column("centroid_hz", "centroid Hz", "{:.0f}"),
    Column("low_share", "% < 200 Hz", "{:.0f}", 100.0),
    Column("air_share", "% > 5 kHz", "{:.2f}", 100.0),
    Column("correlation", "L/R corr.", "{:.2f}"),
    Column("side_mid", "side/mid", "{:.2f}"),
    Column("drum_crest_db", "drum crest dB", "{:.1f}"),
    Column("drum_air_share", "drums % > 5k", "{:.1f}", 100.0),
)


@dataclass(frozen=True)
class SoundReport:
    """One mix's figures; the drum ones are NaN when no drum stem was given."""

    lufs: float
    true_peak_dbtp: float
    centroid_hz: float
    low_share: float  # of the energy, under LOW_HZ (0–1)
    air_share: float  # of the energy, over AIR_HZ (0–1)
    correlation: float  # Pearson's r of left and right: 1 is mono, 0 unrelated
    side_mid: float  # RMS of (L−R)/2 over RMS of (L+R)/2
    drum_crest_db: float = math.nan  # peak over RMS of the drum stem
    drum_air_share: float = math.nan  # of the drum stem's energy, over AIR_HZ

    def as_dict(self) -> dict[str, float]:
        """The figures by name (for JSON and tables)."""
        return {k: float(v) for k, v in asdict(self).items()}


def misses(report: dict[str, float]) -> list[str]:
    """The figures of a report outside their TARGETS (a NaN figure misses nothing)."""
    return [
        name
        for name, (low, high) in TARGETS.items()
        if math.isfinite(report.get(name, math.nan)) and not low <= report[name] <= high
    ]


def spectrum(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and the power spectrum of all channels together (Welch, Hann)."""
    from scipy import signal

    x = np.asarray(audio, dtype=np.float32).reshape(len(audio), -1)
    n = min(SEGMENT, len(x))
    freqs, power = signal.welch(x, SAMPLE_RATE, nperseg=n, axis=0)
    return freqs, power.sum(axis=1)


def band_shares(audio: np.ndarray) -> tuple[float, float, float]:
    """Spectral centroid in Hz, and the shares of the energy under LOW_HZ and over AIR_HZ."""
    freqs, power = spectrum(audio)
    total = float(power.sum())
    if total <= 0:
        return math.nan, math.nan, math.nan
    centroid = float((freqs * power).sum() / total)
    low = float(power[freqs < LOW_HZ].sum() / total)
    air = float(power[freqs > AIR_HZ].sum() / total)
    return centroid, low, air


def stereo_figures(audio: np.ndarray) -> tuple[float, float]:
    """Left/right correlation and the side/mid ratio (1, 0 for a mono signal)."""
    x = np.asarray(audio, dtype=np.float64).reshape(len(audio), -1)
    if x.shape[1] < 2:
        return 1.0, 0.0
    left, right = x[:, 0], x[:, 1]
    mid, side = (left + right) / 2, (left - right) / 2
    mid_rms = float(np.sqrt(np.mean(mid**2)))
    side_rms = float(np.sqrt(np.mean(side**2)))
    lc, rc = left - left.mean(), right - right.mean()
    denominator = float(np.sqrt((lc**2).sum() * (rc**2).sum()))
    correlation = float((lc * rc).sum() / denominator) if denominator > 0 else 1.0
    return correlation, side_rms / mid_rms if mid_rms > 0 else math.nan


def crest_db(audio: np.ndarray) -> float:
    """Peak over RMS in dB (a drum stem's punch: higher is more transient)."""
    x = np.asarray(audio, dtype=np.float64)
    rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
    return 20 * math.log10(float(np.abs(x).max()) / rms) if rms > 0 else math.nan


def measure(mix: np.ndarray, drums: np.ndarray | None = None) -> SoundReport:
    """The sound report of a mix (and of its drum stem, when given)."""
    centroid, low, air = band_shares(mix)
    correlation, side_mid = stereo_figures(mix)
    drum_crest = drum_air = math.nan
    if drums is not None and np.any(drums):
        drum_crest = crest_db(drums)
        drum_air = band_shares(drums)[2]
    return SoundReport(
        lufs=loudness_lufs(mix),
        true_peak_dbtp=true_peak_dbtp(mix),
        centroid_hz=centroid,
        low_share=low,
        air_share=air,
        correlation=correlation,
        side_mid=side_mid,
        drum_crest_db=drum_crest,
        drum_air_share=drum_air,
    )
