"""Keeping files users bring: checked first, sanitised names, never overwriting anything.

Uploads are written in chunks under caps, archive members are streamed out (never read
whole into memory), and every library error a damaged file can raise becomes an
UploadError, SoundFontError or EffectError with one clear line.
"""

from __future__ import annotations

import contextlib
import io
import lzma
import os
import re
import shutil
import stat
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lofi.audio.effects import check_effect_wav
from lofi.audio.render import check_soundfont
from lofi.audio.soundfonts import SUFFIXES as SOUNDFONT_SUFFIXES
from lofi.core.errors import EffectError, LofiError, SoundFontError
from lofi.core.settings import LIMITS
from lofi.data.corpus import BUNDLED
from lofi.data.readers import SUFFIXES as SCORE_SUFFIXES
from lofi.service.zip_members import member_chunks

MAX_ZIP_BYTES = 200 * 1024 * 1024  # uncompressed total of one uploaded corpus
CHUNK = 1 << 16
NAME_TRIES = 1000
# What zipfile and its decompressors raise on a damaged or unsupported archive.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    OSError,  # bz2 and truncated members
    EOFError,
    ValueError,  # UnicodeDecodeError for a name flagged UTF-8 that is not
    NotImplementedError,  # compression methods zipfile cannot read
    RuntimeError,  # encrypted members
    struct.error,
)


class UploadError(LofiError):
    """An upload refused: wrong kind, too large, or nothing usable in it."""


@dataclass(frozen=True)
class SavedCorpus:
    """A new corpus folder, the files kept in it and those left out, with the reason."""

    folder: Path
    kept: tuple[str, ...]
    skipped: tuple[str, ...]


def safe_name(name: str, suffixes: tuple[str, ...], fallback: str = "upload") -> str:
    """A plain file name: no folders, no odd characters, a lower-case allowed suffix."""
    base = Path(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, ext = base.rpartition(".")
    suffix = f".{ext.lower()}" if dot else ""
    if suffix not in suffixes:
        raise UploadError(f"{name[:80]!r} is not one of {', '.join(suffixes)}")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:80] or fallback
    return stem + suffix


def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `name-2`, `name-3`… if that exists: nothing is overwritten."""
    suffix = Path(name).suffix
    stem = name.removesuffix(suffix)
    candidate = folder / name
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def _link_unique(tmp: Path, folder: Path, name: str) -> Path:
    """Gives `tmp` a new unique name in `folder`; a name taken meanwhile moves to the next."""
    for _ in range(NAME_TRIES):
        final = unique_path(folder, name)
        try:
            os.link(tmp, final)  # fails rather than overwrite, even in a race
            return final
        except FileExistsError:
            continue
    raise UploadError(f"no free name for {name} in its folder")


def _keep(data: bytes, name: str, folder: Path, check: Callable[[Path], object]) -> Path:
    """Writes to a hidden temporary file, checks it, then gives it its unique final name."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        check(Path(tmp))
        return _link_unique(Path(tmp), folder, name)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _used(folder: Path) -> int:
    """Bytes of the files kept in `folder` and below (hidden ones, being checked, left out)."""
    total = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
                with contextlib.suppress(OSError):
                    total += (Path(root) / name).lstat().st_size
    return total


def _check_room(folder: Path, adding: int, cap: int, what: str) -> None:
    """Refuses an upload that would take the folder past its total cap.

    Nothing is removed to make room: the files there are the user's.
    """
    used = _used(folder) if folder.is_dir() else 0
    if used + adding > cap:
        raise UploadError(
            f"the {what} folder holds {used >> 20} MB and may hold {cap >> 20} MB in all; "
            "remove some files there before adding more"
        )


def _save_checked(
    data: bytes,
    original_name: str,
    folder: Path,
    kind: tuple[tuple[str, ...], str, int, int],
    check: Callable[[Path], object],
    error: type[LofiError],
) -> Path:
    """Size caps, then the checker on a hidden temporary copy, reporting the user's name."""
    suffixes, fallback, limit, total = kind
    name = safe_name(original_name, suffixes, fallback)
    if len(data) > limit:
        raise error(f"{name} is larger than {limit >> 20} MB")
    try:
        _check_room(
            folder, len(data), total, "SoundFonts" if error is SoundFontError else "effects"
        )
    except UploadError as exc:
        raise error(f"{name} is not kept: {exc}") from None

    def checked(path: Path) -> None:
        try:
            check(path)
        except LofiError as exc:
            text = str(exc).replace(str(path), name).replace(path.name, name)
            raise error(text) from None

    return _keep(data, name, folder, checked)


def save_soundfont(data: bytes, original_name: str, folder: Path) -> Path:
    """Keeps an uploaded .sf2/.sf3 after header checks and a test load in a child process."""
    kind = (SOUNDFONT_SUFFIXES, "soundfont", LIMITS.soundfont_bytes, LIMITS.soundfonts_total_bytes)
    return _save_checked(data, original_name, folder, kind, check_soundfont, SoundFontError)


