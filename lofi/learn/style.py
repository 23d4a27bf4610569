"""A style: one learned model per part, trained on one corpus, described by style.json.

    styles/NAME/style.json      format_version, name, corpus, corpus hash, command,
                                parts (part → checkpoint subfolder), fallbacks
    styles/NAME/melody/ …       one checkpoint folder per learned part
    styles/NAME/form.json       the learned form (lofi.learn.form), when the corpus taught one

A part the corpus lacks (no drums in a piano corpus) is listed under `fallbacks` with a named
fallback: `style:default` (the shipped style's model of that part) or the hand-written part
of lofi.compose.grooves (`rules:grooves` for drums, `rules:bass`, `rules:comping`), never
silently. A style.json written before bass and comping were learned names neither: it is read
with `rules:bass` and `rules:comping`, which is how its tracks were played.
"""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lofi.core.errors import CheckpointError, CorpusError, StyleError
from lofi.core.paths import checkpoints_dir, styles_dir
from lofi.core.settings import TRAINING
from lofi.encoding.vocab import PART_KINDS
from lofi.learn.checkpoint import META_FILE, atomic_write, read_checkpoint
from lofi.learn.form import FALLBACK_FORM, FORM_FILE, fit_form, read_form, too_short, write_form

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus
    from lofi.learn.finetune import BaseStyle
    from lofi.learn.train import TrainConfig

STYLE_FILE = "style.json"
STYLE_FORMAT_VERSION = 1
REQUIRED_PARTS = ("melody", "chords")
FALLBACK_DEFAULT = "style:default"  # the shipped style's model of the part
FALLBACK_RULES = "rules:grooves"  # the hand-written drums in lofi.compose.grooves
# Each part's hand-written fallback in lofi.compose.grooves.
RULES = {"drums": FALLBACK_RULES, "bass": "rules:bass", "comping": "rules:comping"}
FALLBACKS = (FALLBACK_DEFAULT, *RULES.values())
LATER_PARTS = ("bass", "comping")  # learned since style format 1 was first written
FORM_FALLBACKS = (FALLBACK_DEFAULT, FALLBACK_FORM)
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

    def form_source(self) -> tuple[str, Path | None]:
        """Where this style's form comes from.

        Returns:
            ("learned", its file) or a named fallback: ("style:default", the shipped
            style's file) or ("rules:form", None).
        """
        if self.form not in FORM_FALLBACKS:
            return LEARNED_FORM, self.path / self.form
        if self.form == FALLBACK_DEFAULT and self.path.resolve() != default_style_dir().resolve():
            shipped = read_style(default_style_dir()).form_source()
            if shipped[0] == LEARNED_FORM:
                return FALLBACK_DEFAULT, shipped[1]
        return FALLBACK_FORM, None

    def model_sha256(self) -> dict[str, str]:
        """Each part model's weights hash, the style's identity in a recipe."""
        return {
            kind: str(read_checkpoint(folder, kind).meta.get("model_sha256", ""))
            for kind, folder in sorted(self.models.items())
        }


def default_style_dir() -> Path:
    """The shipped style (its style.json sits beside its part folders)."""
    return checkpoints_dir()


def resolve_style(name_or_path: str | Path) -> Path:
    """A style folder from a name (`default`, or a folder in the styles directory) or a path."""
    text = str(name_or_path)
    if text == "default":
        return default_style_dir()
    path = Path(text).expanduser()
    if (path / STYLE_FILE).is_file():
        return path
    named = styles_dir() / text
    if "/" not in text and (named / STYLE_FILE).is_file():
        return named
    raise StyleError(
        f"no style {text!r}: give `default`, a style name in {styles_dir()} or a folder "
        f"holding {STYLE_FILE} (made by `python -m lofi train style`)"
    )


def _part_folder(style_path: Path, kind: str, fallback: str) -> Path | None:
    if fallback != FALLBACK_DEFAULT:
        return None
    default = read_style(default_style_dir())
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
                **{k: RULES[k] for k in LATER_PARTS if k not in parts},
                **fallbacks,
            },
            training=dict(data.get("training", {})),
            base=dict(data.get("base", {})),
        )
        form, form_reason = _form_entry(folder, data.get("form"))
        style = replace(style, form=form, form_reason=form_reason)
    except (KeyError, TypeError, AttributeError) as exc:
        raise StyleError(f"{path} is incomplete ({exc!r})") from exc
    models: dict[str, Path] = {}
    for kind, sub in style.parts.items():
        if kind not in PART_KINDS or "/" in sub or sub in ("", ".", ".."):
            raise StyleError(f"{path}: part {kind!r} → {sub!r} is not a part subfolder")
        try:
            read_checkpoint(folder / sub, kind)
        except CheckpointError as exc:
            raise StyleError(f"style {style.name}: its {kind} model is unusable: {exc}") from exc
        models[kind] = folder / sub
    for kind, fallback in style.fallbacks.items():
        allowed = (FALLBACK_DEFAULT, RULES.get(kind, FALLBACK_DEFAULT))
        if fallback not in allowed or kind in style.parts:
            raise StyleError(f"{path}: fallback {fallback!r} for {kind} is not one of {allowed}")
        if fallback == FALLBACK_DEFAULT and folder.resolve() == default_style_dir().resolve():
            raise StyleError(f"{path}: the shipped style cannot fall back on itself")
        found = _part_folder(folder, kind, fallback)
        if found is not None:
            models[kind] = found
    if style.form not in FORM_FALLBACKS:
        try:
            read_form(folder / style.form)
        except CheckpointError as exc:
            raise StyleError(f"style {style.name}: its form model is unusable: {exc}") from exc
    missing = [k for k in PART_KINDS if k not in style.parts and k not in style.fallbacks]
    if missing or any(k not in models for k in REQUIRED_PARTS):
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
    }
    if style.training:
        data["training"] = style.training
    if style.base:
        data["base"] = style.base
    style.path.mkdir(parents=True, exist_ok=True)
    atomic_write(style.path / STYLE_FILE, (json.dumps(data, indent=1) + "\n").encode())


