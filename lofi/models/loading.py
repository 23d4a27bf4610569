"""Every model a song is generated from, loaded in one place (numpy only, no TensorFlow).

`load_song_models(style)` reads a style's part checkpoints into numpy samplers, its form
and its timing feels (or their named fallbacks); `load_checkpoints` does the same for a
bare melody and chord checkpoint (recipes made before styles). Loads are cached by folder
and content hash, so a retrained model is read afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from lofi.core.errors import ConfigError
from lofi.core.parts import style_parts
from lofi.core.paths import checkpoints_dir
from lofi.models.checkpoint import read_checkpoint
from lofi.models.critic import CRITIC_FILE, LoopCritic, critic_sha256, read_critic
from lofi.models.form import FormModel, form_sha256, read_form
from lofi.models.sampler import StepModel
from lofi.models.style import form_source_of, read_style
from lofi.models.timing import TimingModel, read_timing


@dataclass(frozen=True)
class Loaded:
    """A loaded model and the id recipes and evaluations name it by.

    `model` is None for a named fallback (`id` is then its name, e.g. rules:form).
    """

    model: Any = None
    id: str = ""


@dataclass(frozen=True)
class SongModels:
    """The loaded models of a style, by part (lofi.core.parts), and its form and timing.

    A part the mapping lacks plays its named fallback (the rules in grooves).
    """

    parts: dict[str, Loaded] = field(default_factory=dict)
    # The parts the song plays, by a model or their fallback (lofi.core.parts.style_parts).
    held: tuple[str, ...] = field(default_factory=lambda: style_parts(()))
    form: Loaded = Loaded()  # model None: the fallback rules:form
    timing: Loaded = Loaded()  # model None: the fallback rules:grid
    critic: Loaded = Loaded()  # model None: the piano plays the first loop it draws

    def model(self, part: str) -> StepModel | None:
        """The part's sampler, or None when it plays its fallback."""
        loaded = self.parts.get(part)
        return None if loaded is None else loaded.model

    def id(self, part: str) -> str:
        """The part's model id (name@hash), or "" when it plays its fallback."""
        loaded = self.parts.get(part)
        return "" if loaded is None else loaded.id

    @property
    def form_model(self) -> FormModel | None:
        """The form model, or None for the rules."""
        return self.form.model  # type: ignore[no-any-return]

    @property
    def timing_model(self) -> TimingModel | None:
        """The timing feels, or None for every note on the grid."""
        return self.timing.model  # type: ignore[no-any-return]

    @property
    def critic_model(self) -> LoopCritic | None:
        """The style's loop critic, or None."""
        return self.critic.model  # type: ignore[no-any-return]

    def with_parts(self, **parts: Loaded | None) -> SongModels:
        """A copy with these parts' models (None: the part plays its fallback)."""
        merged = {**self.parts, **parts}
        return replace(self, parts={k: v for k, v in merged.items() if v is not None})

    def needed(self, part: str) -> StepModel:
        """The sampler of a part this song cannot play without."""
        model = self.model(part)
        if model is None:
            raise ConfigError(f"these models have no {part} model, which this song needs")
        return model


def default_melody_model() -> Path:
    """The shipped melody checkpoint."""
    return checkpoints_dir() / "melody"


def default_chord_model() -> Path:
    """The shipped chord checkpoint."""
    return checkpoints_dir() / "chords"


@lru_cache(maxsize=8)
def _step_model(folder: Path, kind: str, sha: str) -> Loaded:
    ckpt = read_checkpoint(folder, kind)
    return Loaded(StepModel.load(ckpt.path, ckpt.vocab), ckpt.model_id)


def load_part(folder: Path, kind: str) -> Loaded:
    """The checkpoint's numpy sampler and id, cached by folder and weights hash."""
    folder = Path(folder).resolve()
    sha = read_checkpoint(folder, kind).meta.get("model_sha256", "")
    return _step_model(folder, kind, sha)


@lru_cache(maxsize=8)
def _critic(path: Path, sha: str) -> LoopCritic:
    return read_critic(path)


def load_critic(style: Path) -> Loaded:
    """The style's loop critic (STYLE/critic.npz) and its id, or Loaded() without one."""
    path = Path(style).resolve() / CRITIC_FILE
    if not path.is_file():
        return Loaded()
    sha = critic_sha256(path)
    return Loaded(_critic(path, sha), f"critic@{sha[:12]}")


@lru_cache(maxsize=8)
def _form_model(path: Path, sha: str) -> FormModel:
    return read_form(path)


@lru_cache(maxsize=8)
def _timing_model(path: Path, sha: str) -> TimingModel:
    return read_timing(path)


def with_form(models: SongModels, source: tuple[str, Path | None]) -> SongModels:
    """`models` with the form model `source` names (None for the rules), and its id."""
    return replace(models, form=_file_model(source, _form_model))


def with_timing(models: SongModels, source: tuple[str, Path | None]) -> SongModels:
    """`models` with the timing feels `source` names (None: every note on the grid)."""
    return replace(models, timing=_file_model(source, _timing_model))


def _file_model(source: tuple[str, Path | None], load: Callable[[Path, str], object]) -> Loaded:
    """The form or timing model read from the file `source` names, and its id."""
    name, path = source
    if path is None:
        return Loaded(None, name)
    sha = form_sha256(path)
    return Loaded(load(path.resolve(), sha), f"{name}@{sha[:12]}")


def load_checkpoints(melody: Path, chords: Path) -> SongModels:
    """A melody and a chord checkpoint, with the shipped style's form and timing.

    The other parts play their rules (a recipe made before styles).
    """
    parts = {"melody": load_part(melody, "melody"), "chords": load_part(chords, "chords")}
    models = SongModels(parts)
    return with_timing(with_form(models, form_source_of(None)), form_source_of(None, "timing"))


def load_song_models(style: Path, rules_parts: tuple[str, ...] = ()) -> SongModels:
    """The samplers of every part a style has a model for (learned or fallback).

    The `rules_parts` play their hand-written rules even so.

    Raises:
        StyleError: if the folder is not a usable style.
    """
    loaded = read_style(style)
    parts = {
        kind: load_part(folder, kind)
        for kind, folder in loaded.models.items()
        if kind not in rules_parts
    }
    models = SongModels(parts, style_parts(tuple(loaded.parts)), critic=load_critic(style))
    return with_timing(with_form(models, loaded.form_source()), loaded.timing_source())


def style_checkpoints(style: Path) -> dict[str, Path]:
    """Part name → checkpoint folder of every part a style has a model for."""
    return dict(read_style(style).models)
