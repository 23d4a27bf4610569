"""Start from my loop: drop a .mid or MusicXML file (or pick a corpus piece) and its part."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app_pages.common import corpus_choices, corpus_path
from lofi.core.errors import LofiError
from lofi.core.settings import LIMITS
from lofi.core.types import Key
from lofi.service.loops import (
    LoopPart,
    corpus_loop_files,
    loop_at,
    loop_from_file,
    loop_summary,
    save_loop_upload,
)
from lofi.service.recipe import TrackRequest

PARTS = {"chords": "🎹 Chords", "melody": "🎷 Melody"}
SCOPES = {"whole": "The whole track", "A": "The A sections"}
NO_PIECE = "(pick a piece)"


def _use(loop: LoopPart) -> None:
    """The loop becomes the studio's: its key and tempo go into the controls."""
    s = st.session_state
    s.loop = loop
    s.key = loop.loop.key.name
    s.bpm = round(loop.loop.bpm)


def _dropped() -> None:
    """Uploader callback: the file is read and kept, or refused with one line."""
    s = st.session_state
    upload = s.get(f"loop_upload_{s.loop_round}")
    if upload is None:
        return
    try:
        _use(save_loop_upload(upload.getvalue(), upload.name, s.loop_part))
        s.pop("loop_error", None)
    except LofiError as exc:
        s.loop_error = str(exc)
    s.loop_round += 1  # an empty uploader: the file is kept (or refused)


def _picked() -> None:
    """Use-this-piece callback: a corpus piece becomes the loop."""
    s = st.session_state
    files = corpus_loop_files(corpus_path(s.loop_corpus))
    try:
        _use(loop_from_file(files[s.loop_piece], s.loop_part))
        s.pop("loop_error", None)
    except (LofiError, KeyError) as exc:
        s.loop_error = str(exc)


def _clear() -> None:
    st.session_state.pop("loop", None)


def loop_box() -> None:
    """The expander: the loop in use (with No loop), a dropper, a corpus picker, its part."""
    s = st.session_state
    s.setdefault("loop_round", 0)
    s.setdefault("loop_part", "chords")
    s.setdefault("loop_scope", "whole")
    with st.expander("🔁 Start from my loop", expanded="loop" in s):
        if "loop" in s:
            st.success(f"Your loop: {loop_summary(s.loop.loop)}")
            st.button("No loop", on_click=_clear, key="loop_clear")
        st.radio(
            "Your loop plays",
            list(PARTS),
            format_func=PARTS.get,
            key="loop_part",
            horizontal=True,
            help="The style writes the other parts around it, hearing it",
        )
        st.radio(
            "Where it plays",
            list(SCOPES),
            format_func=SCOPES.get,
            key="loop_scope",
            horizontal=True,
            help="The A sections: a chords loop of 1, 2 or 4 bars is the intro, the outro and "
            "the form's first chord loop; the style writes the other chord loops after it",
        )
        # No `type=`: Streamlit's check of it fails every rerun on a forged name (a NUL
        # byte); save_loop_upload refuses other kinds of file with one line instead.
        st.file_uploader(
            "Drop a .mid or MusicXML loop",
            key=f"loop_upload_{s.loop_round}",
            on_change=_dropped,
            max_upload_size=max(1, LIMITS.midi_bytes >> 20),
        )
        c1, c2 = st.columns(2)
        corpus = c1.selectbox("or a piece of a corpus", corpus_choices(), key="loop_corpus")
        try:
            names = [NO_PIECE, *sorted(corpus_loop_files(corpus_path(corpus)))]
        except LofiError as exc:
            names = [NO_PIECE]
            c1.caption(str(exc))
        c2.selectbox("Piece", names, key="loop_piece")
        st.button(
            "Use this piece",
            on_click=_picked,
            disabled=s.get("loop_piece", NO_PIECE) == NO_PIECE,
            key="loop_use_piece",
        )
        if "loop_error" in s:
            st.error(s.pop("loop_error"))


def with_loop(request: TrackRequest) -> TrackRequest:
    """The request around the studio's loop, as its part, at the controls' key and tempo."""
    s = st.session_state
    if "loop" not in s:
        return request
    loop: LoopPart = s.loop
    bpm = float(s.bpm) if int(s.bpm) != round(loop.loop.bpm) else None  # the slider rounds
    tuned = loop_at(loop, s.loop_part, Key.parse(s.key), bpm, s.loop_scope)
    config = replace(request.config, key=tuned.loop.key, bpm=tuned.loop.bpm)
    return replace(request, config=config, loop=tuned)


def loop_state(request: TrackRequest) -> dict[str, object]:
    """What Load recipe puts in the loop's controls: the recipe's loop and its part."""
    if request.loop is None:
        return {}
    return {"loop": request.loop, "loop_part": request.loop.part, "loop_scope": request.loop.scope}
