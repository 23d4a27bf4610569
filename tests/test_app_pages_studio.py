"""The studio page through Streamlit's AppTest: real engine, tiny models, temporary folders."""

from pathlib import Path

import numpy as np
import pytest

from tests.page_driver import (
    button,
    generate,
    open_app,
    preset_box,
    saved_recipes,
    slider,
    wait_generated,
)


def test_studio_generates_a_track_with_downloads_and_reloads_its_recipe(app_env) -> None:
    at = open_app()
    labels = {s.label for s in at.slider}
    assert {"Tempo (BPM)", "Length (bars)", "Temperature"} <= labels
    assert {s.label for s in at.selectbox} >= {"Key", "SoundFont", "Preset"}
    assert any(c.label == "Stay in key" for c in at.checkbox)
    slider(at, "Length (bars)").set_value(8)
    slider(at, "Tempo (BPM)").set_value(100)
    chords = preset_box(at, "chords")
    chords.set_value(next(o for o in chords.options if o.startswith("0:26 ")))
    button(at, "Generate").click()
    wait_generated(at)
    assert not at.get("audio")  # the player is a component; a listed take plays when asked
    downloads = {getattr(d, "label", None) for d in at.get("download_button")}
    assert downloads == {"⬇️ WAV", "⬇️ MP3", "⬇️ MIDI", "⬇️ Recipe", "⬇️ Stems"}
    written = list((app_env["user"] / "sessions").rglob("mix.wav"))
    assert len(written) == 1 and written[0].read_bytes()[:4] == b"RIFF"
    _assert_track_folder(written[0].parent, bars=8, bpm=100)

    # Another panel, then the first recipe loaded: every control shows the recipe again
    # and the next Generate makes the same settings.
    first = written[0].parent / "recipe.json"
    at.number_input(key="seed").set_value(99)
    at.selectbox(key="key").set_value("D-minor")
    slider(at, "Tempo (BPM)").set_value(70)
    chords = preset_box(at, "chords")
    chords.set_value(next(o for o in chords.options if o.startswith("0:0 ")))
    at.run()
    upload = next(u for u in at.file_uploader if u.label == "recipe.json")
    upload.set_value(("recipe.json", first.read_bytes(), "application/json"))
    at.run()
    button(at, "Reproduce this recipe").click()
    wait_generated(at)
    assert at.number_input(key="seed").value == 7
    assert at.selectbox(key="key").value == "A-minor"
    assert slider(at, "Tempo (BPM)").value == 100
    assert preset_box(at, "chords").value.startswith("0:26 ")
    button(at, "Generate").click()
    wait_generated(at)
    recipes = saved_recipes(app_env["user"])
    assert len(recipes) == 3
    assert recipes[-1].read_text() == first.read_text()


def _assert_track_folder(folder: Path, bars: int, bpm: float) -> None:
    """The files the downloads hand out: they decode, last the song and sound as mastered."""
    import io
    import json

    import mido
    import pyloudnorm
    import soundfile as sf
    from pedalboard.io import AudioFile

    from lofi.service.track import mp3_of

    audio, rate = sf.read(folder / "mix.wav", dtype="float32")
    song_s = bars * 4 * 60 / bpm
    assert rate == 44100 and audio.shape[1] == 2
    assert song_s < len(audio) / rate < song_s + 3.0
    assert pyloudnorm.Meter(rate).integrated_loudness(audio) == pytest.approx(-14.0, abs=0.5)
    midi = mido.MidiFile(file=io.BytesIO((folder / "song.mid").read_bytes()))
    assert [t.name for t in midi.tracks[1:]] == ["chords", "melody", "bass", "drums"]
    assert midi.length == pytest.approx(song_s, abs=60 / bpm * 4)
    recipe = json.loads((folder / "recipe.json").read_text())
    assert (recipe["bars"], recipe["bpm"]) == (bars, bpm)
    # The MIDI names the chosen presets: each part's program is the recipe's.
    programs = {
        t.name: next(m.program for m in t if m.type == "program_change") for t in midi.tracks[1:]
    }
    assert programs == {p: e["program"] for p, e in recipe["instruments"].items()}
    assert programs["chords"] == 26
    from lofi.service.takes import take_stems

    assert not (folder / "stems").exists()  # made when first asked for
    assert sorted(take_stems(folder)) == ["bass", "chords", "drums", "melody"]
    with AudioFile(io.BytesIO(mp3_of(folder))) as decoded:
        assert decoded.duration == pytest.approx(len(audio) / rate, abs=0.1)


