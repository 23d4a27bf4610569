"""The pages through Streamlit's AppTest: real engine, tiny models, temporary folders."""

import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def _app(page: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in state.items():
        at.session_state[key] = value
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _preset(at: AppTest, part: str):
    return next(s for s in at.selectbox if s.key and s.key.startswith(f"preset_{part}_"))


def _generated(at: AppTest) -> None:
    """Runs the click; the first bars are playable when it returns, the files follow."""
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    take = at.session_state.player_take
    assert take.playable and take.pieces and take.wait_done(180), take.error
    at.run()  # the player sees the files: they become the page's track
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state.track["take"] == take.id


def _recipes(user: Path) -> list[Path]:
    return sorted((user / "sessions").rglob("recipe.json"), key=lambda p: p.stat().st_mtime_ns)


def test_studio_generates_a_track_with_downloads_and_reloads_its_recipe(app_env) -> None:
    at = _app()
    labels = {s.label for s in at.slider}
    assert {"Tempo (BPM)", "Length (bars)", "Temperature"} <= labels
    assert {s.label for s in at.selectbox} >= {"Key", "SoundFont", "Preset"}
    assert any(c.label == "Stay in key" for c in at.checkbox)
    next(s for s in at.slider if s.label == "Length (bars)").set_value(8)
    next(s for s in at.slider if s.label == "Tempo (BPM)").set_value(100)
    chords = _preset(at, "chords")
    chords.set_value(next(o for o in chords.options if o.startswith("0:26 ")))
    _button(at, "Generate").click()
    _generated(at)
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
    next(s for s in at.slider if s.label == "Tempo (BPM)").set_value(70)
    chords = _preset(at, "chords")
    chords.set_value(next(o for o in chords.options if o.startswith("0:0 ")))
    at.run()
    upload = next(u for u in at.file_uploader if u.label == "recipe.json")
    upload.set_value(("recipe.json", first.read_bytes(), "application/json"))
    at.run()
    _button(at, "Reproduce this recipe").click()
    _generated(at)
    assert at.number_input(key="seed").value == 7
    assert at.selectbox(key="key").value == "A-minor"
    assert next(s for s in at.slider if s.label == "Tempo (BPM)").value == 100
    assert _preset(at, "chords").value.startswith("0:26 ")
    _button(at, "Generate").click()
    _generated(at)
    recipes = _recipes(app_env["user"])
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

    at = _app()
    next(s for s in at.slider if s.label == "Length (bars)").set_value(8)
    _button(at, "Generate").click()
    _generated(at)
    _button(at, "🥁 Drums").click()
    _generated(at)
    (session,) = (app_env["user"] / "sessions").iterdir()
    newest, first = list_takes(session)
    assert (newest.number, newest.label, newest.parent) == (2, "new drums", 1)
    assert newest.seed == first.seed
    assert "Takes (2)" in [h.value for h in at.subheader]
    compare = at.multiselect(key="compare_takes")
    compare.set_value([newest.title, first.title])
    at.run()
    assert len(at.get("audio")) == 2  # the two compared (the player is a component)
    _button(at, "▶ Listen").click()
    at.run()
    assert len(at.get("audio")) == 2 + 1  # and the listened take
    at.toggle(key=f"pin_{first.folder.name}").set_value(True)
    at.run()
    assert list_takes(session)[1].pinned


def test_feel_controls_reach_the_recipe_and_a_new_soundfont_keeps_the_preset(app_env) -> None:
    import json
    import shutil

    copy = app_env["soundfonts"] / "Another GM.sf2"
    shutil.copy(next(app_env["soundfonts"].glob("*.sf2")), copy)
    try:
        at = _app()
        sliders = {s.label: s for s in at.slider}
        for name in ("Swing", "Energy", "Tape wobble", "Brightness (kHz)"):
            assert sliders[name].help, name  # a help line in plain words
        sliders["Swing"].set_value(0.66)
        sliders["Energy"].set_value(1.3)
        sliders["Tape wobble"].set_value(0.5)
        sliders["Brightness (kHz)"].set_value(5.0)
        next(s for s in at.slider if s.label == "Length (bars)").set_value(8)
        kit = next(s for s in at.selectbox if s.label == "Drum kit")
        kit.set_value(next(o for o in kit.options if o.startswith("128:") and o != kit.value))
        chosen_kit = str(kit.value)
        at.run()
        chords = _preset(at, "chords")
        chords.set_value(next(o for o in chords.options if o.startswith("0:26 ")))
        at.run()
        gm = next(app_env["soundfonts"].glob("sf_*.sf2")).name
        # The part keeps its program on another SoundFont, not what that one showed before.
        for font, expected, then in (("Another GM.sf2", "0:26 ", "0:11 "), (gm, "0:11 ", None)):
            at.selectbox(key="sf_chords").set_value(font)
            at.run()
            preset = _preset(at, "chords")
            assert preset.value.startswith(expected), (font, preset.value)
            if then:
                preset.set_value(next(o for o in preset.options if o.startswith(then)))
                at.run()
        _button(at, "Generate").click()
        _generated(at)
        recipe = json.loads(_recipes(app_env["user"])[-1].read_text())
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

    at = _app()
    next(s for s in at.slider if s.label == "Length (bars)").set_value(8)
    _button(at, "Generate").click()
    _generated(at)
    _button(at, "🎚️ Bounce mix").click()
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
    at = _app()
    before = at.session_state["seed"]
    _button(at, "🎲").click()
    at.run()
    assert at.session_state["seed"] != before


def test_bad_soundfont_upload_is_refused_and_nothing_is_added(app_env) -> None:
    at = _app()
    before = sorted(p.name for p in app_env["soundfonts"].iterdir())
    uploader = next(u for u in at.file_uploader if u.label.startswith("SoundFonts"))
    uploader.set_value(("my font.sf2", np.random.default_rng(0).bytes(5000), "audio/x-sf2"))
    at.run()
    assert any("not a SoundFont" in e.value for e in at.error), [e.value for e in at.error]
    assert sorted(p.name for p in app_env["soundfonts"].iterdir()) == before


def test_good_effect_upload_appears_in_the_effect_sliders(app_env) -> None:
    at = _app()
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


def test_dataset_page_shows_statistics_and_bad_files(app_env) -> None:
    at = _app("app_pages/dataset.py", corpus="tiny")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Files"] == "2" and metrics["Bad files"] == "1"
    assert len(at.get("plotly_chart")) >= 7
    assert any("truncated.mid" in str(df.value) for df in at.dataframe)
    _button(at, "▶️ Play it").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (audio,) = at.get("audio")
    assert audio.proto.url  # an MP3 excerpt served from memory: no preview file per session
    assert not list(app_env["user"].rglob("*.wav"))


def test_saving_a_corpus_selects_it_and_empties_the_uploader(app_env) -> None:
    midi = (Path(__file__).parent / "data" / "midi" / "tiny_c_major.mid").read_bytes()
    at = _app("app_pages/dataset.py")
    for name, count in (("first", 2), ("second", 1)):
        at.text_input(key="corpus_name").set_value(name)
        uploader = next(u for u in at.file_uploader if u.label.startswith("Drop"))
        uploader.set_value(
            [(f"{name}{i}.mid", midi + b"\0" * i, "audio/midi") for i in range(count)]
        )
        at.run()
        _button(at, "Keep these files as a corpus").click()
        at.run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert at.session_state["corpus"] == name
        assert at.selectbox(key="corpus_choice").value == name
        word = "file" if count == 1 else "files"
        assert [s.value for s in at.success] == [f"Saved {count} {word} as corpus {name}"]
        assert len(list((app_env["user"] / "corpora" / name).iterdir())) == count
    at.run()
    assert not at.success  # the message does not stay


def test_training_page_reports_a_failed_run(app_env) -> None:
    from lofi.service.runs import run_info

    at = _app("app_pages/training.py", corpus="tiny")
    assert any(n.label == "Epochs (most)" for n in at.number_input)
    # The tiny corpus has one good piece: too few to train, which the run must report.
    _button(at, "Start training").click()
    at.run()
    runs = app_env["user"] / "runs"
    (folder,) = list(runs.iterdir())
    deadline = time.time() + 120
    while time.time() < deadline and run_info(folder).status == "running":
        time.sleep(0.5)
    at.run()
    errors = [e.value for e in at.error]
    assert any("failed" in e and "at least two" in e for e in errors), errors


@pytest.mark.timeout(400)
def test_training_run_streams_points_and_stops_on_request(app_env, tiny_checkpoints) -> None:
    from lofi.learn.progress import read_progress
    from lofi.service.runs import run_info, start_run, stop_run

    corpus = app_env["user"] / "corpora" / "synthetic"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"c{i}.mid").write_bytes(
            (Path(__file__).parent / "data" / "midi" / "tiny_c_major.mid").read_bytes()
            + b"\0" * i  # different bytes, same music: three pieces
        )
    folder = start_run(
        app_env["user"] / "runs",
        "melody",
        str(corpus),
        {
            "epochs": 200,
            "seq_len": 4,
            "units": 8,
            "batch_size": 2,
            "patience": 200,
            "validation_split": 0.34,
        },
    )
    at = _app("app_pages/training.py")
    deadline = time.time() + 240
    points = []
    while time.time() < deadline:
        points = [r for r in read_progress(folder / "progress.jsonl") if r["event"] == "epoch"]
        if len(points) >= 2:
            break
        time.sleep(0.5)
    assert len(points) >= 2, (folder / "train.log").read_text()[-2000:]
    at.run()
    assert any(len(c.proto.spec) > 0 for c in at.get("plotly_chart"))
    assert run_info(folder).status == "running"
    stop_run(folder)
    deadline = time.time() + 60
    while time.time() < deadline and run_info(folder).status == "running":
        time.sleep(0.5)
    assert run_info(folder).status == "stopped"
    assert (folder / "model.keras").is_file()
    # The stopped child is reaped (no zombie), and the page shows where it stopped.
    pid = run_info(folder).pid
    deadline = time.time() + 30
    while time.time() < deadline and Path(f"/proc/{pid}").exists():
        run_info(folder)
        time.sleep(0.2)
    assert not Path(f"/proc/{pid}").exists()
    at.run()
    (bar,) = at.get("progress")
    assert 0 < bar.proto.value < 100 and "stopped" in bar.proto.text
    assert list(at.dataframe[0].value["status"]) == ["⏹️ stopped"]


