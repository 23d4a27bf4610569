"""The Studio's Mix controls: the mix version and its named settings (lofi.audio.placement)."""

from __future__ import annotations

import streamlit as st

from lofi.core.settings import MIX
from lofi.service.recipe import Mix

VERSIONS = {2: "2 · stereo field, plate, ducking", 1: "1 · mono (recipes made before it)"}
# Each control's widget key and its first value; a loaded recipe overwrites them.
MIX_DEFAULTS: dict[str, object] = {
    "mix_version": MIX.mix_version,
    "mix_width": MIX.width,
    "mix_reverb": MIX.reverb_db,
    "mix_ducking": MIX.ducking,
    "mix_saturation": MIX.saturation_db,
    "mix_dusty": MIX.dusty,
}


def mix_state(mix: Mix) -> dict[str, object]:
    """The widget values that give `mix` again."""
    return {
        "mix_version": mix.version,
        "mix_width": mix.width,
        "mix_reverb": mix.reverb_db,
        "mix_ducking": mix.ducking,
        "mix_saturation": mix.saturation_db,
        "mix_dusty": mix.dusty,
    }


def mix_of_state() -> Mix:
    """The mix the controls describe."""
    s = st.session_state
    return Mix(
        version=int(s.mix_version),
        width=float(s.mix_width),
        reverb_db=float(s.mix_reverb),
        ducking=bool(s.mix_ducking),
        saturation_db=float(s.mix_saturation),
        dusty=bool(s.mix_dusty),
    )


def mix_controls() -> None:
    """Width, plate, ducking, saturation and the dusty grain; greyed out for the mono mix."""
    st.selectbox(
        "Mix version",
        list(VERSIONS),
        format_func=VERSIONS.__getitem__,
        key="mix_version",
        help="A recipe keeps the mix it was made with; new tracks use the newest",
    )
    mono = int(st.session_state.mix_version) < 2
    c1, c2 = st.columns(2)
    c1.slider(
        "Stereo width",
        MIX.width_range.low,
        MIX.width_range.high,
        step=0.1,
        key="mix_width",
        disabled=mono,
        help="How wide the chords and melody spread: 0 keeps each instrument as it is, 1 the "
        "usual lofi width; the bass and the kick stay in the middle",
    )
    c2.slider(
        "Plate reverb (dB)",
        MIX.reverb_db_range.low,
        MIX.reverb_db_range.high,
        step=1.0,
        key="mix_reverb",
        disabled=mono,
        help=f"The shared plate the keys, melody and drums are sent to: {MIX.reverb_off_db:g} "
        "is off, 0 the usual room, more is washier",
    )
    c1.slider(
        "Tape saturation (dB)",
        MIX.saturation_db_range.low,
        MIX.saturation_db_range.high,
        step=1.0,
        key="mix_saturation",
        disabled=mono,
        help="How hard the master drives the tape: 0 is clean, more is warmer and grittier",
    )
    c2.checkbox(
        "Duck under the kick",
        key="mix_ducking",
        disabled=mono,
        help="The keys and the rain and vinyl dip a little at every kick (sidechain)",
    )
    c2.checkbox(
        "Dusty (12-bit, 26 kHz)",
        key="mix_dusty",
        disabled=mono,
        help="The master through a vintage sampler's bit depth and sample rate",
    )
