"""Bundled and user corpora: file lists, cached parsing in a process pool, statistics."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lofi.core.constants import (
    PARSER_VERSION,
)
from lofi.core.errors import CorpusError
from lofi.core.paths import cache_dir, shipped_corpora_dir
from lofi.core.sandbox import Limits, Sandbox, SandboxError
from lofi.core.settings import LIMITS
from lofi.core.types import Piece
from lofi.data.readers import SUFFIXES, parse_file

GAME_CORPORA = {
    "simutrans": (Path("/usr/share/games/simutrans/music"), "simutrans-data"),
    "openmsx": (Path("/usr/share/games/openttd/baseset/openmsx"), "openttd-openmsx"),
    "blupi": (Path("/usr/share/planetblupi/music"), "planetblupi-music-midi"),
}
# Corpora shipped inside the product (corpora/<name>/, with their LICENSE and source line).
SHIPPED_CORPORA = ("lofi",)
BUNDLED = (*GAME_CORPORA, *SHIPPED_CORPORA, "bach", "default")
Progress = Callable[[int, int], object]


@dataclass(frozen=True)
class BadFile:
    """A corpus file left out, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Corpus:
    """The usable pieces of a corpus, its bad files and one hash of all the pieces' contents."""

    name: str
    pieces: tuple[Piece, ...]
    bad: tuple[BadFile, ...]
    content_hash: str
    sources: tuple[Path, ...] = ()  # the file of each piece, when read from files


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def corpus_files(name_or_dir: str | Path) -> list[Path]:
    """The files of a bundled corpus by name, or every score file below a folder."""
    name = str(name_or_dir)
    if name in GAME_CORPORA:
        folder, package = GAME_CORPORA[name]
        if not folder.is_dir():
            raise CorpusError(
                name, f"not installed; install the Debian package {package} (apt install {package})"
            )
        return _folder_files(folder)
    if name in SHIPPED_CORPORA:
        return _folder_files(shipped_corpora_dir() / name)
    if name == "default":
        return [f for n in GAME_CORPORA for f in corpus_files(n)]
    if name == "bach":
        from music21 import corpus

        paths = (Path(p) for p in corpus.getComposer("bach"))
        return sorted(p for p in paths if p.suffix.lower() in SUFFIXES)
    folder = Path(name_or_dir).expanduser()
    if folder.is_dir():
        return _folder_files(folder)
    raise CorpusError(folder, f"no such corpus or folder; bundled corpora: {', '.join(BUNDLED)}")


def file_hash(path: Path) -> str:
    """The SHA-256 of the file's bytes (hex): the key of its parse in the cache."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_path(content_hash: str) -> Path:
    return cache_dir() / "pieces" / str(PARSER_VERSION) / f"{content_hash}.pkl"


def _read_cache(content_hash: str) -> Piece | str | None:
    """A cached Piece, the cached reason a file is bad, or None."""
    try:
        with _cache_path(content_hash).open("rb") as f:
            value = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged cache entry is simply parsed again
        return None
    return value if isinstance(value, Piece | str) else None


def _write_cache(content_hash: str, value: Piece | str) -> None:
    path = _cache_path(content_hash)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parse_to_cache(path: Path, content_hash: str) -> Piece | str:
    try:
        value: Piece | str = parse_file(path)
    except CorpusError as exc:
        value = exc.reason
    with contextlib.suppress(OSError):  # a full or read-only cache costs speed, not results
        _write_cache(content_hash, value)
    return value


def prune_parse_cache(keep: Iterable[str] = (), max_bytes: int | None = None) -> int:
    """Keeps the parse cache under its cap: other parser versions go, then the oldest entries.

    Entries named in `keep` (content hashes just parsed) stay. Returns the bytes removed.
    """
    cap = LIMITS.parse_cache_bytes if max_bytes is None else max_bytes
    kept, root, current = set(keep), cache_dir() / "pieces", _cache_path("x").parent
    removed = 0
    for other in root.iterdir() if root.is_dir() else []:
        if other != current and other.is_dir():  # another parser's entries: never read again
            removed += sum(_size(p) for p in other.iterdir())
            shutil.rmtree(other, ignore_errors=True)
    entries = []
    for path in current.iterdir() if current.is_dir() else []:
        with contextlib.suppress(OSError):
            st = path.stat()
            entries.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):  # oldest written first
        if total <= cap:
            break
        if path.stem not in kept:
            path.unlink(missing_ok=True)
            total -= size
            removed += size
    return removed


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_cached(
    files: list[Path], results: dict[Path, Piece | str], todo: list[tuple[Path, str]]
) -> None:
    for path in files:
        try:
            h = file_hash(path)
        except OSError as exc:
            results[path] = f"cannot read: {exc.strerror}"
            continue
        cached = _read_cache(h)
        if cached is None:
            todo.append((path, h))
        elif isinstance(cached, Piece) and cached.name != path.name:
            results[path] = replace(cached, name=path.name)  # the same bytes under a new name
        else:
            results[path] = cached


def parse_limits() -> Limits:
    """The caps one score's parse runs under."""
    return Limits(LIMITS.parse_memory_bytes, LIMITS.parse_cpu_s, LIMITS.parse_wall_s)


