"""The Studio's Mix controls: the mix version and its named settings (lofi.audio.placement)."""

from __future__ import annotations

import streamlit as st

from lofi.core.settings import MIX, SETTINGS, Setting
from lofi.service.recipe import Mix

VERSIONS = {
    3: "3 · stereo, lighter bass, airier hats",
    2: "2 · stereo field, plate, ducking",
    1: "1 · mono (recipes made before it)",
}
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
    s = SETTINGS["width"]
    c1.slider(s.label, *_span(s), step=s.step, key="mix_width", disabled=mono, help=s.help)
    s = SETTINGS["reverb_db"]
    c2.slider(s.label, *_span(s), step=s.step, key="mix_reverb", disabled=mono, help=s.help)
    s = SETTINGS["saturation_db"]
    c1.slider(s.label, *_span(s), step=s.step, key="mix_saturation", disabled=mono, help=s.help)
    s = SETTINGS["ducking"]
    c2.checkbox(s.label, key="mix_ducking", disabled=mono, help=s.help)
    s = SETTINGS["dusty"]
    c2.checkbox(s.label, key="mix_dusty", disabled=mono, help=s.help)


def _span(setting: Setting) -> tuple[float, float]:
    assert setting.span is not None, setting.name
    return setting.span.low, setting.span.high
