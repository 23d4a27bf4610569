"""Studio: settings, instruments and effects in; a finished track, its files and plots out."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages import studio_player
from app_pages.common import session_dir
from app_pages.studio_controls import controls, request_of
from app_pages.studio_takes import download_buttons, regenerate_row, takes_panel
from lofi.core.errors import LofiError
from lofi.core.parts import tracks
from lofi.service.recipe import TrackRequest


def run(
    request: TrackRequest,
    progress_slot: st.delta_generator.DeltaGenerator,
    label: str = "Generate",
    parent: int | None = None,
) -> None:
    """Makes the request into the session's next take and puts it in the player: the first
    bars play within a second, the take is saved when the whole track is made."""
    studio_player.generate(request, progress_slot, label, parent)


def downloads() -> None:
    info = st.session_state.get("track")
    if not info:
        return
    download_buttons(Path(info["dir"]), "current")
    st.plotly_chart(info["waveform"], width="stretch")


st.title("🎛️ Studio")
left, right = st.columns([2, 3], gap="large")
with left:
    panel = controls()

with right:
    player_slot = st.container()
    progress_slot = st.empty()
    try:
        if "recipe_error" in st.session_state:
            raise LofiError(st.session_state.pop("recipe_error"))
        pending = st.session_state.pop("pending_request", None)
        if pending is not None:
            run(
                pending,
                progress_slot,
                *st.session_state.pop("pending_take", ("from a recipe", None)),
            )
        elif panel.generate and len(panel.instruments) == len(tracks()):
            run(request_of(panel), progress_slot)
        elif panel.generate:
            st.error("Every part needs a usable SoundFont; see Instruments.")
    except LofiError as exc:
        st.error(f"{exc}")
    studio_player.show(player_slot)
    current = st.session_state.get("track")
    regenerate_row(current["dir"] if current else None)
    downloads()
    takes_panel(session_dir())
