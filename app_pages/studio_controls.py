"""The studio's controls: settings, feel, instruments, effects, uploads and Load recipe."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.common import current_models, models_in_use_chosen
from app_pages.studio_loop import loop_box, loop_state, with_loop
from app_pages.studio_mix import MIX_DEFAULTS, mix_controls, mix_of_state, mix_state
from lofi.core.errors import LofiError
from lofi.core.parts import tracks
from lofi.core.paths import effects_dir, soundfonts_dir
from lofi.core.settings import GENERATION, LIMITS, MIX, SETTINGS, USER_SETTINGS, Setting
from lofi.core.types import Key
from lofi.service.recipe import (
    TrackRequest,
    from_recipe,
    setting_values,
    settings_config,
    style_request,
)
from lofi.service.recipe_schema import parse_recipe
from lofi.service.sounds import (
    Instrument,
    Preset,
    available_soundfonts,
    default_instruments,
    effect_beds,
    list_presets,
    soundfont_warnings,
)
from lofi.service.styles import style_choices
from lofi.service.uploads import save_effect, save_soundfont

MODELS_IN_USE = "models in use (Training page)"
OFF_DB = MIX.effect_off_db
GEN = GENERATION
KEYS = [k.name for k in Key.all()]
PART_LABELS = {"chords": "🎹 Chords", "melody": "🎷 Melody", "bass": "🎸 Bass", "drums": "🥁 Drums"}


def shown(setting: Setting, value: Any) -> Any:
    """A setting's value as its widget shows it (Hz as kHz; the tempo in whole BPM)."""
    if setting.name == "bpm":
        return round(value)
    return value / setting.unit if setting.unit != 1.0 else value


def widget_range(setting: Setting) -> tuple[Any, Any]:
    """The (low, high) of a setting's widget, in the unit it shows."""
    span = setting.widget or setting.span
    assert span is not None, setting.name
    if setting.name == "bpm":
        return int(span.low), int(span.high)
    return shown(setting, span.low), shown(setting, span.high)


# The settings the Studio has a widget for (each keyed by its name, shown in its unit); the
# register's two ends share one range slider. Top-p keeps its default here.
WIDGETS = tuple(
    s
    for s in USER_SETTINGS
    if s.name not in ("top_p", "register_low", "register_high") and s.group != "mix"
)
LOW, HIGH = SETTINGS["register_low"], SETTINGS["register_high"]
# Every control's widget key and its first value; a loaded recipe overwrites them.
DEFAULTS = {
    **{s.name: shown(s, s.default) for s in WIDGETS},
    "key": Key.parse(GEN.key).name,
    "register": (LOW.default, HIGH.default),
    **MIX_DEFAULTS,
}


@dataclass
class Panel:
    """What the controls hold after one run of the page."""

    generate: bool = False
    instruments: dict[str, Instrument] = field(default_factory=dict)
    levels: dict[str, float] = field(default_factory=dict)
    effect_files: dict[str, Path] = field(default_factory=dict)


@st.cache_data(show_spinner=False, max_entries=64)
def presets_of(path: str, mtime: float) -> list[Preset]:
    return list_presets(Path(path))


def label(preset: Preset) -> str:
    return f"{preset.bank}:{preset.program} {preset.name}"


def roll_dice() -> None:
    st.session_state.seed = random.randrange(1, 1_000_000)


def fonts() -> dict[str, Path]:
    return {f.name: f for f in available_soundfonts()}


def instrument_picker(
    part: str, default: Instrument, preset_label: str = "Preset"
) -> Instrument | None:
    """SoundFont, preset and volume of one part, each the column's full width (names are
    long); a new SoundFont keeps the part's program when it has it."""
    by_name = fonts()
    names = list(by_name)
    if st.session_state.get(f"sf_{part}") not in names:
        st.session_state[f"sf_{part}"] = (
            default.soundfont.name if default.soundfont.name in names else names[0]
        )
    font_name = st.selectbox("SoundFont", names, key=f"sf_{part}")
    font = by_name[font_name]
    try:
        presets = presets_of(str(font), font.stat().st_mtime)
    except LofiError as exc:
        st.error(str(exc))
        return None
    labels = [label(p) for p in presets]
    bank, program = st.session_state.get(f"program_{part}", (default.bank, default.program))
    same = [
        lab
        for p, lab in zip(presets, labels, strict=True)
        if (p.bank, p.program) == (bank, program)
    ]
    kind = [
        lab for p, lab in zip(presets, labels, strict=True) if (p.bank == 128) == (part == "drums")
    ]
    preset_key = f"preset_{part}_{font_name}"
    switched = st.session_state.get(f"sf_was_{part}") != font_name
    if switched or st.session_state.get(preset_key) not in labels:
        # Another SoundFont: the same program if it has one (not what it showed last time).
        st.session_state[preset_key] = (same or kind or labels)[0]
    st.session_state[f"sf_was_{part}"] = font_name
    choice = st.selectbox(preset_label, labels, key=preset_key)
    preset = presets[labels.index(choice)]
    st.session_state[f"program_{part}"] = (preset.bank, preset.program)
    st.session_state.setdefault(f"gain_{part}", default.gain_db)
    gains = MIX.instrument_gain_db_range
    gain = st.slider("Volume (dB)", gains.low, gains.high, step=1.0, key=f"gain_{part}")
    return Instrument(font, preset.bank, preset.program, gain)


