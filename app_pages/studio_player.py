"""The studio's player: the first bars play within a second of Generate, the rest follows;
a mixer (mute, solo, volume per part and effect bed) acts on the stems in the browser; a
piano roll with the playhead, sections and chords; Bounce makes the mix on the server."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.common import models_for_request, player_component, session_dir
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import LofiError
from lofi.service.figures import waveform
from lofi.service.mixer import bounce
from lofi.service.recipe import TrackRequest
from lofi.service.sounds import METER_COLUMNS, sound_meter
from lofi.service.studio_stream import PlayerTake, start_take
from lofi.service.takes import DOWNLOADS, take_file

FIRST_WAIT_S = 30.0  # Generate waits this long at most for the first bars
AUTOPLAY_S = 60.0  # a take made this recently starts by itself when its first bars arrive
LABELS = {"chords": "🎹 chords", "melody": "🎷 melody", "bass": "🎸 bass", "drums": "🥁 drums"}
PLAYER = player_component(
    "lofi_studio_player",
    ("player_master.js", "studio_player.js"),
    ".lofi-studio{font-size:.9rem}.lofi-studio button{margin-right:.35rem;"
    "padding:.25rem .7rem;border-radius:.4rem;border:1px solid #555;background:#262730;"
    "color:#fafafa;cursor:pointer}.lofi-studio button.on{background:#f4a261;color:#111}"
    ".lofi-studio .bar{display:flex;align-items:center;gap:.5rem;flex-wrap:wrap}"
    ".lofi-studio .info{opacity:.85}.lofi-studio .status{opacity:.7;font-style:italic}"
    ".lofi-studio canvas{display:block;width:100%;border-radius:.3rem;margin-top:.35rem;"
    "cursor:pointer}.lofi-studio .overview{height:34px}.lofi-studio .roll{height:220px}"
    ".lofi-studio .mixer{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));"
    "gap:.2rem .9rem;margin-top:.5rem}.lofi-studio .strip{display:flex;align-items:center;"
    "gap:.3rem}.lofi-studio .strip .name{width:6.5rem;flex:none;white-space:nowrap;"
    "overflow:hidden;text-overflow:ellipsis}"  # a long bed name ends in … (whole on hover)
    ".lofi-studio .strip button{padding:.1rem .45rem;margin:0}"
    ".lofi-studio .strip input{flex:1;min-width:90px}.lofi-studio .strip .db{width:4.2rem;"
    "text-align:right;font-variant-numeric:tabular-nums}",
)


def generate(
    request: TrackRequest, progress_slot: Any, label: str = "Generate", parent: int | None = None
) -> None:
    """Generate: composes, then returns as soon as the first bars can play (the rest of the
    track is made in the background, the player picks it up, and it is saved as a take)."""
    models = models_for_request(request)
    session = session_dir()
    with progress_slot, st.spinner("Composing and rendering the first bars…"):
        take = start_take(request, models, session, st.session_state.session_id, label, parent)
        take.wait_first(FIRST_WAIT_S)
    st.session_state.player_take = take
    st.session_state.player_take_at = time.time()
    st.session_state.pop("bounced", None)
    st.session_state.pop("track", None)  # the downloads come back with the new track's files
    if take.error:
        raise LofiError(take.error)


def _finish(take: PlayerTake) -> None:
    """Once the take's files are written, they become the page's track (downloads, plots)."""
    track = take.track
    assert track is not None and take.out is not None
    st.session_state.track = {
        "dir": str(take.out),
        "paths": {k: str(v) for k, v in take.paths.items()},
        "song": take.song,
        "seconds": take.timings.get("made", 0.0),
        "first_audio": take.timings.get("first_audio", 0.0),
        "waveform": waveform(track.mix, SAMPLE_RATE),
        "timings": {k: v for k, v in track.timings.items() if k in ("compose", "render", "mix")},
        "take": take.id,
        "meter": sound_meter(track.mix, track.stems.get("drums")),
    }


def show(slot: Any) -> None:
    """The player (its own fragment: the component's polls and mixer changes rerun only it)."""
    with slot:
        if st.session_state.get("player_take") is None:
            st.info("Pick your settings and press **Generate**: it plays within a second.")
            return
        _player()


@st.fragment
def _player() -> None:
    take: PlayerTake = st.session_state.player_take
    data = take.for_player()
    for strip in data["strips"]:
        strip["label"] = LABELS.get(strip["name"], f"🌧️ {strip['name']}")
    data["autoplay"] = time.time() - st.session_state.get("player_take_at", 0.0) < AUTOPLAY_S
    PLAYER(
        key="studio_player",
        data=data,
        on_mix_change=lambda: None,
        on_poll_change=lambda: None,
        height="content",
    )
    if take.error:
        st.error(f"The track could not be made: {take.error}")
    info = st.session_state.get("track")
    if take.paths and (not info or info.get("take") != take.id):
        _finish(take)
        st.rerun(scope="app")  # the downloads and plots of the new track
    if info and info.get("take") == take.id:
        song = take.song
        t = take.timings
        st.caption(
            f"{song.key.name} · {song.bpm:g} BPM · {song.bars} bars · first sound after "
            f"{t.get('first_audio', 0):.2f} s, whole track in {t.get('made', 0):.1f} s"
        )
        meter(info["meter"])
        bounce_panel(take)


def meter(report: dict[str, Any]) -> None:
    """The take's sound report in one line; a figure off its target is marked ⚠."""
    figures, off = report["figures"], set(report["misses"])
    cells = [
        f"{'⚠ ' if c.key in off else ''}{c.cell(figures)} {c.label}"
        for c in METER_COLUMNS
        if figures[c.key] == figures[c.key]  # NaN: no drum stem
    ]
    st.caption(
        "Meter: " + " · ".join(cells),
        help="Loudness, true peak, brightness, width and "
        "the drums' punch of the mixed track; ⚠ marks a figure off a lofi master's target",
    )


def bounce_panel(take: PlayerTake) -> None:
    """Bounce: the mix as set in the mixer, made on the server, with its recipe."""
    state = st.session_state.get("studio_player")
    mix = getattr(state, "mix", None) if state is not None else None
    strips = mix.get("strips", {}) if isinstance(mix, dict) and mix.get("take") == take.id else {}
    if st.button(
        "🎚️ Bounce mix",
        help="Renders the final mix with the mixer's levels, mutes and solos; its recipe "
        "records them, so it makes the same mix again",
        key="bounce",
    ):
        try:
            with st.spinner("Bouncing…"):
                models = models_for_request(take.request)
                request, out = bounce(take, strips, models)
            st.session_state.bounced = {"take": take.id, "dir": str(out), "muted": request.muted}
        except LofiError as exc:
            st.error(str(exc))
    done = st.session_state.get("bounced")
    if not done or done.get("take") != take.id:
        return
    muted = f" (muted: {', '.join(done['muted'])})" if done["muted"] else ""
    st.caption(f"Bounced mix{muted}: a take of its own, below with the others")
    folder = Path(done["dir"])
    for col, (kind, word) in zip(
        st.columns(3), (("wav", "WAV"), ("mp3", "MP3"), ("recipe", "recipe")), strict=True
    ):
        name, mime = DOWNLOADS[kind]
        col.download_button(
            f"⬇️ Bounce {word}",
            partial(take_file, folder, kind),
            f"bounce-{name}",
            mime,
            key=f"dl_bounce_{kind}",
            on_click="ignore",
            width="stretch",
        )