def test_parse_children_import_nothing_of_the_app(monkeypatch) -> None:
    """Streamlit runs the app as `__main__`; a spawned parse child must not re-run it."""
    import sys
    import types

    from lofi.core.sandbox import run_limited

    main = types.ModuleType("__main__")
    main.__file__ = APP  # what Streamlit's script runner sets
    monkeypatch.setitem(sys.modules, "__main__", main)
    loaded = run_limited(eval, "sorted(__import__('sys').modules)")
    app = [m for m in loaded if m.split(".")[0] in ("streamlit", "app_pages", "tensorflow")]
    assert app == [] and "lofi.audio.render" not in loaded


def test_evaluate_page_compares_generated_songs_with_the_corpus(app_env) -> None:
    from tests.factories import write_corpus

    write_corpus(app_env["user"] / "corpora" / "blocks", "block", 24, seed=5)
    at = _app("app_pages/evaluate.py", corpus="blocks")
    assert not at.get("plotly_chart")  # nothing runs before the button
    next(n for n in at.number_input if n.label == "Songs").set_value(2)
    next(n for n in at.number_input if n.label == "Bars per song").set_value(8)
    _button(at, "Evaluate").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label for m in at.metric}
    assert {"Realism gap", "Overlap ratio"} <= metrics
    assert len(at.get("plotly_chart")) == 2
    auc = at.dataframe[0].value
    assert list(auc["classifier"])[:2] == ["logistic", "forest"]
    assert all(0.0 <= v <= 1.0 for v in auc["human half vs half"])


