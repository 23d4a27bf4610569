"""What the pages share: cached loaders, the session's folders, the sidebar."""

from __future__ import annotations

import uuid
from pathlib import Path

import streamlit as st

from lofi.audio.render import warm_up
from lofi.audio.soundfonts import default_instruments
from lofi.compose.song import SongModels
from lofi.core.errors import LofiError
from lofi.core.paths import user_data_dir
from lofi.core.settings import LIMITS
from lofi.data.corpus import BUNDLED
from lofi.learn.checkpoint import Checkpoint, read_checkpoint
from lofi.service.runs import studio_models
from lofi.service.storage import prune
from lofi.service.track import default_chord_model, default_melody_model, load_models


@st.cache_resource
def warm_render_workers() -> bool:
    """Once per server process: start the FluidSynth workers with the default SoundFont."""
    warm_up(sorted({i.soundfont for i in default_instruments().values()}))
    return True


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
        # A new session: old and surplus sessions' tracks go (pinned takes stay).
        prune(root, LIMITS.sessions_max_bytes, LIMITS.sessions_max_age_s)
    folder = root / st.session_state.session_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def current_models() -> tuple[Path, Path]:
    return studio_models(user_data_dir(), (default_melody_model(), default_chord_model()))


@st.cache_resource(show_spinner="Loading the models…")
def cached_models(melody: str, chords: str, melody_sha: str, chords_sha: str) -> SongModels:
    """Both samplers, once per process and model version."""
    return load_models(Path(melody), Path(chords))


def models_for(melody: Path, chords: Path) -> SongModels:
    m, c = read_checkpoint(melody, "melody"), read_checkpoint(chords, "chords")
    return cached_models(str(melody), str(chords), m.meta["model_sha256"], c.meta["model_sha256"])


def corpus_choices() -> list[str]:
    uploaded = (
        sorted(p.name for p in corpora_root().iterdir() if p.is_dir() and p.name[0] != ".")
        if corpora_root().is_dir()
        else []
    )
    return [*BUNDLED, *uploaded]


def corpus_path(choice: str) -> str:
    """A bundled corpus by name, an uploaded one by its folder."""
    return choice if choice in BUNDLED else str(corpora_root() / choice)


def _describe(ckpt: Checkpoint) -> str:
    loss = ckpt.meta.get("best_val_loss")
    loss_text = f"val loss {loss:.3f}" if isinstance(loss, float) else "no val loss"
    return f"**{ckpt.path.name}** · {ckpt.meta.get('corpus', '?')} · {loss_text}"


def sidebar() -> None:
    warm_render_workers()
    with st.sidebar:
        st.markdown("### 🎧 LoFi Studio")
        st.caption("Models in use")
        melody, chords = current_models()
        for kind, folder in (("Melody", melody), ("Chords", chords)):
            try:
                st.markdown(f"{kind}: {_describe(read_checkpoint(folder))}")
            except LofiError as exc:
                st.warning(f"{kind} model: {exc}")
        st.caption("Corpus")
        st.markdown(f"**{st.session_state.get('corpus') or 'none chosen yet'}**")
