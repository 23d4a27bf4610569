"""Radio: press play and the music never stops; what plays, and a history to keep."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from app_pages.common import current_models, models_for_request, player_component, style_in_use
from lofi.core.errors import LofiError
from lofi.core.settings import GENERATION, MIX
from lofi.core.types import GenerationConfig, Key
from lofi.service.novelty import DriftLimits
from lofi.service.radio import THEME_EVERY, RadioSession, RadioSettings
from lofi.service.recipe import TrackRequest, style_request
from lofi.service.sounds import default_instruments, effect_beds

KEYS = [k.name for k in Key.all()]
OFF_DB = MIX.effect_off_db
BAR_CHOICES = [8, 16, 24, 32, 48, 64]
PLAYER = player_component(
    "lofi_radio_player",
    ("radio_player.js",),
    ".lofi-radio button{margin-right:.4rem;padding:.3rem .8rem;border-radius:.4rem;"
    "border:1px solid #555;background:#262730;color:#fafafa;cursor:pointer}"
    ".lofi-radio .now{margin-left:.6rem}.lofi-radio .chords{margin:.4rem 0;opacity:.8}"
    ".lofi-radio canvas{width:100%;height:160px;border-radius:.4rem}",
)


def settings_from_widgets() -> tuple[RadioSettings, dict[str, float]]:
    ss = st.session_state
    limits = DriftLimits(
        keys=tuple(ss.get("radio_keys") or DriftLimits().keys),
        bpm_range=tuple(float(v) for v in ss.get("radio_bpm", (70, 88))),  # type: ignore[arg-type]
        energy=float(ss.get("radio_energy", 0.5)),
    )
    settings = RadioSettings(
        limits=limits,
        bars=int(ss.get("radio_bars", 32)),
        crossfade_s=float(ss.get("radio_crossfade", 4.0)),
        # The Studio's loop as the station's theme, when the listener asks for it.
        theme=ss.get("loop") if ss.get("radio_theme") else None,
    )
    levels = {}
    for name in effect_beds():
        db = float(ss.get(f"radio_fx_{name}", MIX.effect_levels().get(name, OFF_DB)))
        levels[name] = db if db > OFF_DB else float("-inf")
    return settings, levels


def start_radio() -> RadioSession:
    """A new session for this listener (the old one's audio is removed)."""
    old = st.session_state.get("radio_session")
    if old is not None:
        old.close()
    settings, levels = settings_from_widgets()
    effect_files = effect_beds()
    paths = {n: effect_files[n] for n in levels}
    chosen = style_in_use()  # the style the sidebar names, as in the Studio
    if chosen is not None:
        base = style_request(GenerationConfig(), chosen[1], default_instruments(), levels, paths)
    else:
        melody, chords = current_models()
        base = TrackRequest(
            GenerationConfig(), melody, chords, default_instruments(), levels, paths
        )
    session = RadioSession(base, models_for_request(base), settings)
    st.session_state.radio_session = session
    session.ensure(0)
    session.wait_first(10.0)
    return session


def on_start() -> None:
    """A new station that plays at once (its callback runs before the page is drawn, so the
    button below already names what pressing it again does)."""
    st.session_state.pop("radio_error", None)
    try:
        st.session_state.radio_autoplay = start_radio().id
    except LofiError as exc:
        st.session_state.radio_error = str(exc)


def on_playing() -> None:
    """The player reports the track it plays; the first report starts the radio."""
    state = st.session_state.get("radio_player")
    playing = getattr(state, "playing", None) if state is not None else None
    if playing is None:
        return
    try:
        session = st.session_state.get("radio_session") or start_radio()
        session.ensure(int(playing))
    except LofiError as exc:
        st.session_state.radio_error = str(exc)


def on_refresh() -> None:
    """The player knows too few tracks ahead: the fragment's rerun sends it the queue."""
    session = st.session_state.get("radio_session")
    if session is not None:
        session.ensure()


def on_like() -> None:
    state = st.session_state.get("radio_player")
    session = st.session_state.get("radio_session")
    index = getattr(state, "like", None) if state is not None else None
    if session is not None and index is not None:
        session.like(int(index))


def limits_panel() -> None:
    with st.expander("Limits: keys, tempo, length, energy, effects", expanded=False):
        ss = st.session_state
        ss.setdefault("radio_keys", list(DriftLimits().keys))
        ss.setdefault("radio_bpm", (70, 88))
        ss.setdefault("radio_bars", 32)
        ss.setdefault("radio_energy", 0.5)
        ss.setdefault("radio_crossfade", 4.0)
        st.multiselect("Keys", KEYS, key="radio_keys")
        st.slider(
            "Tempo range (BPM)",
            int(GENERATION.bpm_range.low),
            int(GENERATION.bpm_range.high),
            key="radio_bpm",
        )
        st.select_slider("Track length (bars)", BAR_CHOICES, key="radio_bars")
        st.slider("Energy", 0.0, 1.0, step=0.05, key="radio_energy", help="calm … lively")
        st.slider("Crossfade (s)", 1.0, 8.0, step=0.5, key="radio_crossfade")
        for name in effect_beds():
            ss.setdefault(f"radio_fx_{name}", MIX.effect_levels().get(name, OFF_DB))
            st.slider(
                f"{name} (dB, {OFF_DB:g} is off)", OFF_DB, 0.0, step=1.0, key=f"radio_fx_{name}"
            )
        if "loop" in ss:
            st.checkbox(
                f"Station theme: your loop {ss.loop.loop.name} (from the Studio)",
                key="radio_theme",
                help=f"The first track and every {THEME_EVERY}th after it are built around "
                f"your loop as its {ss.loop.part}, at its key and tempo",
            )
        st.caption("Changes apply from the next track made.")


@st.fragment(run_every=2.0)
def player() -> None:
    session: RadioSession | None = st.session_state.get("radio_session")
    if session is not None:
        settings, levels = settings_from_widgets()
        try:
            session.update(settings, levels)
        except LofiError as exc:
            st.warning(f"{exc}; the last valid limits stay in use")
        session.ensure()
    data: dict[str, Any] = {
        "player": session.id if session else "idle",
        "crossfade": session.settings.crossfade_s if session else 4.0,
        "tracks": session.queue() if session else [],
        # The station "Start radio" made: the player starts its sound at once, as part of
        # that press (the browser allows sound after the click).
        "autoplay": st.session_state.get("radio_autoplay"),
    }
    PLAYER(
        key="radio_player",
        data=data,
        on_playing_change=on_playing,
        on_like_change=on_like,
        on_refresh_change=on_refresh,
        height=240,
    )
    if st.session_state.get("radio_error"):
        st.error(st.session_state.radio_error)
    if session is None:
        return
    if session.error:
        st.error(f"The radio stopped making tracks: {session.error}")
    # What plays, and its chords, the player says itself once the sound is heard.
    margins = session.margins()
    if margins:
        st.caption(f"Next track ready {min(margins):.0f} s before it was needed (least so far)")
    history(session)


def history(session: RadioSession) -> None:
    st.subheader("History")
    for track in reversed(session.tracks[-12:]):
        c1, c2, c3, c4 = st.columns([5, 1, 1, 1])
        mark = "♥ " if track.liked else ""
        state = "" if track.done else " (being made)"
        c1.markdown(f"{mark}{track.title}{state}")
        recipe = json.dumps(track.recipe(), indent=1)
        c2.download_button(
            "⬇️ Recipe",
            recipe,
            f"radio-{track.index + 1}-recipe.json",
            "application/json",
            key=f"radio_recipe_{session.id}_{track.index}",
            on_click="ignore",
        )
        if track.done and not track.pruned:
            c3.download_button(
                "⬇️ WAV",
                track.wav_bytes,
                f"radio-{track.index + 1}.wav",
                "audio/wav",
                key=f"radio_wav_{session.id}_{track.index}",
                on_click="ignore",
            )
        elif track.pruned:
            c3.caption("make it again from its recipe in the Studio")
        c4.button(
            "♥" if track.liked else "♡",
            key=f"radio_like_{session.id}_{track.index}",
            on_click=session.like,
            args=(track.index,),
        )


def station_from_url() -> None:
    """?bars=16&bpm=70-80&crossfade=3 opens the radio with those limits (a shareable station)."""
    q = st.query_params
    ss = st.session_state
    try:
        if "bars" in q:
            bars = int(q["bars"])
            ss.setdefault("radio_bars", min(BAR_CHOICES, key=lambda b: abs(b - bars)))
        if "bpm" in q:
            low, _, high = q["bpm"].partition("-")
            lo, hi = int(GENERATION.bpm_range.low), int(GENERATION.bpm_range.high)
            bpm = sorted(min(max(int(v), lo), hi) for v in (low, high or low))
            ss.setdefault("radio_bpm", (bpm[0], bpm[1]))
        if "crossfade" in q:
            ss.setdefault("radio_crossfade", min(max(float(q["crossfade"]), 1.0), 8.0))
    except ValueError:
        st.warning("The station's address has a setting that is not a number; defaults used.")


st.title("📻 Radio")
station_from_url()
st.caption(
    "Endless lofi: while one track plays the next is composed and rendered; key and tempo "
    "drift gently within your limits; tracks crossfade. Media keys work; it keeps playing "
    "in a background tab."
)
limits_panel()
started = "radio_session" in st.session_state
st.button(
    "↻ New station" if started else "▶ Start radio",
    key="radio_start",
    on_click=on_start,
    help="a new station with the limits below" if started else "start the radio: it plays at once",
)
player()
