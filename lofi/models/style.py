"""A style: one learned model per part, trained on one corpus, described by style.json.

    styles/NAME/style.json      format_version, name, corpus, corpus hash, command,
                                parts (part → checkpoint subfolder), fallbacks
    styles/NAME/melody/ …       one checkpoint folder per learned part
    styles/NAME/form.json       the learned form (lofi.models.form), when the corpus taught one
    styles/NAME/timing.json     the learned timing feels (lofi.models.timing), likewise

A part the corpus lacks (no drums in a piano corpus) is listed under `fallbacks` with a named
fallback: `style:default` (the model of that part shipped at the checkpoints' root: the
game-music style, `fallback_style_dir`; the default style learned from the lofi pack sits in
checkpoints/lofi/, `default_style_dir`) or the hand-written part
of lofi.compose.grooves (`rules:grooves` for drums, `rules:bass`, `rules:comping`), never
silently. A style.json written before bass and comping were learned names neither: it is read
with `rules:bass` and `rules:comping`, which is how its tracks were played.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lofi.core.errors import CheckpointError, StyleError
from lofi.core.parts import (
    FALLBACK_DEFAULT,
    later_parts,
    part_names,
    required_parts,
    rules_fallbacks,
    style_parts,
)
from lofi.core.paths import checkpoints_dir, styles_dir
from lofi.models.checkpoint import atomic_write, read_checkpoint
from lofi.models.form import FALLBACK_FORM, read_form
from lofi.models.timing import FALLBACK_TIMING, read_timing

__all__ = ["FALLBACK_DEFAULT", "FALLBACK_RULES", "Style", "read_style", "write_style"]

STYLE_FILE = "style.json"
SHIPPED_DEFAULT = "lofi"  # the shipped default style's folder in the shipped checkpoints
SHIPPED_GAME = "game"  # the name of the shipped game-music style (the checkpoints' root)
STYLE_FORMAT_VERSION = 1
FALLBACK_RULES = "rules:grooves"  # the hand-written drums in lofi.compose.grooves
FORM_FALLBACKS = (FALLBACK_DEFAULT, FALLBACK_FORM)
TIMING_FALLBACKS = (FALLBACK_DEFAULT, FALLBACK_TIMING)
LEARNED_FORM = "learned"


@dataclass(frozen=True)
class Style:
    """A loaded style; `models` maps every part with a model (learned or fallback) to its folder."""

    path: Path
    name: str
    corpus: str
    corpus_hash: str
    command: str
    parts: dict[str, str]  # learned part → subfolder name
    fallbacks: dict[str, str]  # part → FALLBACK_DEFAULT or FALLBACK_RULES
    models: dict[str, Path] = field(default_factory=dict)
    # what the parts learned from: the held-out share kept unseen and the pieces seen
    training: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)  # the style fine-tuning started from
    form: str = FALLBACK_FORM  # the form model's file, or its named fallback (FORM_FALLBACKS)
    form_reason: str = "no form model was trained"  # why the form falls back
    timing: str = FALLBACK_TIMING  # the timing model's file, or its named fallback
    timing_reason: str = "no timing model was trained"  # why the timing falls back

    def form_source(self) -> tuple[str, Path | None]:
        """Where this style's form comes from.

        Returns:
            ("learned", its file) or a named fallback: ("style:default", the shipped
            style's file) or ("rules:form", None).
        """
        return self._source("form")

    def timing_source(self) -> tuple[str, Path | None]:
        """Where this style's timing comes from: like `form_source`, "rules:grid" its rules."""
        return self._source("timing")

    def _source(self, model: str) -> tuple[str, Path | None]:
        entry, rules = (
            (self.form, FALLBACK_FORM) if model == "form" else (self.timing, FALLBACK_TIMING)
        )
        if entry not in (FALLBACK_DEFAULT, rules):
            return LEARNED_FORM, self.path / entry
        if entry == FALLBACK_DEFAULT and self.path.resolve() != fallback_style_dir().resolve():
            shipped = read_style(fallback_style_dir())._source(model)
            if shipped[0] == LEARNED_FORM:
                return FALLBACK_DEFAULT, shipped[1]
        return rules, None

    def model_sha256(self) -> dict[str, str]:
        """Each part model's weights hash, the style's identity in a recipe."""
        return {
            kind: str(read_checkpoint(folder, kind).meta.get("model_sha256", ""))
            for kind, folder in sorted(self.models.items())
        }


def default_style_dir() -> Path:
    """The shipped default style: the one learned from the lofi pack (checkpoints/lofi/).

    Without it (a checkpoints folder of a test, or of a copy made before it) the style at the
    checkpoints' root, which in a release is the game-music style every earlier recipe names.
    """
    lofi = checkpoints_dir() / SHIPPED_DEFAULT
    return lofi if (lofi / STYLE_FILE).is_file() else checkpoints_dir()


def fallback_style_dir() -> Path:
    """The style `style:default` names: the one at the shipped checkpoints' root.

    In a release that is the game-music style, shipped first: every style and recipe that
    fell back on the shipped style's models, form or timing plays as it did. (A test's
    checkpoints folder holds its one style there too.)
    """
    return checkpoints_dir()


def game_style_dir() -> Path | None:
    """The shipped game-music style (the checkpoints' root), when the default is another one."""
    root = checkpoints_dir()
    if default_style_dir() == root or not (root / STYLE_FILE).is_file():
        return None
    return root


def resolve_style(name_or_path: str | Path) -> Path:
    """A style folder from a name (`default`, `game`, a folder in the styles folder) or a path."""
    text = str(name_or_path)
    if text == "default":
        return default_style_dir()
    if text == SHIPPED_GAME and game_style_dir() is not None:
        return checkpoints_dir()
    path = Path(text).expanduser()
    if (path / STYLE_FILE).is_file():
        return path
    named = styles_dir() / text
    if "/" not in text and (named / STYLE_FILE).is_file():
        return named
    raise StyleError(
        f"no style {text!r}: give `default`, `game`, a style name in {styles_dir()} or a folder "
        f"holding {STYLE_FILE} (made by `python -m lofi train style`)"
    )


def _part_folder(style_path: Path, kind: str, fallback: str) -> Path | None:
    if fallback != FALLBACK_DEFAULT:
        return None
    default = read_style(fallback_style_dir())
    if kind not in default.parts:
        raise StyleError(f"the shipped style has no {kind} model to fall back on")
    return default.models[kind]


def read_style(folder: Path | str) -> Style:
    """Reads style.json and checks every part's checkpoint.

    Raises:
        StyleError: if the folder is not a style of this format or a part is unusable.
    """
    folder = Path(folder)
    path = folder / STYLE_FILE
    if not path.is_file():
        raise StyleError(f"{folder} is not a style: it has no {STYLE_FILE}")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise StyleError(f"cannot read {path}: {exc}") from exc
    version = data.get("format_version") if isinstance(data, dict) else None
    if version != STYLE_FORMAT_VERSION:
        raise StyleError(
            f"{path} is style format {version}, this version of LoFi Studio reads format "
            f"{STYLE_FORMAT_VERSION}; train it again with `python -m lofi train style`"
        )
    try:
        parts = {str(k): str(v) for k, v in data["parts"].items()}
        fallbacks = {str(k): str(v) for k, v in data.get("fallbacks", {}).items()}
        style = Style(
            path=folder,
            name=str(data["name"]),
            corpus=str(data["corpus"]),
            corpus_hash=str(data["corpus_hash"]),
            command=str(data.get("command", "")),
            parts=parts,
            fallbacks={
                **{k: rules_fallbacks()[k] for k in later_parts() if k not in parts},
                **fallbacks,
            },
            training=dict(data.get("training", {})),
            base=dict(data.get("base", {})),
        )
        form, form_reason = _entry(folder, "form", data.get("form"), FORM_FALLBACKS)
        timing, timing_reason = _entry(folder, "timing", data.get("timing"), TIMING_FALLBACKS)
        style = replace(
            style,
            form=form,
            form_reason=form_reason,
            timing=timing,
            timing_reason=timing_reason,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise StyleError(f"{path} is incomplete ({exc!r})") from exc
    models: dict[str, Path] = {}
    for kind, sub in style.parts.items():
        if kind not in part_names() or "/" in sub or sub in ("", ".", ".."):
            raise StyleError(f"{path}: part {kind!r} → {sub!r} is not a part subfolder")
        try:
            read_checkpoint(folder / sub, kind)
        except CheckpointError as exc:
            raise StyleError(f"style {style.name}: its {kind} model is unusable: {exc}") from exc
        models[kind] = folder / sub
    for kind, fallback in style.fallbacks.items():
        if kind not in part_names():
            raise StyleError(f"{path}: fallback for {kind!r}, which is not a part")
        allowed = (FALLBACK_DEFAULT, rules_fallbacks().get(kind, FALLBACK_DEFAULT))
        if fallback not in allowed or kind in style.parts:
            raise StyleError(f"{path}: fallback {fallback!r} for {kind} is not one of {allowed}")
        if fallback == FALLBACK_DEFAULT and folder.resolve() == fallback_style_dir().resolve():
            raise StyleError(f"{path}: the shipped style cannot fall back on itself")
        found = _part_folder(folder, kind, fallback)
        if found is not None:
            models[kind] = found
    if style.form not in FORM_FALLBACKS:
        try:
            read_form(folder / style.form)
        except CheckpointError as exc:
            raise StyleError(f"style {style.name}: its form model is unusable: {exc}") from exc
    if style.timing not in TIMING_FALLBACKS:
        try:
            read_timing(folder / style.timing)
        except CheckpointError as exc:
            raise StyleError(f"style {style.name}: its timing model is unusable: {exc}") from exc
    held = style_parts(tuple(style.parts))
    missing = [k for k in held if k not in style.parts and k not in style.fallbacks]
    if missing or any(k not in models for k in required_parts(tuple(style.parts))):
        raise StyleError(f"style {style.name} has neither a model nor a fallback for {missing}")
    return replace(style, models=models)


def write_style(style: Style) -> None:
    """Writes style.json atomically (last, once every part's checkpoint is in place)."""
    data: dict[str, Any] = {
        "format_version": STYLE_FORMAT_VERSION,
        "name": style.name,
        "corpus": style.corpus,
        "corpus_hash": style.corpus_hash,
        "command": style.command,
        "parts": dict(sorted(style.parts.items())),
        "fallbacks": dict(sorted(style.fallbacks.items())),
        "form": (
            {"fallback": style.form, "reason": style.form_reason}
            if style.form in FORM_FALLBACKS
            else style.form
        ),
        "timing": (
            {"fallback": style.timing, "reason": style.timing_reason}
            if style.timing in TIMING_FALLBACKS
            else style.timing
        ),
    }
    if style.training:
        data["training"] = style.training
    if style.base:
        data["base"] = style.base
    style.path.mkdir(parents=True, exist_ok=True)
    atomic_write(style.path / STYLE_FILE, (json.dumps(data, indent=1) + "\n").encode())


def form_source_of(style: Path | None, model: str = "form") -> tuple[str, Path | None]:
    """Where a track's form (or with `model` "timing", its timing) comes from.

    Its style's (learned or a named fallback), or for bare checkpoints (no style) the
    shipped style's, as for a style without one.
    """
    if style is not None:
        return read_style(style)._source(model)
    rules = FALLBACK_FORM if model == "form" else FALLBACK_TIMING
    try:
        source, path = read_style(fallback_style_dir())._source(model)
    except StyleError:  # no usable shipped style here: the rules
        return rules, None
    return (FALLBACK_DEFAULT, path) if source == LEARNED_FORM else (source, path)


def _entry(folder: Path, model: str, entry: Any, fallbacks: tuple[str, str]) -> tuple[str, str]:
    """The form or timing style.json names: a file, or {"fallback": NAME, "reason": WHY}.

    None named is the shipped style's (the rules, for the shipped style itself).
    """
    if isinstance(entry, str) and entry and "/" not in entry and entry not in (".", ".."):
        return entry, ""
    if isinstance(entry, dict) and entry.get("fallback") in fallbacks:
        return str(entry["fallback"]), str(entry.get("reason", ""))
    if entry is not None:
        raise StyleError(f"{folder / STYLE_FILE}: {model} {entry!r} is not a file or a fallback")
    shipped = folder.resolve() == fallback_style_dir().resolve()
    return (fallbacks[1] if shipped else fallbacks[0]), f"{STYLE_FILE} names no {model} model"
