"""Output folders of the commands: checked before any work, filled out of sight, then shown.

A command's output is made in a hidden folder beside `--out` and renamed to `--out` only
when every file is written, so a command killed at any moment leaves no folder that looks
finished (only a hidden `.NAME.partial-…` one).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lofi.core.errors import ConfigError

PARTIAL = ".partial-"


def _nearest_existing(path: Path) -> Path:
    for candidate in [path, *path.parents]:
        if candidate.exists():
            return candidate
    return Path("/")


def check_writable(out: Path, flag: str = "--out", is_file: bool = False) -> None:
    """Refuses, before any work, an output whose folders cannot be made or written.

    The nearest folder that exists must take a new folder (tried, then removed): this
    also catches /proc, read-only mounts and folders the user may not write to. An output
    file (`is_file`) may exist already: it is written anew.
    """
    out = Path(out).absolute()
    if is_file and out.is_dir():
        raise ConfigError(f"{flag} {out} is a folder, not a file")
    for parent in out.parents if is_file else [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            raise ConfigError(f"{flag} {out}: {parent} is a file, not a folder")
    base = _nearest_existing(out.parent)
    try:
        Path(tempfile.mkdtemp(dir=base, prefix=".lofi-check-")).rmdir()
    except OSError as exc:
        where = f"into {out}" if flag == "--out" else str(out)
        raise ConfigError(f"cannot write {where}: {exc.strerror}") from None


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A hidden new folder beside `out` to write into; renamed to `out` when the block ends.

    `out` must be missing or an empty folder. A failure inside the block removes the hidden
    folder and leaves `out` as it was.

    Raises:
        ConfigError: `out` cannot be made, or it filled up meanwhile (nothing is overwritten).
    """
    out = Path(out).absolute()
    check_writable(out)
    if out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty; choose a new --out folder (nothing is overwritten)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}{PARTIAL}"))
    except OSError as exc:
        raise ConfigError(f"cannot write into {out}: {exc.strerror}") from None
    try:
        yield tmp
        tmp.chmod(0o755)
        try:
            tmp.rename(out)  # replaces an empty folder, never a full one
        except OSError as exc:
            raise ConfigError(f"cannot write into {out}: {exc.strerror}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
