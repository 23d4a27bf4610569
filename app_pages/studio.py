"""Studio: settings, instruments and effects in; a finished track, its files and plots out."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import streamlit as st

from app_pages.common import current_models, models_for, session_dir
from lofi.audio.effects import list_effects
from lofi.audio.soundfonts import (
    Instrument,
    Preset,
    available_soundfonts,
    default_instruments,
    list_presets,
)
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import LofiError
from lofi.core.paths import effects_dir, soundfonts_dir
from lofi.core.types import PART_NAMES, GenerationConfig, Key, SamplingConfig
from lofi.service.figures import song_roll, waveform
from lofi.service.recipe import TrackRequest, from_recipe
from lofi.service.track import DEFAULT_EFFECTS, make_track, mp3_of, stems_zip, write_track
from lofi.service.uploads import save_effect, save_soundfont, unique_path

OFF_DB = -60.0
KEYS = [k.name for k in Key.all()]
PART_LABELS = {"chords": "🎹 Chords", "melody": "🎷 Melody", "bass": "🎸 Bass", "drums": "🥁 Drums"}


@st.cache_data(show_spinner=False, max_entries=64)
def presets_of(path: str, mtime: float) -> list[Preset]:
    return list_presets(Path(path))


def roll_dice() -> None:
    st.session_state.seed = random.randrange(1, 1_000_000)


def instrument_picker(part: str, default: Instrument) -> Instrument | None:
    fonts = available_soundfonts()
    names = [f.name for f in fonts]
    index = names.index(default.soundfont.name) if default.soundfont.name in names else 0
    c1, c2, c3 = st.columns([3, 4, 2])
    font_name = c1.selectbox("SoundFont", names, index=index, key=f"sf_{part}")
    font = fonts[names.index(font_name)]
    try:
        presets = presets_of(str(font), font.stat().st_mtime)
    except LofiError as exc:
        st.error(str(exc))
        return None
    labels = [f"{p.bank}:{p.program} {p.name}" for p in presets]
    wanted = next(
        (
            i
            for i, p in enumerate(presets)
            if (p.bank, p.program) == (default.bank, default.program)
        ),
        0,
    )
    if font != default.soundfont:
        wanted = next((i for i, p in enumerate(presets) if (p.bank == 128) == (part == "drums")), 0)
    choice = c2.selectbox("Preset", labels, index=wanted, key=f"preset_{part}_{font_name}")
    preset = presets[labels.index(choice)]
    gain = c3.slider("Volume dB", -24.0, 6.0, default.gain_db, 1.0, key=f"gain_{part}")
    return Instrument(font, preset.bank, preset.program, gain)


def uploads() -> None:
    done: set[str] = st.session_state.setdefault("uploaded_ids", set())
    col1, col2 = st.columns(2)
    fonts = col1.file_uploader(
        "SoundFonts (.sf2, .sf3)", type=["sf2", "sf3"], accept_multiple_files=True, key="sf_upload"
    )
    beds = col2.file_uploader(
        "Effect beds (.wav)", type=["wav"], accept_multiple_files=True, key="fx_upload"
    )
    added = False
    for files, save, folder in (
        (fonts, save_soundfont, soundfonts_dir()),
        (beds, save_effect, effects_dir()),
    ):
        for f in files or []:
            if f.file_id in done:
                continue
            done.add(f.file_id)
            try:
                kept = save(f.getvalue(), f.name, folder)
                st.session_state.setdefault("upload_notes", []).append(("ok", f"Added {kept.name}"))
                added = True
            except LofiError as exc:
                st.session_state.setdefault("upload_notes", []).append(("error", str(exc)))
    if added:
        st.rerun()  # the new file appears in the lists at once
    for level, text in st.session_state.get("upload_notes", []):
        (st.success if level == "ok" else st.error)(text)


def run(request: TrackRequest) -> None:
    models = models_for(request.melody_model, request.chord_model)
    bar = st.progress(0.0, text="Composing…")
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
    out = unique_path(session_dir(), f"{time.strftime('%H%M%S')}-seed{request.config.seed}")
    paths = write_track(track, request, out, mp3=False)  # the MP3 is made when asked for
    bar.empty()
    st.session_state.track = {
        "dir": str(out),
        "paths": {k: str(v) for k, v in paths.items()},
        "song": track.song,
        "seconds": time.perf_counter() - started,
        "waveform": waveform(track.mix, SAMPLE_RATE),
        "timings": dict(track.timings),
    }


def results() -> None:
    info = st.session_state.get("track")
    if not info:
        st.info("Pick your settings and press **Generate**.")
        return
    paths = {k: Path(v) for k, v in info["paths"].items()}
    st.subheader("Your track")
    st.audio(str(paths["wav"]), format="audio/wav")
    song = info["song"]
    stages = " · ".join(f"{k} {v:.1f}" for k, v in info.get("timings", {}).items())
    st.caption(
        f"{song.key.name} · {song.bpm:g} BPM · {song.bars} bars · made in "
        f"{info['seconds']:.1f} s ({stages})"
    )
    cols = st.columns(5)
    files = [
        ("WAV", "wav", "audio/wav"),
        ("MIDI", "midi", "audio/midi"),
        ("Recipe", "recipe", "application/json"),
    ]
    for col, (label, key, mime) in zip((cols[0], cols[2], cols[3]), files, strict=True):
        # A callable: the file is read only when the button is clicked.
        col.download_button(
            f"⬇️ {label}",
            paths[key].read_bytes,
            paths[key].name,
            mime,
            key=f"dl_{key}",
            on_click="ignore",
        )
    out = Path(info["dir"])
    cols[1].download_button(
        "⬇️ MP3", lambda: mp3_of(out), "mix.mp3", "audio/mpeg", key="dl_mp3", on_click="ignore"
    )
    stems = out / "stems"
    cols[4].download_button(
        "⬇️ Stems (.zip)",
        lambda: stems_zip(stems),
        "stems.zip",
        "application/zip",
        key="dl_stems",
        on_click="ignore",
    )
    st.plotly_chart(song_roll(info["song"]), width="stretch")
    st.plotly_chart(info["waveform"], width="stretch")


st.title("🎛️ Studio")
left, right = st.columns([2, 3], gap="large")
with left:
    st.session_state.setdefault("seed", 7)
    c1, c2 = st.columns([3, 1])
    c1.number_input("Seed", 0, 2**31 - 1, key="seed", step=1)
    c2.button("🎲", on_click=roll_dice, help="A random seed", width="stretch")
    key = st.selectbox("Key", KEYS, index=KEYS.index("A-minor"))
    bpm = st.slider("Tempo (BPM)", 60, 100, 78)
    bars = st.slider("Length (bars)", 8, 128, 48, step=4)
    temperature = st.slider(
        "Temperature", 0.1, 2.0, 0.9, 0.05, help="Lower is safer, higher is wilder"
    )
    stay = st.checkbox("Stay in key", value=True)
    instruments: dict[str, Instrument] = {}
    defaults = default_instruments()
    with st.expander("Instruments", expanded=False):
        for part in PART_NAMES:
            st.markdown(PART_LABELS[part])
            picked = instrument_picker(part, defaults[part])
            if picked:
                instruments[part] = picked
    levels: dict[str, float] = {}
    effect_files = list_effects(effects_dir())
    with st.expander("Effects", expanded=True):
        for name in effect_files:
            db = st.slider(
                f"{name} (dB, {OFF_DB:g} is off)",
                OFF_DB,
                0.0,
                DEFAULT_EFFECTS.get(name, OFF_DB),
                1.0,
                key=f"fx_{name}",
            )
            levels[name] = db if db > OFF_DB else float("-inf")
    with st.expander("Bring your own sounds"):
        uploads()
    melody_model, chord_model = current_models()
    generate = st.button("Generate", type="primary", width="stretch")
    with st.expander("Load recipe"):
        recipe_file = st.file_uploader("recipe.json", type=["json"], key="recipe_upload")
        reproduce = st.button("Reproduce this recipe", disabled=recipe_file is None)

with right:
    try:
        if generate and len(instruments) == len(PART_NAMES):
            config = GenerationConfig(
                int(st.session_state.seed),
                Key.parse(key),
                float(bpm),
                int(bars),
                SamplingConfig(temperature, 0, 0.95, stay),
            )
            used = {n: lvl for n, lvl in levels.items()}
            run(
                TrackRequest(
                    config,
                    melody_model,
                    chord_model,
                    instruments,
                    used,
                    {n: effect_files[n] for n in used},
                )
            )
        elif generate:
            st.error("Every part needs a usable SoundFont; see Instruments.")
        if reproduce and recipe_file is not None:
            try:
                data = json.loads(recipe_file.getvalue())
            except ValueError:
                raise LofiError("that file is not a JSON recipe") from None
            run(from_recipe(data))
    except LofiError as exc:
        st.error(f"{exc}")
    results()
