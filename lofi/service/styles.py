"""Styles as the pages show and use them: which ones exist, what each learned, its models."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lofi.core.errors import StyleError
from lofi.core.parts import style_parts
from lofi.core.paths import styles_dir, user_data_dir
from lofi.learn.style_training import STOPPED_PREFIX
from lofi.models import SongModels
from lofi.models.style import (
    FALLBACK_DEFAULT,
    LEARNED_FORM,
    SHIPPED_GAME,
    STYLE_FILE,
    Style,
    default_style_dir,
    game_style_dir,
    read_style,
)

DEFAULT_STYLE = "default"


def runs_root() -> Path:
    """Where the training page's runs live (a style run is a style once it is complete)."""
    return user_data_dir() / "runs"


def style_choices(runs: Path | None = None) -> dict[str, Path]:
    """Every usable style by name; unusable folders are left out.

    The shipped `default`, the styles folder's, then the training runs that made a whole
    style (named `runs/NAME`), or, stopped before that, the style of their finished and
    best-so-far parts (`runs/NAME (stopped)`, lofi.learn.style_training.stopped_style).
    """
    found: dict[str, Path] = {}
    candidates = [(DEFAULT_STYLE, default_style_dir())]
    game = game_style_dir()
    if game is not None:  # the game-music style shipped before the lofi one
        candidates.append((SHIPPED_GAME, game))
    for root, prefix in ((styles_dir(), ""), (runs or runs_root(), "runs/")):
        if root.is_dir():
            candidates += [(prefix + f.name, f) for f in sorted(root.iterdir())]
    for name, folder in list(candidates):
        if name.startswith("runs/") and not (folder / STYLE_FILE).is_file():
            stopped = latest_stopped_style(folder)
            if stopped is not None:
                candidates.append((f"{name} (stopped)", stopped))
    for name, folder in candidates:
        if (folder / STYLE_FILE).is_file() and name not in found:
            try:
                read_style(folder)
            except StyleError:
                continue
            found[name] = folder
    return found


def latest_stopped_style(run: Path) -> Path | None:
    """The newest style a stopped run's parts made (RUN/stopped-HASH), if any."""
    made = [f for f in run.glob(f"{STOPPED_PREFIX}*") if (f / STYLE_FILE).is_file()]
    return max(made, key=lambda f: (f / STYLE_FILE).stat().st_mtime_ns) if made else None


def style_info(folder: Path) -> Style:
    """The style's description (style.json, checked); StyleError if it is unusable."""
    return read_style(folder)


def style_version(folder: Path) -> str:
    """One hash over every part model's weights: changes whenever a part is retrained."""
    shas = read_style(folder).model_sha256()
    return hashlib.sha256(repr(sorted(shas.items())).encode()).hexdigest()[:16]


def style_models(folder: Path) -> SongModels:
    """The samplers of every part the style has a model of."""
    from lofi.models.loading import load_song_models

    return load_song_models(folder)


def describe_style(style: Style) -> str:
    """One line: the corpus, the learned parts, the fallbacks and the base it started from."""
    text = f"{style.corpus} · learned {', '.join(sorted(style.parts))}"
    if style.fallbacks:
        text += " · " + ", ".join(f"{k} → {v}" for k, v in sorted(style.fallbacks.items()))
    if style.base:
        text += f" · fine-tuned from {style.base.get('name', '?')}"
    return text


# Each named fallback in a listener's words.
FALLBACK_WORDS = {
    FALLBACK_DEFAULT: "the shipped style's model",
    "rules:grooves": "hand-written drum grooves",
    "rules:bass": "hand-written bass (the chords' roots)",
    "rules:comping": "hand-written comping",
    "rules:form": "hand-written form (intro, A, B, outro)",
    "rules:grid": "straight sixteenths (no learned timing)",
}


def part_sources(style: Style) -> dict[str, str]:
    """Where each part of the style's tracks comes from, and its form and timing, in words.

    A learned part names its corpus and how it was trained (from scratch, fine-tuned, or
    for a stopped run the best so far); a fallback says which one. Only the parts its songs
    play are named: a learned piano's songs have no comping, whatever its fallback.
    """
    origins = style.training.get("parts", {}) if isinstance(style.training, dict) else {}
    out: dict[str, str] = {}
    for kind in style_parts(tuple(style.parts)):  # a learned piano plays no comping
        if kind in style.parts:
            origin = origins.get(kind) if isinstance(origins, dict) else None
            out[kind] = f"learned from {style.corpus}" + (f", {origin}" if origin else "")
        elif kind in style.fallbacks:
            out[kind] = FALLBACK_WORDS.get(style.fallbacks[kind], style.fallbacks[kind])
    for model, (source, _path) in (
        ("form", style.form_source()),
        ("timing", style.timing_source()),
    ):
        out[model] = (
            f"learned from {style.corpus}"
            if source == LEARNED_FORM
            else FALLBACK_WORDS.get(source, source)
        )
    return out