def controls_of(request: TrackRequest) -> dict[str, object]:
    """The widget values that make `request` again (what Load recipe puts in the panel)."""
    c = request.config
    values = setting_values(c, request.tape)
    state: dict[str, object] = {
        **{s.name: shown(s, values[s.name]) for s in WIDGETS},
        "key": c.key.name,
        "register": (c.sampling.register_low, c.sampling.register_high),
        **mix_state(request.mix),
    }
    if request.style is not None:
        named = [n for n, f in style_choices().items() if f.resolve() == request.style.resolve()]
        if named:
            state["style"] = named[0]
    by_name = fonts()
    for part, inst in request.instruments.items():
        name = next(
            (n for n, p in by_name.items() if p.resolve() == inst.soundfont.resolve()), None
        )
        if name is None:
            continue
        preset = next(
            p
            for p in presets_of(str(inst.soundfont), inst.soundfont.stat().st_mtime)
            if (p.bank, p.program) == (inst.bank, inst.program)
        )
        state[f"sf_{part}"] = name
        state[f"preset_{part}_{name}"] = label(preset)
        state[f"program_{part}"] = (inst.bank, inst.program)
        state[f"gain_{part}"] = float(inst.gain_db)
    state.update(loop_state(request))
    for name in effect_beds():
        level = request.effects.get(name, float("-inf"))
        state[f"fx_{name}"] = (
            max(OFF_DB, min(MIX.effect_max_db, level)) if level > OFF_DB else OFF_DB
        )
    return state


def load_recipe() -> None:
    """Button callback: the uploaded recipe fills every control, then it is made."""
    upload = st.session_state.get("recipe_upload")
    if upload is None:
        return
    try:
        request = from_recipe(parse_recipe(upload.getvalue()))
        st.session_state.update(controls_of(request))
        st.session_state.pending_request = request
    except LofiError as exc:
        st.session_state.recipe_error = str(exc)


def _upload_mb(file_limit: int) -> int:
    """What an uploader may take, in MB: the file kind's cap or the server's, the lower."""
    return min(int(st.get_option("server.maxUploadSize")), file_limit >> 20)


def uploads(generate: bool = False) -> None:
    """SoundFonts and effect beds: each file checked and kept, then the uploaders emptied.

    `generate` is whether this run's Generate was pressed: it is carried past the rerun.
    """
    round_ = st.session_state.setdefault("upload_round", 0)
    col1, col2 = st.columns(2)
    # No `type=`: Streamlit's own check of it fails every rerun on a forged name (a NUL
    # byte); the upload checks below refuse other kinds of file with a message instead.
    sf_files = col1.file_uploader(
        "SoundFonts (.sf2, .sf3)",
        accept_multiple_files=True,
        key=f"sf_upload_{round_}",
        max_upload_size=_upload_mb(LIMITS.soundfont_bytes),
    )
    beds = col2.file_uploader(
        "Effect beds (.wav)",
        accept_multiple_files=True,
        key=f"fx_upload_{round_}",
        max_upload_size=_upload_mb(LIMITS.effect_bytes),
    )
    # Each upload is checked and kept once, by its upload id: a run that starts again while
    # one is being checked (another file added, a click) sees it done.
    done: dict[str, tuple[str, str]] = st.session_state.setdefault("uploads_done", {})
    notes: list[tuple[str, str]] = []
    for files, save, folder in (
        (sf_files, save_soundfont, soundfonts_dir()),
        (beds, save_effect, effects_dir()),
    ):
        for f in files or []:
            if f.file_id in done:
                continue
            extra: list[tuple[str, str]] = []
            try:
                kept = save(f.getvalue(), f.name, folder)
                done[f.file_id] = ("ok", f"Added {kept.name}")
                if save is save_soundfont:
                    extra = [("warning", text) for text in soundfont_warnings(kept)]
            except LofiError as exc:
                done[f.file_id] = ("error", f"{f.name}: {exc}")
            notes.append(done[f.file_id])
            notes += extra
    if notes:
        # Fresh, empty uploaders: the files are kept (or refused), and this round's messages
        # are the only ones shown.
        st.session_state.upload_notes = notes
        st.session_state.upload_round = round_ + 1
        # The rerun below would drop a Generate click of this run: it is carried over.
        st.session_state.generate_carried = generate or st.session_state.get("generate_carried")
        st.rerun()  # a new file appears in the lists at once
    shows = {"ok": st.success, "warning": st.warning}
    for level, text in st.session_state.pop("upload_notes", []):
        shows.get(level, st.error)(text)


