"""A user's loop in a track: opened, kept in the data folder by hash, named in the recipe."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from lofi.compose.around_loop import WHOLE_TRACK, LoopPart, scope_problem
from lofi.core.errors import ConfigError, CorpusError, RecipeError
from lofi.core.paths import user_data_dir
from lofi.core.settings import GENERATION, LIMITS
from lofi.core.types import GenerationConfig, Key
from lofi.encoding.loop import LOOP_PARTS, Loop, read_loop, retuned
from lofi.models.checkpoint import file_sha256

__all__ = [
    "LoopPart",
    "corpus_loop_files",
    "keep_loop",
    "kept_path",
    "loop_at",
    "loop_entry",
    "loop_from_entry",
    "loop_from_file",
    "loop_summary",
    "open_loop",
    "save_loop_upload",
]


def loops_dir() -> Path:
    """Loops tracks were built around, each named by its content hash."""
    return user_data_dir() / "loops"


def open_loop(
    path: Path | str,
    part: str = LOOP_PARTS[0],
    key: Key | None = None,
    bpm: float | None = None,
    style_bpm: float = GENERATION.bpm,
    scope: str = WHOLE_TRACK,
) -> LoopPart:
    """The loop in `path` as the track's `part`, for `scope`; nothing is written.

    Raises:
        ConfigError: an unknown part or scope, or a file that cannot be a loop (one line).
    """
    if part not in LOOP_PARTS:
        raise ConfigError(f"a loop plays {' or '.join(LOOP_PARTS)}, not {part!r}")
    try:
        loop = read_loop(path, key, bpm, style_bpm)
    except CorpusError as exc:
        raise ConfigError(f"cannot use {exc.path.name} as a loop: {exc.reason}") from None
    problem = scope_problem(part, scope, loop.bars)
    if problem:
        raise ConfigError(f"{loop.name}: {problem}")
    return LoopPart(loop, part, scope)


def kept_path(content_hash: str, suffix: str) -> Path:
    """Where the data folder keeps a loop file."""
    return loops_dir() / f"{content_hash}{suffix.lower()}"


def keep_loop(source: Path | str, content_hash: str) -> Path:
    """Copies the loop file into the data folder under its hash (once); returns that path."""
    source = Path(source)
    target = kept_path(content_hash, source.suffix)
    if target.is_file() and file_sha256(target) == content_hash:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".loop-")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        if file_sha256(Path(tmp)) != content_hash:
            raise ConfigError(f"{source.name} changed while it was read; open it again")
        Path(tmp).replace(target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def loop_entry(loop: LoopPart) -> dict[str, Any]:
    """The recipe's `loop` field: the file by hash, its part and scope, how it was read."""
    found = loop.loop
    return {
        "sha256": found.content_hash,
        "name": found.name,
        "suffix": Path(found.name).suffix.lower() or ".mid",
        "part": loop.part,
        "scope": loop.scope,
        "bars": found.bars,
        "fit": found.fit,
        "fit_beats": found.fit_beats,
        "meter": f"{found.meter[0]}/{found.meter[1]}",
        "key_source": found.key_source,
        "tempo_source": found.tempo_source,
    }


def loop_from_entry(entry: dict[str, Any], config: GenerationConfig) -> LoopPart:
    """The recipe's loop, read again from the data folder at the recipe's key and tempo.

    Raises:
        RecipeError: the file is not in the data folder, or reads otherwise than it did.
    """
    path = kept_path(str(entry["sha256"]), str(entry.get("suffix", ".mid")))
    if not path.is_file() or file_sha256(path) != entry["sha256"]:
        raise RecipeError(
            f"the recipe's loop {entry['name']} (sha256 {entry['sha256'][:12]}…) is not on "
            "this machine"
        )
    try:
        loop = open_loop(path, entry["part"], config.key, config.bpm, scope=str(entry["scope"]))
    except ConfigError as exc:
        raise RecipeError(f"the recipe's loop cannot be read here: {exc}") from None
    if loop.loop.bars != entry.get("bars", loop.loop.bars):
        raise RecipeError("the recipe's loop reads to another length here")
    sources = {k: entry[k] for k in ("key_source", "tempo_source") if k in entry}
    # The file is kept under its hash: its own name, key and tempo sources come from the recipe.
    named = replace(loop.loop, name=str(entry["name"]), **sources)
    return LoopPart(named, loop.part, str(entry["scope"]))


def save_loop_upload(data: bytes, name: str, part: str = LOOP_PARTS[0]) -> LoopPart:
    """A dropped loop file, read (in a limited child) and kept by hash; nothing else is written.

    Raises:
        ConfigError: one line, for a file that cannot be a loop (then nothing is kept).
    """
    clean = "".join(c if c.isalnum() or c in "._- ()&#" else "_" for c in Path(name).name)
    if len(data) > LIMITS.midi_bytes:
        raise ConfigError(f"cannot use {clean} as a loop: larger than {LIMITS.midi_bytes >> 20} MB")
    with tempfile.TemporaryDirectory(prefix="lofi-loop-") as tmp:
        path = Path(tmp) / (clean or "loop.mid")
        path.write_bytes(data)
        loop = open_loop(path, part)
        keep_loop(path, loop.loop.content_hash)
    return loop


def loop_from_file(path: Path | str, part: str = LOOP_PARTS[0]) -> LoopPart:
    """A file on this machine (a corpus piece) as a loop, kept by hash.

    Raises:
        ConfigError: one line, for a file that cannot be a loop.
    """
    loop = open_loop(path, part)
    keep_loop(path, loop.loop.content_hash)
    return loop


def loop_summary(loop: Loop) -> str:
    """One line on how the loop was read: its length and fit, key and tempo and from where."""
    fit = {
        "whole": "whole bars",
        "padded": f"padded by {loop.fit_beats:g} beats",
        "cut": f"cut by {loop.fit_beats:g} beats",
    }[loop.fit]
    tempo = {"file": "from the file", "style": "the style's: the file sets none or an odd one"}
    return (
        f"{loop.name}: {loop.bars} bars ({fit}) · {loop.key.name} · {loop.bpm:g} BPM "
        f"({tempo.get(loop.tempo_source, 'yours')})"
    )


def corpus_loop_files(location: str) -> dict[str, Path]:
    """The score files of a corpus by name (what "pick a piece" lists), unparsed.

    Raises:
        CorpusError: a corpus that is not there (a Debian corpus not installed).
    """
    from lofi.data.corpus import corpus_files

    return {p.name: p for p in corpus_files(location)}


def loop_at(
    loop: LoopPart, part: str, key: Key, bpm: float | None, scope: str = WHOLE_TRACK
) -> LoopPart:
    """The loop as `part` for `scope` at the studio's key and tempo (None: the loop's own).

    Raises:
        ConfigError: a part or scope the loop cannot play.
    """
    if part not in LOOP_PARTS:
        raise ConfigError(f"a loop plays {' or '.join(LOOP_PARTS)}, not {part!r}")
    problem = scope_problem(part, scope, loop.loop.bars)
    if problem:
        raise ConfigError(f"{loop.loop.name}: {problem}")
    return LoopPart(retuned(loop.loop, key, bpm), part, scope)