def test_evaluate_page_explains_a_too_small_corpus(app_env) -> None:
    at = _app("app_pages/evaluate.py", corpus="tiny")
    _button(at, "Evaluate").click()
    at.run()
    assert any("Cannot evaluate" in e.value for e in at.error), [e.value for e in at.error]


def test_studio_makes_a_track_in_a_style_chosen_by_name(app_env) -> None:
    import json
    import shutil

    from lofi.learn.style import FALLBACK_RULES, Style, write_style

    mine = app_env["user"] / "styles" / "mine"
    for part in ("melody", "chords"):
        shutil.copytree(app_env["checkpoints"] / part, mine / part)
    parts = {"melody": "melody", "chords": "chords"}
    write_style(Style(mine, "mine", "tiny", "1" * 64, "tests", parts, {"drums": FALLBACK_RULES}))
    (app_env["user"] / "styles" / "broken").mkdir()
    (app_env["user"] / "styles" / "broken" / "style.json").write_text("{}")
    at = _app()
    box = at.selectbox(key="style")
    assert box.options == ["default", "mine"]  # the broken one is left out
    box.set_value("mine")
    next(s for s in at.slider if s.label == "Length (bars)").set_value(8)
    at.run()
    _button(at, "Generate").click()
    _generated(at)
    recipe = json.loads(_recipes(app_env["user"])[-1].read_text())
    assert recipe["style"]["name"] == "mine"
    # The recipe brings its style back into the box.
    at.selectbox(key="style").set_value("default")
    at.run()
    upload = next(u for u in at.file_uploader if u.label == "recipe.json")
    upload.set_value(("recipe.json", json.dumps(recipe).encode(), "application/json"))
    at.run()
    _button(at, "Reproduce this recipe").click()
    _generated(at)
    assert at.selectbox(key="style").value == "mine"


