"""Where the project keeps its files. Everything hangs off the checkout, never the cwd."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _dir(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


def soundfonts_dir() -> Path:
    return _dir("LOFI_SOUNDFONTS_DIR", PROJECT_ROOT / "soundfonts")


def effects_dir() -> Path:
    return _dir("LOFI_EFFECTS_DIR", PROJECT_ROOT / "effects")


def checkpoints_dir() -> Path:
    return _dir("LOFI_CHECKPOINTS_DIR", PROJECT_ROOT / "checkpoints")


def cache_dir() -> Path:
    return _dir("LOFI_CACHE_DIR", PROJECT_ROOT / ".cache")


def user_data_dir() -> Path:
    """Uploaded corpora, training runs and generated tracks."""
    return _dir("LOFI_USER_DATA_DIR", PROJECT_ROOT / "user_data")


SYSTEM_SOUNDFONT = Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")
FALLBACK_SOUNDFONT_NAME = "sf_GMbank.sf2"
SONIC_PI_SAMPLES = Path("/usr/share/sonic-pi/samples")