def test_takes_one_part_again_compare_and_pin(app_env) -> None:
    from lofi.service.takes import list_takes

    at = open_app()
    generate(at, bars=8)
    button(at, "🥁 Drums").click()
    wait_generated(at)
    (session,) = (app_env["user"] / "sessions").iterdir()
    newest, first = list_takes(session)
    assert (newest.number, newest.label, newest.parent) == (2, "new drums", 1)
    assert newest.seed == first.seed
    assert "Takes (2)" in [h.value for h in at.subheader]
    # The mixer of a take made again from its recipe keeps the band's order.
    strips = [s["name"] for s in at.session_state.player_take.for_player()["strips"]]
    assert strips[:4] == ["chords", "melody", "bass", "drums"]
    compare = at.multiselect(key="compare_takes")
    assert not compare.proto.select_all  # two takes are compared: no "Select all"
    compare.set_value([newest.title, first.title])
    at.run()
    assert len(at.get("audio")) == 2  # the two compared (the player is a component)
    button(at, "▶ Listen").click()
    at.run()
    assert len(at.get("audio")) == 2 + 1  # and the listened take
    at.toggle(key=f"pin_{first.folder.name}").set_value(True)
    at.run()
    assert list_takes(session)[1].pinned


def test_feel_controls_reach_the_recipe_and_a_new_soundfont_keeps_thepreset_box(app_env) -> None:
    import json
    import shutil

    copy = app_env["soundfonts"] / "Another GM.sf2"
    shutil.copy(next(app_env["soundfonts"].glob("*.sf2")), copy)
    try:
        at = open_app()
        sliders = {s.label: s for s in at.slider}
        for name in ("Swing", "Energy", "Tape wobble", "Brightness (kHz)"):
            assert sliders[name].help, name  # a help line in plain words
        sliders["Swing"].set_value(0.66)
        sliders["Energy"].set_value(1.3)
        sliders["Tape wobble"].set_value(0.5)
        sliders["Brightness (kHz)"].set_value(5.0)
        slider(at, "Length (bars)").set_value(8)
        kit = next(s for s in at.selectbox if s.label == "Drum kit")
        kit.set_value(next(o for o in kit.options if o.startswith("128:") and o != kit.value))
        chosen_kit = str(kit.value)
        at.run()
        chords = preset_box(at, "chords")
        chords.set_value(next(o for o in chords.options if o.startswith("0:26 ")))
        at.run()
        gm = next(app_env["soundfonts"].glob("sf_*.sf2")).name
        # The part keeps its program on another SoundFont, not what that one showed before.
        for font, expected, then in (("Another GM.sf2", "0:26 ", "0:11 "), (gm, "0:11 ", None)):
            at.selectbox(key="sf_chords").set_value(font)
            at.run()
            preset = preset_box(at, "chords")
            assert preset.value.startswith(expected), (font, preset.value)
            if then:
                preset.set_value(next(o for o in preset.options if o.startswith(then)))
                at.run()
        button(at, "Generate").click()
        wait_generated(at)
        recipe = json.loads(saved_recipes(app_env["user"])[-1].read_text())
        assert recipe["feel"] == {
            "swing": 0.66,
            "energy": 1.3,
            "tape_wow": 0.5,
            "lowpass_hz": 5000.0,
        }
        assert f"{recipe['instruments']['drums']['bank']}:" in chosen_kit
        assert chosen_kit.startswith(f"128:{recipe['instruments']['drums']['program']} ")
        assert recipe["instruments"]["chords"]["program"] == 11
    finally:
        copy.unlink()


