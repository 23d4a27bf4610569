"""The studio's takes: every track of the session (play, compare, download, pin) and one
part of the current take made again while the rest of the song stays note for note."""

from __future__ import annotations

import json
import random
from functools import partial
from pathlib import Path

import streamlit as st

from lofi.core.errors import LofiError
from lofi.core.settings import LIMITS
from lofi.service.takes import (
    DOWNLOADS,
    PART_ACTIONS,
    Take,
    download_name,
    list_takes,
    read_take,
    regenerate_request,
    session_bytes,
    set_pinned,
    take_file,
    take_request,
)

PART_BUTTONS = {
    "drums": ("🥁 Drums", "New drums; chords, melody and bass stay note for note"),
    "melody": ("🎷 Melody", "A new melody over the same chords; the rest stays note for note"),
    "chords": (
        "🎹 Chords",
        "New chords (the bass follows them, the melody is drawn again over "
        "them); the drums stay note for note",
    ),
    "bass": ("🎸 Bass", "A new bass line; the rest stays note for note"),
}
SHOWN = 8  # takes listed before "Show every take"


def _mb(size: int) -> str:
    return f"{size / 1024**2:.0f} MB"


def _regenerate(folder: str, part: str) -> None:
    """Button callback: the current take's request with a new seed for one part, made next."""
    try:
        take = read_take(Path(folder))
        request = regenerate_request(take_request(Path(folder)), part, random.randrange(2**62))
        st.session_state.pending_request = request
        st.session_state.pending_take = (PART_ACTIONS[part], take.number)
    except LofiError as exc:
        st.session_state.recipe_error = str(exc)


def regenerate_row(folder: str | None) -> None:
    """One button per part, acting on the take in the player."""
    st.caption("A new part, the rest of the song note for note:")
    cols = st.columns(len(PART_BUTTONS))
    legacy, loop_part = False, None
    if folder:
        try:
            text = (Path(folder) / "recipe.json").read_text()
            legacy = "part_seeds" not in text
            loop_part = json.loads(text).get("loop", {}).get("part")
        except (OSError, ValueError, AttributeError):
            folder = None
    for col, (part, (text, help_text)) in zip(cols, PART_BUTTONS.items(), strict=True):
        col.button(
            text,
            key=f"regen_{part}",
            disabled=not folder or legacy or part == loop_part,
            on_click=_regenerate,
            args=(folder, part),
            help="Your loop plays this part, note for note"
            if part == loop_part
            else help_text
            if not legacy
            else "This take came from an older recipe: make it again with Generate first",
            width="stretch",
        )


def download_buttons(folder: Path, key: str, kinds: tuple[str, ...] = tuple(DOWNLOADS)) -> None:
    """Downloads of one take; the file is made when clicked, and the take is kept from then."""
    words = {"wav": "WAV", "mp3": "MP3", "midi": "MIDI", "recipe": "Recipe", "stems": "Stems"}
    cols = st.columns(len(kinds))
    for col, kind in zip(cols, kinds, strict=True):
        mime = DOWNLOADS[kind][1]
        col.download_button(
            f"⬇️ {words[kind]}",
            partial(take_file, folder, kind),
            download_name(folder, kind),
            mime,
            key=f"dl_{kind}_{key}",
            on_click="ignore",
            width="stretch",
            help="Every part as its own lossless FLAC (mono where the part is), named with "
            "the tempo and key, in a .zip"
            if kind == "stems"
            else None,
        )


def _pin_changed(folder: str, key: str) -> None:
    set_pinned(Path(folder), bool(st.session_state[key]))


def _take_row(take: Take) -> None:
    with st.container(border=True):
        top = st.columns([5, 2])
        kept = " · kept (downloaded)" if take.downloaded and not take.pinned else ""
        top[0].markdown(f"**{take.title}**  \n{take.summary} · {_mb(take.size)}{kept}")
        key = f"pin_{take.folder.name}"
        st.session_state[key] = take.pinned
        top[1].toggle(
            "📌 Pin",
            key=key,
            on_change=_pin_changed,
            args=(str(take.folder), key),
            help="A pinned take is never cleaned away to make room",
        )
        # One take's audio at a time: each player holds its WAV in the server's memory.
        if st.session_state.get("listening") == take.folder.name:
            st.audio(str(take.wav), format="audio/wav")
        else:
            top[1].button(
                "▶ Listen",
                key=f"listen_{take.folder.name}",
                on_click=lambda name=take.folder.name: st.session_state.update(listening=name),
                width="stretch",
            )
        download_buttons(take.folder, take.folder.name, ("wav", "mp3", "midi", "recipe"))


def takes_panel(session: Path) -> None:
    """Every take of the session, newest first, with a side-by-side comparison of two."""
    takes = list_takes(session)
    if not takes:
        return
    st.subheader(f"Takes ({len(takes)})")
    st.caption(
        f"{_mb(session_bytes(session))} on disk of this session's {_mb(LIMITS.session_bytes)}; "
        "when it is full the oldest takes make room, never a pinned or downloaded one."
    )
    titles = {t.title: t for t in takes}
    picked = st.multiselect(
        "Compare two takes",
        list(titles),
        max_selections=2,
        select_all=False,  # two takes are compared, never every one
        key="compare_takes",
        placeholder="Pick two takes to hear them side by side",
    )
    if len(picked) == 2:
        cols = st.columns(2)
        for col, title in zip(cols, picked, strict=True):
            take = titles[title]
            col.markdown(f"**{take.title}**  \n{take.summary}")
            col.audio(str(take.wav), format="audio/wav")
    everything = len(takes) <= SHOWN or st.toggle("Show every take", key="all_takes")
    for take in takes if everything else takes[:SHOWN]:
        _take_row(take)