def save_effect(data: bytes, original_name: str, folder: Path) -> Path:
    """Keeps an uploaded WAV effect bed after its header and decoding checks."""
    kind = ((".wav",), "effect", LIMITS.effect_bytes, LIMITS.effects_total_bytes)
    return _save_checked(data, original_name, folder, kind, check_effect_wav, EffectError)


def _new_folder(root: Path, name: str) -> Path:
    """A new empty folder named after `name`; bundled corpus names are never reused."""
    for n in range(1, NAME_TRIES):
        candidate = root / (name if n == 1 else f"{name}-{n}")
        if candidate.name.lower() in BUNDLED:
            continue
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise UploadError(f"no free folder name for corpus {name}")


def _write_capped(chunks: Iterable[bytes], dest: Path, budget: list[int]) -> bool:
    """Streams chunks into a new file; False (and no file) if it passes the per-file cap.

    `budget` holds the bytes the whole upload may still write; running out refuses it all.
    """
    written = 0
    with dest.open("xb") as f:
        for chunk in chunks:
            written += len(chunk)
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise UploadError(f"the files unpack to more than {MAX_ZIP_BYTES >> 20} MB")
            if written > LIMITS.midi_bytes:
                break
            f.write(chunk)
    if 0 < written <= LIMITS.midi_bytes:
        return True
    dest.unlink()
    return False


def _stage(name: str, chunks: Iterable[bytes], staging: Path, budget: list[int]) -> str | None:
    """Writes one score into the staging folder; returns why it was left out, or None."""
    dest = unique_path(staging, name)
    if _write_capped(chunks, dest, budget):
        return None
    return f"{name}: empty or larger than {LIMITS.midi_bytes >> 20} MB"


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _count(files: list[int], more: int) -> None:
    """Counts files against the cap of one upload (archives' members included)."""
    files[0] += more
    if files[0] > LIMITS.upload_files:
        raise UploadError(f"the upload holds more than {LIMITS.upload_files} files")


def _unpack(
    name: str, data: BinaryIO, staging: Path, budget: list[int], files: list[int]
) -> list[str]:
    """Streams an archive's scores into staging; returns the skipped ones with reasons."""
    skipped: list[str] = []
    with zipfile.ZipFile(data) as archive:
        infos = archive.infolist()
        if len(infos) > LIMITS.upload_files:
            raise UploadError(f"{name} holds more than {LIMITS.upload_files} files")
        _count(files, len(infos))
        if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            raise UploadError(f"{name} unpacks to more than {MAX_ZIP_BYTES >> 20} MB")
        for info in infos:
            member = info.filename.replace("\\", "/")
            parts = Path(member).parts
            if member.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", member):
                raise UploadError(f"{name} holds a path outside the archive ({member[:80]})")
            if info.is_dir() or Path(member).suffix.lower() not in SCORE_SUFFIXES:
                continue
            clean = safe_name(member, SCORE_SUFFIXES, "piece")
            if _is_link(info):
                skipped.append(f"{clean}: a link, not a file")
                continue
            reason = _stage(clean, member_chunks(archive, info, CHUNK), staging, budget)
            if reason:
                skipped.append(reason)
    return skipped


def save_corpus_files(files: list[tuple[str, bytes]], corpus_name: str, root: Path) -> SavedCorpus:
    """A new corpus folder from uploaded scores and .zip archives of scores.

    Files of other kinds inside archives are left out quietly; scores that are empty or too
    large are left out and listed in `skipped`. An archive that is damaged, too large, or
    holds paths that climb out of it is refused whole.

    Raises:
        UploadError: nothing usable, a refused archive, or a bad corpus name.
    """
    folder_name = re.sub(r"[^A-Za-z0-9_-]+", "-", corpus_name).strip("-")[:60]
    if not folder_name:
        raise UploadError("give the corpus a name (letters, digits, - or _)")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".upload-"))
    budget = [MAX_ZIP_BYTES]
    counted = [0]
    skipped: list[str] = []
    try:
        for name, data in files:
            if name.lower().endswith(".zip"):
                try:
                    skipped += _unpack(name, io.BytesIO(data), staging, budget, counted)
                except UploadError:
                    raise
                except ZIP_ERRORS as exc:
                    raise UploadError(
                        f"{Path(name).name} is not a readable .zip archive ({_why(exc)})"
                    ) from None
            else:
                _count(counted, 1)
                clean = safe_name(name, SCORE_SUFFIXES, "piece")
                chunks = (data[i : i + CHUNK] for i in range(0, len(data), CHUNK))
                reason = _stage(clean, chunks, staging, budget)
                if reason:
                    skipped.append(reason)
        kept = sorted(p.name for p in staging.iterdir())
        if not kept:
            more = f" ({'; '.join(skipped[:3])})" if skipped else ""
            raise UploadError(f"no usable .mid, .midi, .mxl or .xml files among the uploads{more}")
        _check_room(root, _used(staging), LIMITS.corpora_total_bytes, "corpora")
        folder = _new_folder(root, folder_name)
        for kept_name in kept:
            (staging / kept_name).rename(folder / kept_name)  # a new folder: no clash
        return SavedCorpus(folder, tuple(kept), tuple(skipped))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
