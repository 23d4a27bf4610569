"""The lofi drum kit: a SoundFont made at setup from Debian-packaged CC0 samples.

The samples come from sonic-pi-samples (/usr/share/sonic-pi/samples, each one CC0 per
/usr/share/doc/sonic-pi-samples/copyright: menegass's drum_* set from freesound.org). They
are trimmed, made mono, given a sampler's grain (a 26 kHz, 12-bit pass, as an SP-1200
records; the kick and snare a little tape drive too) and written as one General MIDI kit
(bank 128, program 0) by `sf2_writer`, so the kit plays through FluidSynth like any
SoundFont, a recipe finds it by its hash and the user can pick any other kit instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofi.audio.sf2_writer import Zone, write_kit
from lofi.core.constants import SAMPLE_RATE
from lofi.core.paths import SONIC_PI_SAMPLES

KIT_FILE = "LoFi_Kit.sf2"
KIT_NAME = "LoFi Boom Bap"
KIT_BANK, KIT_PROGRAM = 128, 0
KIT_VERSION = 1  # in the file's comment: a new version is a new file, old recipes keep theirs
DUSTY_RATE_HZ, DUSTY_BITS = 26_040, 12  # an SP-1200's sample rate and depth


@dataclass(frozen=True)
class Source:
    """One sample of the kit: the packaged file, how long it may ring, and its drive."""

    file: str  # in SONIC_PI_SAMPLES, without .flac
    seconds: float  # cut (with a short fade) after this long
    drive: float = 0.0  # tanh saturation: 0 is clean


SOURCES: dict[str, Source] = {
    "kick": Source("drum_heavy_kick", 0.35, drive=1.5),
    "snare": Source("drum_snare_hard", 0.35, drive=1.2),
    "rim": Source("elec_hi_snare", 0.15),
    "hat": Source("drum_cymbal_closed", 0.2),
    "pedal": Source("drum_cymbal_pedal", 0.25),
    "open": Source("drum_cymbal_open", 0.9),
    "ride": Source("drum_cymbal_soft", 0.9),
    "crash": Source("drum_splash_soft", 1.6),
    "tom_lo": Source("drum_tom_lo_soft", 0.6),
    "tom_mid": Source("drum_tom_mid_soft", 0.5),
    "tom_hi": Source("drum_tom_hi_soft", 0.45),
}
HAT = 1  # exclusive class: a closed or pedal hat cuts the open one off
ZONES: tuple[Zone, ...] = (
    Zone(35, "kick", attenuation_db=2.0, release_s=0.4),
    Zone(36, "kick", attenuation_db=2.0, release_s=0.4),
    Zone(37, "rim", attenuation_db=8.0, release_s=0.2),
    Zone(38, "snare", release_s=0.4),
    Zone(40, "snare", release_s=0.4),
    Zone(42, "hat", pan=0.3, attenuation_db=0.0, release_s=0.25, exclusive=HAT),
    Zone(44, "pedal", pan=0.3, attenuation_db=1.0, release_s=0.25, exclusive=HAT),
    Zone(46, "open", pan=0.3, attenuation_db=3.0, release_s=0.9, exclusive=HAT),
    Zone(51, "ride", pan=-0.35, attenuation_db=6.0, release_s=0.9),
    Zone(59, "ride", pan=-0.35, attenuation_db=6.0, release_s=0.9),
    Zone(49, "crash", pan=-0.3, attenuation_db=6.0, release_s=1.6),
    Zone(57, "crash", pan=0.3, attenuation_db=6.0, release_s=1.6),
    Zone(41, "tom_lo", pan=-0.3, release_s=0.6),
    Zone(43, "tom_lo", pan=-0.25, release_s=0.6),
    Zone(45, "tom_mid", pan=-0.1, release_s=0.5),
    Zone(47, "tom_mid", pan=0.05, release_s=0.5),
    Zone(48, "tom_hi", pan=0.2, release_s=0.45),
    Zone(50, "tom_hi", pan=0.3, release_s=0.45),
)
COMMENT = (
    f"LoFi Studio kit v{KIT_VERSION}, made by lofi.audio.kits from Debian's sonic-pi-samples "
    "(CC0: drum_* by menegass, elec_hi_snare, freesound.org). This kit: CC0."
)


def _sample(source: Source, folder: Path) -> np.ndarray:
    """The packaged sample: mono, trimmed, cut with a fade, with the sampler's grain."""
    import soundfile as sf
    from scipy import signal

    audio, rate = sf.read(folder / f"{source.file}.flac", dtype="float64", always_2d=True)
    x = audio.mean(axis=1)
    if rate != SAMPLE_RATE:
        x = signal.resample_poly(x, SAMPLE_RATE, rate)
    onset = int(np.argmax(np.abs(x) > 0.02 * np.abs(x).max()))
    x = x[max(onset - 16, 0) : max(onset - 16, 0) + int(source.seconds * SAMPLE_RATE)]
    fade = min(len(x) // 4, int(0.03 * SAMPLE_RATE))
    x[len(x) - fade :] *= np.linspace(1.0, 0.0, fade) ** 2
    if source.drive > 0:
        x = np.tanh(source.drive * x / np.abs(x).max()) / np.tanh(source.drive)
    # The sampler's grain: down to its rate and back, then its bit depth.
    x = signal.resample_poly(signal.resample_poly(x, 434, 735), 735, 434)
    step = 2.0 ** (1 - DUSTY_BITS)
    x = np.round(x / np.abs(x).max() * 0.89 / step) * step
    out: np.ndarray = x.astype(np.float32)
    return out


def kit_available(folder: Path = SONIC_PI_SAMPLES) -> bool:
    """Whether the packaged samples the kit is made of are on this machine."""
    return all((folder / f"{s.file}.flac").is_file() for s in SOURCES.values())


def make_kit(path: Path, folder: Path = SONIC_PI_SAMPLES) -> Path:
    """Writes the lofi kit SoundFont to `path` (same samples in, same bytes out)."""
    samples = {name: _sample(source, folder) for name, source in SOURCES.items()}
    write_kit(path, KIT_NAME, samples, list(ZONES), SAMPLE_RATE, KIT_BANK, KIT_PROGRAM, COMMENT)
    return path
