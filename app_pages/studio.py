"""Studio: settings, instruments and effects in; a finished track, its files and plots out."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from app_pages.common import models_for, session_dir
from app_pages.studio_controls import controls, request_of
from app_pages.studio_takes import download_buttons, regenerate_row, takes_panel
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import LofiError
from lofi.core.types import PART_NAMES
from lofi.service.figures import song_roll, waveform
from lofi.service.recipe import TrackRequest
from lofi.service.takes import save_take
from lofi.service.track import make_track


def run(
    request: TrackRequest,
    progress_slot: st.delta_generator.DeltaGenerator,
    label: str = "Generate",
    parent: int | None = None,
) -> None:
    """Makes the request into the session's next take and puts it in the player."""
    models = models_for(request.melody_model, request.chord_model)
    bar = progress_slot.progress(0.0, text="Composing…")
    labels = {
        "composing": "Composing…",
        "rendering": "Rendering with FluidSynth…",
        "mixing": "Mixing and mastering…",
        "done": "Writing files…",
    }
    started = time.perf_counter()
    track = make_track(
        request, lambda stage, f: bar.progress(f, text=labels.get(stage, stage)), models
    )
    # The MP3 and the stems are made when first asked for.
    out = save_take(track, request, session_dir(), label, parent)
    paths = {"wav": out / "mix.wav", "midi": out / "song.mid", "recipe": out / "recipe.json"}
    progress_slot.empty()
    st.session_state.track = {
        "dir": str(out),
        "paths": {k: str(v) for k, v in paths.items()},
        "song": track.song,
        "seconds": time.perf_counter() - started,
        "waveform": waveform(track.mix, SAMPLE_RATE),
        "timings": dict(track.timings),
    }


def player(slot: st.delta_generator.DeltaGenerator) -> None:
    """The track's audio: always the first element of its column, so reruns keep it playing."""
    info = st.session_state.get("track")
    with slot:
        if not info:
            st.info("Pick your settings and press **Generate**.")
            return
        st.audio(info["paths"]["wav"], format="audio/wav")
        song = info["song"]
        stages = " · ".join(f"{k} {v:.1f}" for k, v in info.get("timings", {}).items())
        st.caption(
            f"{song.key.name} · {song.bpm:g} BPM · {song.bars} bars · made in "
            f"{info['seconds']:.1f} s ({stages})"
        )


def downloads() -> None:
    info = st.session_state.get("track")
    if not info:
        return
    download_buttons(Path(info["dir"]), "current")
    st.plotly_chart(song_roll(info["song"]), width="stretch")
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
        elif panel.generate and len(panel.instruments) == len(PART_NAMES):
            run(request_of(panel), progress_slot)
        elif panel.generate:
            st.error("Every part needs a usable SoundFont; see Instruments.")
    except LofiError as exc:
        st.error(f"{exc}")
    player(player_slot)
    current = st.session_state.get("track")
    regenerate_row(current["dir"] if current else None)
    downloads()
    takes_panel(session_dir())
