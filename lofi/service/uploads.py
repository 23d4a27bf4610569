"""Keeping files users bring: checked first, sanitised names, never overwriting anything."""

from __future__ import annotations

import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

from lofi.audio.effects import check_effect_wav
from lofi.audio.soundfonts import SUFFIXES as SOUNDFONT_SUFFIXES
from lofi.audio.soundfonts import check_soundfont
from lofi.core.constants import MAX_EFFECT_BYTES, MAX_MIDI_BYTES, MAX_SOUNDFONT_BYTES
from lofi.core.errors import EffectError, LofiError, SoundFontError
from lofi.data.readers import SUFFIXES as SCORE_SUFFIXES

MAX_ZIP_BYTES = 200 * 1024 * 1024  # uncompressed total of one uploaded archive
MAX_ZIP_FILES = 2000


class UploadError(LofiError):
    pass


def safe_name(name: str, suffixes: tuple[str, ...], fallback: str = "upload") -> str:
    """A plain file name: no folders, no odd characters, a lower-case allowed suffix."""
    base = Path(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, ext = base.rpartition(".")
    suffix = f".{ext.lower()}" if dot else ""
    if suffix not in suffixes:
        raise UploadError(f"{name!r} is not one of {', '.join(suffixes)}")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:80] or fallback
    return stem + suffix


def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `name-2`, `name-3`… if that exists: nothing is overwritten."""
    stem, suffix = os.path.splitext(name)
    candidate = folder / name
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def _keep(data: bytes, name: str, folder: Path, check: Callable[[Path], object]) -> Path:
    """Writes to a hidden temporary file, checks it, then gives it its unique final name."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        check(Path(tmp))
        final = unique_path(folder, name)
        os.link(tmp, final)  # fails rather than overwrite, even in a race
        return final
    finally:
        Path(tmp).unlink(missing_ok=True)


def _save_checked(
    data: bytes,
    original_name: str,
    folder: Path,
    kind: tuple[tuple[str, ...], str, int],
    check: Callable[[Path], object],
    error: type[LofiError],
) -> Path:
    """Size cap, then the checker on a hidden temporary copy, reporting the user's name."""
    suffixes, fallback, limit = kind
    name = safe_name(original_name, suffixes, fallback)
    if len(data) > limit:
        raise error(f"{name} is larger than {limit >> 20} MB")

    def checked(path: Path) -> None:
        try:
            check(path)
        except error as exc:
            raise error(str(exc).replace(path.name, name)) from None

    return _keep(data, name, folder, checked)


def save_soundfont(data: bytes, original_name: str, folder: Path) -> Path:
    """Keeps an uploaded .sf2/.sf3 after header checks and a test load in a child process."""
    kind = (SOUNDFONT_SUFFIXES, "soundfont", MAX_SOUNDFONT_BYTES)
    return _save_checked(data, original_name, folder, kind, check_soundfont, SoundFontError)


def save_effect(data: bytes, original_name: str, folder: Path) -> Path:
    """Keeps an uploaded WAV effect bed after its header and decoding checks."""
    kind = ((".wav",), "effect", MAX_EFFECT_BYTES)
    return _save_checked(data, original_name, folder, kind, check_effect_wav, EffectError)


def save_corpus_files(files: list[tuple[str, bytes]], corpus_name: str, root: Path) -> Path:
    """A new corpus folder from uploaded scores and .zip archives of scores.

    Returns the folder. Files of other kinds inside archives are skipped; an archive that
    is too large, or holds paths that climb out of it, is refused whole.
    """
    folder_name = re.sub(r"[^A-Za-z0-9_-]+", "-", corpus_name).strip("-")[:60]
    if not folder_name:
        raise UploadError("give the corpus a name (letters, digits, - or _)")
    scores: list[tuple[str, bytes]] = []
    for name, data in files:
        if name.lower().endswith(".zip"):
            scores += _scores_in_zip(name, data)
        else:
            scores.append((safe_name(name, SCORE_SUFFIXES, "piece"), data))
    scores = [(n, d) for n, d in scores if len(d) <= MAX_MIDI_BYTES] or scores
    if not scores:
        raise UploadError("no .mid, .midi, .mxl or .xml files among the uploads")
    folder = unique_path(root, folder_name)
    folder.mkdir(parents=True)
    for name, data in scores:
        unique_path(folder, name).write_bytes(data)
    return folder


def _scores_in_zip(name: str, data: bytes) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError(f"{name} is not a readable .zip archive") from exc
    if len(infos) > MAX_ZIP_FILES or sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
        raise UploadError(f"{name} unpacks to too many or too large files")
    out = []
    for info in infos:
        parts = Path(info.filename.replace("\\", "/")).parts
        if info.filename.startswith("/") or ".." in parts:
            raise UploadError(f"{name} holds a path outside the archive ({info.filename})")
        if info.is_dir() or Path(info.filename).suffix.lower() not in SCORE_SUFFIXES:
            continue
        try:
            out.append((safe_name(info.filename, SCORE_SUFFIXES, "piece"), archive.read(info)))
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise UploadError(f"{name} is damaged ({info.filename}: {exc})") from exc
    return out
