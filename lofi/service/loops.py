"""A user's loop in a track: opened, kept in the data folder by hash, named in the recipe."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from lofi.compose.around_loop import WHOLE_TRACK, LoopPart
from lofi.core.errors import ConfigError, CorpusError, RecipeError
from lofi.core.paths import user_data_dir
from lofi.core.settings import GENERATION
from lofi.core.types import GenerationConfig, Key
from lofi.encoding.loop import LOOP_PARTS, read_loop
from lofi.learn.checkpoint import file_sha256


def loops_dir() -> Path:
    """Loops tracks were built around, each named by its content hash."""
    return user_data_dir() / "loops"


def open_loop(
    path: Path | str,
    part: str = LOOP_PARTS[0],
    key: Key | None = None,
    bpm: float | None = None,
    style_bpm: float = GENERATION.bpm,
) -> LoopPart:
    """The loop in `path` as the track's `part`; nothing is written.

    Raises:
        ConfigError: an unknown part, or a file that cannot be a loop (one line: why).
    """
    if part not in LOOP_PARTS:
        raise ConfigError(f"a loop plays {' or '.join(LOOP_PARTS)}, not {part!r}")
    try:
        return LoopPart(read_loop(path, key, bpm, style_bpm), part, WHOLE_TRACK)
    except CorpusError as exc:
        raise ConfigError(f"cannot use {exc.path.name} as a loop: {exc.reason}") from None


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
        loop = open_loop(path, entry["part"], config.key, config.bpm)
    except ConfigError as exc:
        raise RecipeError(f"the recipe's loop cannot be read here: {exc}") from None
    if loop.loop.bars != entry.get("bars", loop.loop.bars):
        raise RecipeError("the recipe's loop reads to another length here")
    sources = {k: entry[k] for k in ("key_source", "tempo_source") if k in entry}
    return LoopPart(replace(loop.loop, **sources), loop.part, str(entry["scope"]))