def test_bounce_makes_the_mix_a_take_of_its_own(app_env) -> None:
    from lofi.service.takes import list_takes

    at = open_app()
    generate(at, bars=8)
    button(at, "🎚️ Bounce mix").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (session,) = (app_env["user"] / "sessions").iterdir()
    bounced, first = list_takes(session)
    assert (bounced.label, bounced.parent) == ("bounce", first.number)
    # No mixer change: the bounce is the track as generated, byte for byte.
    assert bounced.wav.read_bytes() == first.wav.read_bytes()
    labels = {getattr(d, "label", None) for d in at.get("download_button")}
    assert {"⬇️ Bounce WAV", "⬇️ Bounce MP3", "⬇️ Bounce recipe"} <= labels


def test_dice_changes_the_seed(app_env) -> None:
    at = open_app()
    before = at.session_state["seed"]
    button(at, "🎲").click()
    at.run()
    assert at.session_state["seed"] != before


def test_bad_soundfont_upload_is_refused_and_nothing_is_added(app_env) -> None:
    at = open_app()
    before = sorted(p.name for p in app_env["soundfonts"].iterdir())
    uploader = next(u for u in at.file_uploader if u.label.startswith("SoundFonts"))
    uploader.set_value(("my font.sf2", np.random.default_rng(0).bytes(5000), "audio/x-sf2"))
    at.run()
    assert any("not a SoundFont" in e.value for e in at.error), [e.value for e in at.error]
    assert sorted(p.name for p in app_env["soundfonts"].iterdir()) == before


def test_good_effect_upload_appears_in_the_effect_sliders(app_env) -> None:
    at = open_app()
    wav = (app_env["effects"] / "rain.wav").read_bytes()
    uploader = next(u for u in at.file_uploader if u.label.startswith("Effect beds"))
    uploader.set_value(("Thunder Storm!.wav", wav, "audio/wav"))
    at.run()
    assert (app_env["effects"] / "Thunder_Storm.wav").read_bytes() == wav
    assert any(s.label.startswith("Thunder_Storm") for s in at.slider)
    assert [s.value for s in at.success] == ["Added Thunder_Storm.wav"]
    uploader = next(u for u in at.file_uploader if u.label.startswith("Effect beds"))
    assert not uploader.value  # emptied: the next upload starts from nothing
    at.run()
    assert not at.success  # the message is shown once
    (app_env["effects"] / "Thunder_Storm.wav").unlink()


def test_studio_makes_a_track_in_a_style_chosen_by_name(app_env) -> None:
    import json
    import shutil

    from lofi.models.style import FALLBACK_RULES, Style, write_style

    mine = app_env["user"] / "styles" / "mine"
    for part in ("melody", "chords"):
        shutil.copytree(app_env["checkpoints"] / part, mine / part)
    parts = {"melody": "melody", "chords": "chords"}
    write_style(Style(mine, "mine", "tiny", "1" * 64, "tests", parts, {"drums": FALLBACK_RULES}))
    (app_env["user"] / "styles" / "broken").mkdir()
    (app_env["user"] / "styles" / "broken" / "style.json").write_text("{}")
    at = open_app()
    box = at.selectbox(key="style")
    assert box.options == ["default", "mine"]  # the broken one is left out
    assert _sidebar(at)[0] == "**default** · learned from synthetic"
    box.set_value("mine")
    slider(at, "Length (bars)").set_value(8)
    at.run()
    # The sidebar names the style in use and where each part comes from.
    side = _sidebar(at)
    assert side[0] == "**mine** · learned from tiny"
    sources = dict(line.removeprefix("- ").split(": ", 1) for line in side[1].splitlines())
    assert sources["melody"] == sources["chords"] == "learned from tiny"
    assert sources["drums"] == "hand-written drum grooves"
    assert {"bass", "comping", "form", "timing"} <= set(sources)
    assert not any(line.startswith("Melody:") for line in side)
    button(at, "Generate").click()
    wait_generated(at)
    recipe = json.loads(saved_recipes(app_env["user"])[-1].read_text())
    assert recipe["style"]["name"] == "mine"
    # The recipe brings its style back into the box.
    at.selectbox(key="style").set_value("default")
    at.run()
    upload = next(u for u in at.file_uploader if u.label == "recipe.json")
    upload.set_value(("recipe.json", json.dumps(recipe).encode(), "application/json"))
    at.run()
    button(at, "Reproduce this recipe").click()
    wait_generated(at)
    assert at.selectbox(key="style").value == "mine"