def train_style(
    corpus: Corpus,
    out: Path,
    base: TrainConfig,
    parts: tuple[str, ...] = PART_KINDS,
    command: str = "",
    report: Any = print,
    held_out: float = TRAINING.held_out,
    start_from: str | Path | None = None,
    resume: bool = False,
) -> Style:
    """Trains every part from one corpus into out/PART and writes out/style.json.

    Only the corpus' training part is seen (`lofi.data.split.training_part`: `held_out` of
    the pieces, chosen by content hash, stay out for evaluate); early stopping watches a
    validation share of that training part. A part the corpus lacks falls back on the
    shipped style's model of it when the shipped style has one, else on the hand-written
    rules; style.json says which.

    With `start_from` (a style name or folder) every part the base has a model of is
    fine-tuned from it (lofi.learn.finetune: its weights, its size, `base`'s learning rate),
    a part the corpus lacks keeps the base's model unchanged, and a part the base only has
    rules for is trained from scratch; style.json records the base and each part's origin.

    SIGTERM stops the run after the current batch (StyleStopped): the parts finished so far
    and the stopped part's best checkpoint stay in `out`, and `resume` later keeps the
    finished parts, continues a stopped part from its best checkpoint and trains the rest.

    Raises:
        StyleError: if `out` already holds a style or a part is unknown.
        StyleStopped: when stopped by SIGTERM.
    """
    from lofi.data.split import training_part
    from lofi.learn.finetune import BaseStyle
    from lofi.learn.train import sigterm_sets

    if (out / STYLE_FILE).exists():
        raise StyleError(f"{out} already holds a style; choose another --out folder")
    unknown = [p for p in parts if p not in PART_KINDS]
    if unknown or not parts:
        raise StyleError(f"unknown parts {unknown}; choose from {', '.join(PART_KINDS)}")
    origin = BaseStyle.read(start_from) if start_from is not None else None
    seen = training_part(corpus, held_out)
    learned: dict[str, str] = {}
    fallbacks: dict[str, str] = {}
    origins: dict[str, str] = {}
    stop = threading.Event()  # SIGTERM between parts; during a part, `fit` handles it
    for kind in PART_KINDS:
        if kind not in parts:
            fallbacks[kind] = _fallback_for(kind)
            continue
        if resume and part_finished(out / kind):
            learned[kind] = kind
            origins[kind] = _origin(read_checkpoint(out / kind, kind).meta)
            report(f"{kind}: finished before, kept ({origins[kind]})")
            continue
        config = replace(base, kind=kind)
        try:
            with sigterm_sets(stop):
                meta, origins[kind] = _train_part(config, seen, out / kind, command, origin, resume)
        except CorpusError as exc:
            if kind in REQUIRED_PARTS:
                raise
            if origin is not None and origin.copy_part(kind, out / kind):
                learned[kind] = kind
                origins[kind] = f"the base's model, unchanged ({exc.reason})"
                report(f"{kind}: {exc.reason}; keeps the base style's model")
                continue
            fallbacks[kind] = _fallback_for(kind)
            report(f"{kind}: {exc.reason}; falls back on {fallbacks[kind]}")
            continue
        if meta.get("stopped_by_user") or stop.is_set():
            raise StyleStopped(
                f"stopped while training {kind}: the parts finished so far and its best "
                "checkpoint are kept; train again with --resume to go on"
            )
        if not (out / kind / META_FILE).is_file():
            raise StyleError(f"the {kind} model never improved on its validation loss")
        learned[kind] = kind
        report(
            f"{kind}: best val_loss {meta['best_val_loss']:.4f} at epoch {meta['best_epoch']}"
            f" ({origins[kind]})"
        )
    form, reason = train_form(seen, out / FORM_FILE)
    report(f"form: {reason or 'learned'}" + (f"; falls back on {form}" if reason else ""))
    style = Style(
        path=out,
        name=out.name,
        corpus=corpus.name,
        corpus_hash=corpus.content_hash,
        command=command,
        parts=learned,
        fallbacks=fallbacks,
        training={
            "held_out": held_out,
            "training_pieces": len(seen.pieces),
            "held_out_pieces": len(corpus.pieces) - len(seen.pieces),
            "parts": origins,
        },
        base=origin.describe() if origin is not None else {},
        form=form,
        form_reason=reason,
    )
    write_style(style)
    return read_style(out)


