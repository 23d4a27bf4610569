"""Where the project keeps its files: one data directory, never the installed package.

The data directory is ``$LOFI_HOME`` if set, else the platform's user data folder for
"lofi-studio" (platformdirs; ``~/.local/share/lofi-studio`` on Linux). ``make run`` and the
tests set ``LOFI_HOME`` to the checkout, so a checkout keeps its files where they always were
(soundfonts/, effects/, user_data/, .cache/). Each folder can still be moved on its own with
``LOFI_SOUNDFONTS_DIR``, ``LOFI_EFFECTS_DIR``, ``LOFI_CHECKPOINTS_DIR``, ``LOFI_CACHE_DIR`` and
``LOFI_USER_DATA_DIR``.

The shipped checkpoints are read-only package data: found beside the package (installed) or
in the checkout's checkpoints/ folder, and never written to.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "lofi-studio"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the lofi package itself
# The source checkout, when running from one (static files Streamlit serves live there).
PROJECT_ROOT = PACKAGE_DIR.parent
SHIPPED_CHECKPOINTS = "_checkpoints"  # package-data folder name in an installed lofi

SYSTEM_SOUNDFONT = Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")
FALLBACK_SOUNDFONT_NAME = "sf_GMbank.sf2"
SONIC_PI_SAMPLES = Path("/usr/share/sonic-pi/samples")


def _dir(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


def home() -> Path:
    """The data directory: ``$LOFI_HOME``, else platformdirs' user data dir for lofi-studio."""
    value = os.environ.get("LOFI_HOME")
    if value:
        return Path(value).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def soundfonts_dir() -> Path:
    """The user's SoundFonts (uploads, and the fallback General MIDI bank)."""
    return _dir("LOFI_SOUNDFONTS_DIR", home() / "soundfonts")


def effects_dir() -> Path:
    """Effect beds: the default rain and vinyl (made by `lofi effects`) and uploads."""
    return _dir("LOFI_EFFECTS_DIR", home() / "effects")


def shipped_checkpoints_dir() -> Path:
    """The checkpoints that come with LoFi Studio (read-only).

    Installed, they are package data beside the modules; in a checkout, checkpoints/.
    """
    installed = PACKAGE_DIR / SHIPPED_CHECKPOINTS
    return installed if installed.is_dir() else PROJECT_ROOT / "checkpoints"


def checkpoints_dir() -> Path:
    """The default models: ``$LOFI_CHECKPOINTS_DIR``, else the shipped ones."""
    return _dir("LOFI_CHECKPOINTS_DIR", shipped_checkpoints_dir())


def cache_dir() -> Path:
    """Parsed pieces and other things that can be made again."""
    return _dir("LOFI_CACHE_DIR", home() / ".cache")


def user_data_dir() -> Path:
    """Uploaded corpora, training runs and generated tracks."""
    return _dir("LOFI_USER_DATA_DIR", home() / "user_data")


def portable_path(path: Path) -> str:
    """How a file is named in a saved recipe: relative to the data directory when inside it.

    Args:
        path: any file path.

    Returns:
        ``soundfonts/x.sf2`` for a file in the data directory, else the absolute path. Never
        a path relative to a checkout or the installed package.
    """
    resolved = Path(path).expanduser().resolve()
    try:
        return resolved.relative_to(home()).as_posix()
    except ValueError:
        return str(resolved)


def resolve_portable(text: str) -> Path:
    """The path `portable_path` wrote: a relative one is read from the data directory."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else home() / path


def styles_dir() -> Path:
    """Styles a user trained (`train style --out` may also name any folder)."""
    return _dir("LOFI_STYLES_DIR", user_data_dir() / "styles")