def _sidebar(at) -> list[str]:
    return [m.value for m in at.sidebar.markdown if not m.value.startswith("###")]


def test_mix_controls_reach_the_recipe_an_old_recipe_keeps_its_mono_mix_and_a_meter_shows(
    app_env,
) -> None:
    import json

    at = open_app()
    slider(at, "Length (bars)").set_value(8)
    for label in ("Stereo width", "Plate reverb (dB)", "Tape saturation (dB)"):
        assert slider(at, label).help, label
    slider(at, "Stereo width").set_value(1.5)
    slider(at, "Plate reverb (dB)").set_value(-10.0)
    slider(at, "Tape saturation (dB)").set_value(8.0)
    next(c for c in at.checkbox if c.label == "Dusty (12-bit, 26 kHz)").check()
    next(c for c in at.checkbox if c.label == "Duck under the kick").uncheck()
    button(at, "Generate").click()
    wait_generated(at)
    first = saved_recipes(app_env["user"])[-1]
    recipe = json.loads(first.read_text())
    assert recipe["mix"] == {
        "version": 3,
        "width": 1.5,
        "reverb_db": -10.0,
        "ducking": False,
        "saturation_db": 8.0,
        "dusty": True,
    }
    meter = [c.value for c in at.caption if c.value.startswith("Meter: ")]
    assert len(meter) == 1 and " LUFS" in meter[0] and "L/R corr." in meter[0]

    # A recipe made before the stereo mix: Load recipe puts the mono mix in the panel.
    old = {k: v for k, v in recipe.items() if k != "mix"} | {"format_version": 3}
    upload = next(u for u in at.file_uploader if u.label == "recipe.json")
    upload.set_value(("recipe.json", json.dumps(old).encode(), "application/json"))
    at.run()
    button(at, "Reproduce this recipe").click()
    wait_generated(at)
    assert at.selectbox(key="mix_version").value == 1
    assert "mix" not in json.loads(saved_recipes(app_env["user"])[-1].read_text())


def test_a_seed_is_the_same_song_in_the_studio_and_the_shell(app_env, tmp_path) -> None:
    import json

    from lofi.cli import main

    at = open_app(seed=7)
    generate(at, bars=8)
    studio = saved_recipes(app_env["user"])[-1].parent
    shell = tmp_path / "shell"
    assert main(["generate", "--seed", "7", "--bars", "8", "--out", str(shell), "--no-mp3"]) == 0
    assert (shell / "song.mid").read_bytes() == (studio / "song.mid").read_bytes()
    made = {
        k: json.loads((f / "recipe.json").read_text()) for k, f in (("s", studio), ("c", shell))
    }
    assert made["c"]["part_seeds"] == made["s"]["part_seeds"]  # "one part again" works on both
    assert made["c"]["feel"] == made["s"]["feel"] and made["c"]["style"] == made["s"]["style"]
    assert str(app_env["checkpoints"]) not in (shell / "recipe.json").read_text()
