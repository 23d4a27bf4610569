"""Where a recipe's SoundFonts and effect beds come from: the data folder, by name and hash.

A recipe may come from a stranger, so the paths it holds are never opened as given. A
SoundFont is looked for in the SoundFonts folder (or is the system's MuseScore one), an
effect bed in the effects folder, by its file name and then by its content hash. A path
that climbs or points anywhere else is refused from its text alone, before a byte is
read, with the same message as a sound that is simply not there: the answer tells nothing
about files outside those folders.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lofi.audio.soundfonts import SUFFIXES as SOUNDFONT_SUFFIXES
from lofi.core.errors import RecipeError
from lofi.core.paths import SYSTEM_SOUNDFONT, effects_dir, soundfonts_dir
from lofi.core.settings import LIMITS

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,199}$")


@dataclass(frozen=True)
class SoundKind:
    """One kind of sound a recipe names: what it is called, its folder, suffixes and cap."""

    what: str
    folder_name: str
    suffixes: tuple[str, ...]
    max_bytes: int

    def folders(self) -> list[Path]:
        """The data folder's folder for this kind."""
        return [soundfonts_dir() if self.what == "SoundFont" else effects_dir()]

    def fixed(self) -> list[Path]:
        """Files outside the folder a recipe may still name (the system SoundFont)."""
        return [SYSTEM_SOUNDFONT] if self.what == "SoundFont" else []


SOUNDFONT = SoundKind("SoundFont", "SoundFonts", SOUNDFONT_SUFFIXES, LIMITS.soundfont_bytes)
EFFECT = SoundKind("effect bed", "effects", (".wav",), LIMITS.effect_bytes)


def find_sound(text: str, sha: str, kind: SoundKind) -> Path:
    """The file a recipe's sound entry names: in its folder, with that content hash.

    Args:
        text: the recipe's path for it (``soundfonts/x.sf2`` as recipes write it).
        sha: its hex SHA-256.
        kind: SOUNDFONT or EFFECT.

    Raises:
        RecipeError: one message for every sound not found, wherever the path pointed.
    """
    name = PurePosixPath(text.replace("\\", "/")).name
    if _confined(text, kind):
        for path in _candidates(name, kind):
            if _sha256_bounded(path, kind.max_bytes) == sha:
                return path
    shown = name[:80] if _NAME.match(name) else "(a path)"
    raise RecipeError(
        f"the recipe's {kind.what} {shown} (sha256 {sha[:12]}…) is not in this machine's "
        f"{kind.folder_name} folder, where recipes find their sounds by name and content hash"
    )


def _confined(text: str, kind: SoundKind) -> bool:
    """Whether the text names a plain file of the kind in its folder (judged on the text)."""
    path = PurePosixPath(text.replace("\\", "/"))
    if not _NAME.match(path.name) or Path(path.name).suffix.lower() not in kind.suffixes:
        return False
    if any(part.startswith(".") for part in path.parts if part != "/"):
        return False  # climbs out, or a hidden file (an upload still being checked)
    if not path.is_absolute():
        return True  # relative to the data folder: only its name is looked for
    if str(path) in (str(f) for f in kind.fixed()):
        return True
    return os.path.normpath(str(path.parent)) in (str(f) for f in kind.folders())


def _candidates(name: str, kind: SoundKind) -> list[Path]:
    """The file of that name, then every other plain file of the kind, in the folders."""
    named = [f for f in kind.fixed() if f.name == name]
    named += [folder / name for folder in kind.folders()]
    others = [
        p
        for folder in kind.folders()
        if folder.is_dir()
        for p in sorted(folder.iterdir())
        if p.suffix.lower() in kind.suffixes and not p.name.startswith(".") and p.name != name
    ]
    return named + others


def _sha256_bounded(path: Path, limit: int) -> str | None:
    """The hash of a regular file of at most `limit` bytes, else None (nothing else read)."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
        return None
    return _hash(str(path), st.st_size, st.st_mtime_ns, limit)


@functools.lru_cache(maxsize=256)
def _hash(path: str, size: int, mtime_ns: int, limit: int) -> str | None:
    h, read = hashlib.sha256(), 0
    try:
        with Path(path).open("rb") as f:
            while block := f.read(1 << 20):
                read += len(block)
                if read > limit:  # grew, or a file whose size the system does not know
                    return None
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()
