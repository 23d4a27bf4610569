"""What the pages share: cached loaders, the session's folders, the sidebar."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import streamlit as st

from lofi.core.errors import LofiError
from lofi.core.paths import user_data_dir
from lofi.core.settings import LIMITS
from lofi.service.corpora import corpus_location, corpus_names
from lofi.service.models import (
    ModelSummary,
    SongModels,
    default_chord_model,
    default_melody_model,
    load_checkpoints,
    model_summary,
)
from lofi.service.recipe import TrackRequest
from lofi.service.runs import studio_models
from lofi.service.sounds import start_renderer
from lofi.service.storage import holds_kept, prune
from lofi.service.styles import (
    DEFAULT_STYLE,
    part_sources,
    style_choices,
    style_info,
    style_models,
    style_version,
)


@st.cache_resource
def warm_render_workers() -> bool:
    """Once per server process: start the FluidSynth workers with the default SoundFont."""
    start_renderer()
    return True


def player_component(name: str, scripts: tuple[str, ...], css: str) -> Any:
    """A player component: its scripts (files beside this one, the last holding the
    component's function) after player_common.js, the JS both players share (an inline
    component is one module: it cannot import another)."""
    here = Path(__file__).parent
    js = "".join((here / f).read_text() for f in ("player_common.js", *scripts))
    return st.components.v2.component(name, js=js, css=css)


def plural(count: int, noun: str) -> str:
    """'1 file', '3 files'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def runs_root() -> Path:
    return user_data_dir() / "runs"


def corpora_root() -> Path:
    return user_data_dir() / "corpora"


def session_dir() -> Path:
    """Each browser session writes its tracks into a folder of its own."""
    root = user_data_dir() / "sessions"
    if "session_id" not in st.session_state:
        st.session_state.session_id = uuid.uuid4().hex[:12]
        # A new session: old and surplus sessions' tracks go (sessions holding a pinned or
        # downloaded take stay).
        prune(root, LIMITS.sessions_max_bytes, LIMITS.sessions_max_age_s, keep=holds_kept)
    return root / st.session_state.session_id  # made by its first take, not by a visit


def current_models() -> tuple[Path, Path]:
    return studio_models(user_data_dir(), (default_melody_model(), default_chord_model()))


def models_in_use_chosen() -> bool:
    """Whether the Training page put checkpoints of its own in use."""
    return current_models() != (default_melody_model(), default_chord_model())


@st.cache_resource(show_spinner="Loading the style…")
def cached_style_models(folder: str, version: str) -> SongModels:
    """Every part's sampler of a style, once per process and style version."""
    return style_models(Path(folder))


def models_for_request(request: TrackRequest) -> SongModels:
    """The samplers a request names: its style's, or its two checkpoints."""
    if request.style is not None:
        return cached_style_models(str(request.style), style_version(request.style))
    return models_for(request.melody_model, request.chord_model)


@st.cache_resource(show_spinner="Loading the models…")
def cached_models(melody: str, chords: str, melody_sha: str, chords_sha: str) -> SongModels:
    """Both samplers, once per process and model version."""
    return load_checkpoints(Path(melody), Path(chords))


def models_for(melody: Path, chords: Path) -> SongModels:
    m, c = model_summary(melody, "melody"), model_summary(chords, "chords")
    return cached_models(str(melody), str(chords), m.sha256, c.sha256)


def corpus_choices() -> list[str]:
    return corpus_names(corpora_root())


def corpus_path(choice: str) -> str:
    """A bundled corpus by name, an uploaded one by its folder."""
    return corpus_location(choice, corpora_root())


def _describe(model: ModelSummary) -> str:
    loss = model.best_val_loss
    # The validation loss in plain words: how surprised it is by music it has not seen.
    loss_text = f"surprise {loss:.2f} (lower is better)" if loss is not None else "not scored"
    return f"**{model.name}** · {model.corpus} · {loss_text}"


def style_in_use() -> tuple[str, Path] | None:
    """The style the Studio makes its tracks in (its Style box, else the first choice), or
    None when the Training page's checkpoints are in use instead."""
    styles = style_choices()
    chosen = st.session_state.get("style")
    if chosen is None and not models_in_use_chosen() and DEFAULT_STYLE in styles:
        chosen = DEFAULT_STYLE
    return (chosen, styles[chosen]) if chosen in styles else None


def sidebar() -> None:
    warm_render_workers()
    with st.sidebar:
        st.markdown("### 🎧 LoFi Studio")
        style_sidebar()
        st.caption("Corpus")
        st.markdown(f"**{st.session_state.get('corpus') or 'none chosen yet'}**")


def style_sidebar() -> None:
    """The style in use and where each of its parts comes from, or the models in use."""
    chosen = style_in_use()
    if chosen is not None:
        name, folder = chosen
        st.caption("Style in use")
        try:
            style = style_info(folder)
        except LofiError as exc:
            st.warning(f"Style {name}: {exc}")
            return
        st.markdown(f"**{name}** · learned from {style.corpus}")
        lines = [f"- {part}: {source}" for part, source in part_sources(style).items()]
        st.markdown("\n".join(lines))
        return
    st.caption("Models in use (Training page)")
    melody, chords = current_models()
    for kind, path in (("Melody", melody), ("Chords", chords)):
        try:
            st.markdown(f"{kind}: {_describe(model_summary(path))}")
        except LofiError as exc:
            st.warning(f"{kind} model: {exc}")
