"""Bounded disk use: generated outputs pruned by age and total size; pinned ones kept.

Uploads (SoundFonts, effect beds, corpora) and training runs are never passed here; the
session and track folders the studio writes are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

PIN_MARKER = ".pinned"  # a folder holding this file is never pruned
DOWNLOADED_MARKER = ".downloaded"  # nor one the user downloaded a file of


@dataclass(frozen=True)
class Entry:
    """A folder entry's size and when it was last used (newest modification below it)."""

    path: Path
    size: int  # bytes, everything below it
    last_used: float  # newest modification time below it, seconds since the epoch


def _entry(path: Path) -> Entry:
    try:
        st = path.lstat()
    except OSError:
        return Entry(path, 0, 0.0)
    newest = st.st_mtime
    size = 0 if path.is_dir() else st.st_size  # file contents only: tests set exact sizes
    if path.is_dir() and not path.is_symlink():
        for root, _dirs, files in os.walk(path):
            for name in files:
                with contextlib.suppress(OSError):
                    st = (Path(root) / name).lstat()
                    size += st.st_size
                    newest = max(newest, st.st_mtime)
    return Entry(path, size, newest)


def is_pinned(path: Path) -> bool:
    """Whether the folder carries the pin marker."""
    return (path / PIN_MARKER).is_file()


def is_downloaded(path: Path) -> bool:
    """Whether the folder carries the downloaded marker."""
    return (path / DOWNLOADED_MARKER).is_file()


def is_kept(path: Path) -> bool:
    """Pinned, downloaded or being written: never pruned."""
    return is_pinned(path) or is_downloaded(path) or is_being_written(path)


# Folders some session of this server is writing into now. A listener's player was removed
# mid-write when it was the least recently used under the cap; the writers are a bounded pool.
_writing: Counter[Path] = Counter()
_writing_lock = threading.Lock()


def begin_writing(folder: Path) -> None:
    """Marks a folder as being written (until end_writing): no prune removes it meanwhile."""
    with _writing_lock:
        _writing[folder.resolve()] += 1


def end_writing(folder: Path) -> None:
    """Ends one begin_writing of the folder."""
    with _writing_lock:
        key = folder.resolve()
        _writing[key] -= 1
        if _writing[key] <= 0:
            del _writing[key]


def is_being_written(path: Path) -> bool:
    """Whether some session is writing into this folder now."""
    with _writing_lock:
        return _writing[path.resolve()] > 0 if _writing else False


def pin(folder: Path) -> None:
    """Keeps a folder out of every prune."""
    (folder / PIN_MARKER).touch()


def unpin(folder: Path) -> None:
    """Lets a pinned folder be pruned again (unless a file of it was downloaded)."""
    (folder / PIN_MARKER).unlink(missing_ok=True)


def mark_downloaded(folder: Path) -> None:
    """A file of this folder left the machine: the folder is kept like a pinned one."""
    (folder / DOWNLOADED_MARKER).touch()


def holds_kept(folder: Path) -> bool:
    """A folder of takes with at least one pinned or downloaded take in it."""
    return folder.is_dir() and any(is_kept(p) for p in folder.iterdir() if p.is_dir())


def prune(
    folder: Path,
    max_bytes: int,
    max_age_s: float,
    keep: Iterable[Path] | Callable[[Path], bool] = (),
    now: float | None = None,
) -> list[Path]:
    """Removes `folder`'s too old entries, then the least recently used until the rest fit.

    Entries are its direct children; the rest must fit in `max_bytes`.

    Args:
        folder: the folder whose children may go (a missing folder prunes nothing).
        max_bytes: what the kept children may hold in total.
        max_age_s: children unused for longer go first.
        keep: paths, or a test of a path, never removed (pinned or downloaded folders
            never are).
        now: the current time (seconds since the epoch), for tests.

    Returns:
        The removed paths, oldest first.
    """
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    if callable(keep):
        kept = keep
    else:
        resolved = {Path(p).resolve() for p in keep}

        def kept(path: Path) -> bool:
            return path.resolve() in resolved

    entries = sorted(
        (_entry(p) for p in folder.iterdir() if not p.name.startswith(".")),
        key=lambda e: e.last_used,
    )
    removable = [e for e in entries if not kept(e.path) and not is_kept(e.path)]
    total = sum(e.size for e in entries)
    removed: list[Path] = []
    for e in removable:
        if now - e.last_used <= max_age_s and total <= max_bytes:
            continue
        if e.path.is_dir() and not e.path.is_symlink():
            shutil.rmtree(e.path, ignore_errors=True)
        else:
            e.path.unlink(missing_ok=True)
        total -= e.size
        removed.append(e.path)
    return removed