def feel() -> None:
    """Swing, drum energy, the tape's colour and the melody's density, in a producer's words."""
    columns = st.columns(2)
    for i, s in enumerate(x for x in WIDGETS if x.group == "feel"):
        columns[i % 2].slider(s.label, *widget_range(s), step=s.step, key=s.name, help=s.help)


def style_box() -> None:
    """The style the track is made in: the shipped one, a user's, or the checkpoints the
    Training page put in use."""
    names = list(style_choices())
    if models_in_use_chosen() or not names:
        names.insert(0, MODELS_IN_USE)
    if st.session_state.get("style") not in names:
        st.session_state.style = names[0]
    st.selectbox("Style", names, key="style", help="Train or fine-tune one on the Training page")


def controls() -> Panel:
    """Draws every control; returns what they hold and whether Generate was pressed."""
    for name, value in DEFAULTS.items():
        st.session_state.setdefault(name, value)
    panel = Panel()
    # One row: the die as wide as it needs (a fixed column share clipped it on a laptop).
    row = st.container(horizontal=True, vertical_alignment="bottom")
    seed, bpm, bars = SETTINGS["seed"], SETTINGS["bpm"], SETTINGS["bars"]
    row.number_input(
        seed.label, *widget_range(seed), key="seed", step=1, help=seed.help, width="stretch"
    )
    row.button("🎲", on_click=roll_dice, help="A random seed", width="content")
    row.selectbox("Key", KEYS, key="key", width="stretch")
    c1, c2 = st.columns(2)
    c1.slider(bpm.label, *widget_range(bpm), key="bpm", help=bpm.help)
    c2.slider(bars.label, *widget_range(bars), step=GEN.bars_step, key="bars", help=bars.help)
    style_box()
    pressed = st.button("Generate", type="primary", width="stretch")
    panel.generate = pressed or bool(st.session_state.pop("generate_carried", False))
    loop_box()
    defaults = default_instruments()
    with st.expander("🎚️ Feel", expanded=True):
        feel()
        # The drum kit is the drums' preset (the Instruments section shows the same choice).
        drums = instrument_picker("drums", defaults["drums"], "Drum kit")
        if drums:
            panel.instruments["drums"] = drums
    with st.expander("🎛️ Mix", expanded=False):
        mix_controls()
    with st.expander("Advanced"):
        temperature, top_k, stay = (SETTINGS[n] for n in ("temperature", "top_k", "stay_in_key"))
        st.slider(
            temperature.label,
            *widget_range(temperature),
            step=temperature.step,
            key="temperature",
            help=temperature.help,
        )
        st.number_input(top_k.label, *widget_range(top_k), key="top_k", help=top_k.help)
        st.checkbox(stay.label, key="stay_in_key", help=stay.help)
        st.slider(
            "Melody register (MIDI pitch)",
            LOW.default,
            HIGH.default,
            key="register",
            help="The sounding pitches the melody may use (60 is middle C); the whole range "
            f"is the model's own register; at least {GEN.register_span} semitones wide",
        )
    with st.expander("Instruments", expanded=False):
        for part in tracks():
            if part == "drums":
                continue
            st.markdown(PART_LABELS[part])
            picked = instrument_picker(part, defaults[part])
            if picked:
                panel.instruments[part] = picked
    panel.effect_files = effect_beds()
    with st.expander("Effects", expanded=False):
        for name in panel.effect_files:
            st.session_state.setdefault(f"fx_{name}", MIX.effect_levels().get(name, OFF_DB))
            db = st.slider(
                f"{name} (dB, {OFF_DB:g} is off)",
                OFF_DB,
                MIX.effect_max_db,
                step=1.0,
                key=f"fx_{name}",
            )
            panel.levels[name] = db if db > OFF_DB else float("-inf")
    with st.expander("Bring your own sounds"):
        uploads(panel.generate)
    with st.expander("Load recipe"):
        recipe_file = st.file_uploader("recipe.json", key="recipe_upload")  # no type=: above
        st.button(
            "Reproduce this recipe",
            disabled=recipe_file is None,
            on_click=load_recipe,
            help="Sets every control to the recipe's values and makes the track again",
        )
    return panel


def request_of(panel: Panel) -> TrackRequest:
    """The track the controls describe, each part with its own seed (drawn from the seed)."""
    s = st.session_state
    values = {w.name: s[w.name] * w.unit for w in WIDGETS}
    values["register_low"], values["register_high"] = s.register
    config, tape = settings_config(values, Key.parse(s.key))  # as the shell makes it
    levels, paths = dict(panel.levels), {n: panel.effect_files[n] for n in panel.levels}
    styles = style_choices()
    if s.get("style") in styles:
        return with_loop(
            style_request(
                config, styles[s.style], panel.instruments, levels, paths, tape, mix=mix_of_state()
            )
        )
    melody_model, chord_model = current_models()
    return with_loop(
        TrackRequest(
            config,
            melody_model,
            chord_model,
            panel.instruments,
            levels,
            paths,
            tape=tape,
            mix=mix_of_state(),
        )
    )
