"""Training a style: every part model of one corpus, stopped and resumed part by part.

The style's description (style.json, its parts and named fallbacks) lives in lofi.models.style;
this module writes one by training, fine-tuning from a base style or fitting the form.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lofi.core.errors import CheckpointError, CorpusError, StyleError
from lofi.core.parts import part_names, required_parts, rules_fallbacks, style_parts
from lofi.core.settings import TRAINING
from lofi.models.checkpoint import META_FILE, read_checkpoint
from lofi.models.form import FALLBACK_FORM, FORM_FILE, fit_form, too_short, write_form
from lofi.models.style import (
    FALLBACK_DEFAULT,
    LEARNED_FORM,
    STYLE_FILE,
    Style,
    fallback_style_dir,
    read_style,
    write_style,
)
from lofi.models.timing import FALLBACK_TIMING, TIMING_FILE, fit_timing, write_timing

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus
    from lofi.learn.finetune import BaseStyle
    from lofi.learn.train import TrainConfig


def train_style(
    corpus: Corpus,
    out: Path,
    base: TrainConfig,
    parts: tuple[str, ...] | None = None,
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
    parts = style_parts(()) if parts is None else parts
    unknown = [p for p in parts if p not in part_names()]
    if unknown or not parts:
        raise StyleError(f"unknown parts {unknown}; choose from {', '.join(part_names())}")
    origin = BaseStyle.read(start_from) if start_from is not None else None
    seen = training_part(corpus, held_out)
    learned: dict[str, str] = {}
    fallbacks: dict[str, str] = {}
    origins: dict[str, str] = {}
    stop = threading.Event()  # SIGTERM between parts; during a part, `fit` handles it
    for kind in style_parts(parts):
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
            if kind in required_parts(parts):
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
    timing, timing_reason = train_timing(seen, out / TIMING_FILE)
    report(
        f"timing: {timing_reason or 'learned'}"
        + (f"; falls back on {timing}" if timing_reason else "")
    )
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
        timing=timing,
        timing_reason=timing_reason,
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


STOPPED_PREFIX = "stopped-"  # a stopped run's usable style: RUN/stopped-HASH/style.json


def stopped_style(run: Path) -> Path | None:
    """A usable style made of a stopped style run's finished and best-so-far parts.

    Every part with a whole checkpoint in RUN/PART (finished, or the best one so far of the
    part training stopped in) is copied into RUN/stopped-HASH; the parts still missing are
    filled as style.json allows: the shipped style's model of the part, else its rules; the
    form and timing are the shipped style's. Named by its parts' weights, it is made once and
    never changes, so a track made with it can be made again after the run goes on.

    Returns:
        The style's folder, or None when no part has a checkpoint yet.

    Raises:
        StyleError: if the parts cannot make a style (say, no melody model anywhere).
    """
    found: dict[str, dict[str, Any]] = {}
    for kind in part_names():
        try:
            found[kind] = read_checkpoint(run / kind, kind).meta
        except CheckpointError:
            continue
    if not found:
        return None
    weights = sorted((kind, str(meta.get("model_sha256", ""))) for kind, meta in found.items())
    out = run / f"{STOPPED_PREFIX}{hashlib.sha256(repr(weights).encode()).hexdigest()[:12]}"
    if (out / STYLE_FILE).is_file():
        return out
    staging = run / f".{out.name}.partial"  # renamed into place once whole
    for leftover in (staging, out):  # a copy cut short before it was whole
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir()
    try:
        for kind in found:
            shutil.copytree(run / kind, staging / kind)
        first = next(iter(found.values()))
        style = Style(
            path=staging,
            name=f"{run.name} (stopped)",
            corpus=str(first.get("corpus", "")),
            corpus_hash=str(first.get("corpus_hash", "")),
            command=str(first.get("command", "")),
            parts={kind: kind for kind in found},
            fallbacks={k: _fallback_for(k) for k in style_parts(tuple(found)) if k not in found},
            training={
                "parts": {
                    kind: ("finished" if part_finished(run / kind) else "best so far, stopped")
                    + f" ({_origin(meta)})"
                    for kind, meta in found.items()
                },
                "stopped": "the parts not trained yet come from the shipped style or its rules",
            },
            form=FALLBACK_DEFAULT,
            form_reason="stopped before the form was fitted",
            timing=FALLBACK_DEFAULT,
            timing_reason="stopped before the timing was fitted",
        )
        write_style(style)
        read_style(staging)  # a style that cannot be used is not left behind
        staging.replace(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


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
    rules = rules_fallbacks().get(kind, FALLBACK_DEFAULT)
    try:
        shipped = read_style(fallback_style_dir())
    except StyleError:
        return rules
    return FALLBACK_DEFAULT if kind in shipped.parts else rules


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
        shipped = read_style(fallback_style_dir()).form_source()[0]
    except StyleError:
        shipped = FALLBACK_FORM
    return (FALLBACK_DEFAULT if shipped == LEARNED_FORM else FALLBACK_FORM), reason


def train_timing(corpus: Corpus, path: Path) -> tuple[str, str]:
    """Fits the timing feels and writes them to `path`.

    A corpus without a piece long enough gets the shipped style's timing (or the grid).

    Returns:
        (what style.json names as the timing, why it falls back or "").
    """
    try:
        model = fit_timing(corpus.pieces, corpus.name, corpus.content_hash)
    except CheckpointError as exc:
        try:
            shipped = read_style(fallback_style_dir()).timing_source()[0]
        except StyleError:
            shipped = FALLBACK_TIMING
        return (FALLBACK_DEFAULT if shipped == LEARNED_FORM else FALLBACK_TIMING), str(exc)
    write_timing(model, path)
    return path.name, ""
