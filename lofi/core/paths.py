"""Where the project keeps its files: one data directory, never the installed package.

The data directory is ``$LOFI_HOME`` if set; else, run from a source checkout (``python -m
lofi``, ``make run``, the tests), the checkout itself (its soundfonts/, effects/, user_data/,
.cache/), so the shell and the studio share one folder; else, for an installed lofi, the
platform's user data folder for "lofi-studio" (platformdirs; ``~/.local/share/lofi-studio``
on Linux). ``python -m lofi where`` prints it. Each folder can still be moved on its own with
``LOFI_SOUNDFONTS_DIR``, ``LOFI_EFFECTS_DIR``, ``LOFI_CHECKPOINTS_DIR``, ``LOFI_CACHE_DIR`` and
``LOFI_USER_DATA_DIR``.

The shipped checkpoints and bundled corpora are read-only package data: found beside the
package (installed) or in the checkout's checkpoints/ and corpora/ folders, never written to.
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
SHIPPED_CORPORA = "_corpora"  # the bundled corpora's package-data folder, installed

SYSTEM_SOUNDFONT = Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")
FALLBACK_SOUNDFONT_NAME = "sf_GMbank.sf2"
SONIC_PI_SAMPLES = Path("/usr/share/sonic-pi/samples")


def _dir(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


def checkout_root() -> Path | None:
    """The source checkout lofi runs from, or None for an installed lofi.

    A checkout holds the project's pyproject.toml and streamlit_app.py beside the package;
    an installed lofi sits in site-packages, where neither is.
    """
    markers = ("pyproject.toml", "streamlit_app.py")
    return PROJECT_ROOT if all((PROJECT_ROOT / m).is_file() for m in markers) else None


def home() -> Path:
    """The data directory: ``$LOFI_HOME``, else the checkout, else the platform's folder."""
    value = os.environ.get("LOFI_HOME")
    if value:
        return Path(value).expanduser().resolve()
    checkout = checkout_root()
    if checkout is not None:
        return checkout
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


def shipped_corpora_dir() -> Path:
    """The corpora that come with LoFi Studio (read-only), one folder each.

    Installed, they are package data beside the modules; in a checkout, corpora/.
    """
    installed = PACKAGE_DIR / SHIPPED_CORPORA
    return installed if installed.is_dir() else PROJECT_ROOT / "corpora"


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