def _failure_reason(path: Path, content_hash: str, exc: BaseException) -> str:
    """A parse that killed or stalled its child: the reason, remembered unless transient."""
    reason = exc.reason if isinstance(exc, CorpusError) else str(exc) or type(exc).__name__
    if not (isinstance(exc, SandboxError) and exc.transient):  # it may pass another time
        with contextlib.suppress(OSError):
            _write_cache(content_hash, reason)
    return reason


def corpus_digest(content_hashes: Iterable[str]) -> str:
    """Names a corpus by its pieces' content hashes (in any order) and the parser version."""
    digest = hashlib.sha256(f"parser {PARSER_VERSION}".encode())
    for h in sorted(content_hashes):
        digest.update(h.encode())
    return digest.hexdigest()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Turns the cyclic garbage collector off for the block, then back to how it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_corpus(
    name_or_dir: str | Path, workers: int | None = None, progress: Progress | None = None
) -> Corpus:
    """Parses every file once (cached by content hash); bad files are listed, not fatal."""
    files = corpus_files(name_or_dir)
    name = str(name_or_dir) if str(name_or_dir) in BUNDLED else Path(name_or_dir).name
    results: dict[Path, Piece | str] = {}
    todo: list[tuple[Path, str]] = []
    with gc_paused():  # unpickling builds many small objects: the GC would rescan them all
        _read_cached(files, results, todo)
    done = len(results)
    if progress:
        progress(done, len(files))
    if todo:
        # Every parse runs in a limited child: a hostile file costs its own entry, not the
        # server (a crash, a hang or a runaway allocation becomes that file's reason).
        n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        todo.sort(key=lambda item: -_size(item[0]))  # long parses first
        with Sandbox(parse_limits(), n) as sandbox:
            for (path, h), value in sandbox.map_unordered(_parse_to_cache, todo):
                if isinstance(value, BaseException):
                    value = _failure_reason(path, h, value)
                results[path] = value
                done += 1
                if progress:
                    progress(done, len(files))
        with contextlib.suppress(OSError):  # a cache that cannot be tidied still works
            prune_parse_cache(keep={h for _, h in todo})
    pieces = tuple(v for p in files if isinstance(v := results[p], Piece))
    bad = tuple(BadFile(p, v) for p in files if isinstance(v := results[p], str))
    sources = tuple(p for p in files if isinstance(results[p], Piece))
    return Corpus(name, pieces, bad, corpus_digest(p.content_hash for p in pieces), sources)


@dataclass(frozen=True)
class CorpusStats:
    """What the Dataset page plots: sizes, keys, tempos and note histograms of a corpus."""

    files: int
    bad_files: int
    total_minutes: float
    total_notes: int
    keys: dict[str, int]
    tempos: tuple[float, ...]
    pitch_histogram: tuple[int, ...]  # 128 MIDI pitches
    duration_histogram: dict[float, int]  # quarter lengths, rounded to 1/12
    velocity_histogram: tuple[int, ...]  # 128 velocities


def corpus_stats(corpus: Corpus) -> CorpusStats:
    """Counts and histograms over every usable piece (bad files count in `files` only)."""
    n = sum(len(p.notes) for p in corpus.pieces)
    pitch = np.fromiter((x.pitch for p in corpus.pieces for x in p.notes), np.int64, n)
    velocity = np.fromiter((x.velocity for p in corpus.pieces for x in p.notes), np.int64, n)
    duration = np.fromiter((x.duration for p in corpus.pieces for x in p.notes), np.float64, n)
    twelfths, counts = np.unique(np.rint(duration * 12).astype(np.int64), return_counts=True)
    beats = np.array([p.length_beats for p in corpus.pieces], dtype=float)
    tempos = np.array([p.tempo_bpm for p in corpus.pieces], dtype=float)
    return CorpusStats(
        files=len(corpus.pieces) + len(corpus.bad),
        bad_files=len(corpus.bad),
        total_minutes=float((beats / tempos).sum()) if len(tempos) else 0.0,
        total_notes=n,
        keys=dict(Counter(p.key.name for p in corpus.pieces).most_common()),
        tempos=tuple(tempos.tolist()),
        pitch_histogram=tuple(np.bincount(np.clip(pitch, 0, 127), minlength=128).tolist()),
        duration_histogram={
            round(int(t) / 12, 3): int(c) for t, c in zip(twelfths, counts, strict=True)
        },
        velocity_histogram=tuple(np.bincount(np.clip(velocity, 0, 127), minlength=128).tolist()),
    )