class StyleStopped(StyleError):
    """A style's training was stopped on request; what it finished is kept for --resume."""


def part_finished(folder: Path) -> bool:
    """Whether a part's training ran to its end (not stopped) and left a whole checkpoint."""
    from lofi.learn.progress import PROGRESS_FILE, read_progress

    events = [r.get("event") for r in read_progress(folder / PROGRESS_FILE)]
    try:
        read_checkpoint(folder)
    except CheckpointError:
        return False
    return "done" in events


def _origin(meta: dict[str, Any]) -> str:
    start = meta.get("warm_start")
    return f"fine-tuned from {start['base']}" if isinstance(start, dict) else "trained from scratch"


def _train_part(
    config: TrainConfig,
    corpus: Corpus,
    folder: Path,
    command: str,
    origin: BaseStyle | None,
    resume: bool,
) -> tuple[dict[str, Any], str]:
    """Trains one part and returns its meta and where it started from.

    A stopped part goes on from its own best checkpoint (resume), a part the base has a
    model of starts from it (fine-tuning), any other from scratch.
    """
    from lofi.learn.finetune import BasePart, warm_start
    from lofi.learn.train import train

    if resume and folder.exists():
        try:
            stopped: BasePart | None = BasePart.read(folder, config.kind)
        except CheckpointError:
            stopped = None  # cut short before its first checkpoint: start it again
        aside = folder.parent / f".stopped-{folder.name}"
        shutil.rmtree(aside, ignore_errors=True)
        folder.replace(aside)
        if stopped is not None:
            meta = train(
                replace(config, size=stopped.size), corpus, folder, command, warm_start(stopped)
            )
            shutil.rmtree(aside, ignore_errors=True)
            return meta, f"{_origin(stopped.meta)}, resumed from {stopped.model_id}"
        shutil.rmtree(aside, ignore_errors=True)
    if origin is not None and config.kind in origin.parts:
        meta = origin.finetune(config, corpus, folder, command)
        return meta, _origin(meta)
    return train(config, corpus, folder, command=command), "trained from scratch"


def _fallback_for(kind: str) -> str:
    rules = RULES.get(kind, FALLBACK_DEFAULT)
    try:
        shipped = read_style(default_style_dir())
    except StyleError:
        return rules
    return FALLBACK_DEFAULT if kind in shipped.parts else rules


def form_source_of(style: Path | None) -> tuple[str, Path | None]:
    """Where a track's form comes from.

    Its style's (learned or a named fallback), or for bare checkpoints (no style) the
    shipped style's, as for a style without one.
    """
    if style is not None:
        return read_style(style).form_source()
    try:
        source, path = read_style(default_style_dir()).form_source()
    except StyleError:  # no usable shipped style here: the rules
        return FALLBACK_FORM, None
    return (FALLBACK_DEFAULT, path) if source == LEARNED_FORM else (source, path)


def train_form(corpus: Corpus, path: Path) -> tuple[str, str]:
    """Fits the form model and writes it to `path`.

    A corpus too short to teach one gets the shipped style's form (or the rules when it has
    none).

    Returns:
        (what style.json names as the form, why it falls back or "").
    """
    model = fit_form(corpus.pieces, corpus.name, corpus.content_hash)
    reason = too_short(model)
    if reason is None:
        write_form(model, path)
        return path.name, ""
    try:
        shipped = read_style(default_style_dir()).form_source()[0]
    except StyleError:
        shipped = FALLBACK_FORM
    return (FALLBACK_DEFAULT if shipped == LEARNED_FORM else FALLBACK_FORM), reason


def _form_entry(folder: Path, entry: Any) -> tuple[str, str]:
    """The form style.json names: a file, or {"fallback": NAME, "reason": WHY}.

    None named is the shipped style's form (the rules, for the shipped style itself).
    """
    if isinstance(entry, str) and entry and "/" not in entry and entry not in (".", ".."):
        return entry, ""
    if isinstance(entry, dict) and entry.get("fallback") in FORM_FALLBACKS:
        return str(entry["fallback"]), str(entry.get("reason", ""))
    if entry is not None:
        raise StyleError(f"{folder / STYLE_FILE}: form {entry!r} is not a file or a fallback")
    shipped = folder.resolve() == default_style_dir().resolve()
    return (FALLBACK_FORM if shipped else FALLBACK_DEFAULT), f"{STYLE_FILE} names no form model"