@pytest.mark.timeout(600)
def test_training_page_trains_a_style_per_part_stops_and_resumes(app_env) -> None:
    import json

    from lofi.learn.progress import read_progress
    from lofi.service.runs import run_info, stop_run
    from tests.factories import groove_folder

    groove_folder(app_env["user"] / "corpora" / "grooves", n=5)
    at = _app("app_pages/training.py", corpus="grooves")
    at.radio[0].set_value("style")
    next(s for s in at.selectbox if s.label == "Start from (style)").set_value("default")
    next(n for n in at.number_input if n.label == "Epochs (most)").set_value(500)
    next(n for n in at.number_input if n.label == "LSTM units").set_value(8)
    _button(at, "Start training").click()
    at.run()
    (folder,) = list((app_env["user"] / "runs").iterdir())
    try:
        command = json.loads((folder / "run.json").read_text())["command"]
        assert command[2:4] == ["train", "style"] and "--from" in command
        assert str(app_env["checkpoints"]) in command and "--learning-rate" not in command
        deadline = time.time() + 300
        while time.time() < deadline:
            records = read_progress(folder / "melody" / "progress.jsonl")
            if any(r["event"] == "epoch" for r in records):
                break
            time.sleep(0.5)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert any(m.value == "**melody**" for m in at.markdown)
        assert len(at.get("plotly_chart")) >= 1
        stop_run(folder)
        deadline = time.time() + 120
        while time.time() < deadline and run_info(folder).status == "running":
            time.sleep(0.5)
        assert run_info(folder).status == "stopped" and run_info(folder).resumable
        at.run()
        first_pid = run_info(folder).pid
        _button(at, "▶️ Resume").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        record = json.loads((folder / "run.json").read_text())
        assert record["pid"] != first_pid and record["command"][-1] == "--resume"
    finally:
        stop_run(folder)
        deadline = time.time() + 120
        while time.time() < deadline and run_info(folder).status == "running":
            time.sleep(0.5)
