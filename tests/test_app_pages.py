"""The dataset and evaluate pages through Streamlit's AppTest, and what the app loads.

The studio and training pages have their own files (test_app_pages_studio.py,
test_app_pages_training.py); tests/page_driver.py drives them all.
"""

import re
from pathlib import Path

from tests.page_driver import APP, button, open_app


def test_dataset_page_shows_statistics_and_bad_files(app_env) -> None:
    at = open_app("app_pages/dataset.py", corpus="tiny")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Files"] == "2" and metrics["Bad files"] == "1"
    assert len(at.get("plotly_chart")) >= 7
    assert any("truncated.mid" in str(df.value) for df in at.dataframe)
    button(at, "▶️ Play it").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (audio,) = at.get("audio")
    assert audio.proto.url  # an MP3 excerpt served from memory: no preview file per session
    assert not list(app_env["user"].rglob("*.wav"))


def test_dataset_page_lists_and_opens_the_bundled_lofi_pack(app_env) -> None:
    at = open_app("app_pages/dataset.py", corpus="lofi")
    assert "lofi" in at.selectbox(key="corpus_choice").options
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Files"] == "99" and metrics["Bad files"] == "0"


def test_saving_a_corpus_selects_it_and_empties_the_uploader(app_env) -> None:
    midi = (Path(__file__).parent / "data" / "midi" / "tiny_c_major.mid").read_bytes()
    at = open_app("app_pages/dataset.py")
    for name, count in (("first", 2), ("second", 1)):
        at.text_input(key="corpus_name").set_value(name)
        uploader = next(u for u in at.file_uploader if u.label.startswith("Drop"))
        uploader.set_value(
            [(f"{name}{i}.mid", midi + b"\0" * i, "audio/midi") for i in range(count)]
        )
        at.run()
        button(at, "Keep these files as a corpus").click()
        at.run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert at.session_state["corpus"] == name
        assert at.selectbox(key="corpus_choice").value == name
        word = "file" if count == 1 else "files"
        assert [s.value for s in at.success] == [f"Saved {count} {word} as corpus {name}"]
        assert len(list((app_env["user"] / "corpora" / name).iterdir())) == count
    at.run()
    assert not at.success  # the message does not stay


def test_evaluate_page_compares_generated_songs_with_the_corpus(app_env) -> None:
    from lofi.data.corpus import load_corpus
    from lofi.data.split import split_pieces
    from lofi.tools.yardstick import TOO_FEW
    from tests.factories import write_corpus

    folder = write_corpus(app_env["user"] / "corpora" / "blocks", "block", 24, seed=5)
    at = open_app("app_pages/evaluate.py", corpus="blocks")
    assert not at.get("plotly_chart")  # nothing runs before the button
    next(n for n in at.number_input if n.label == "Songs").set_value(2)
    next(n for n in at.number_input if n.label == "Bars per song").set_value(8)
    next(s for s in at.slider if s.label == "Held-out share").set_value(0.3)
    next(r for r in at.radio if r.label == "Window (bars)").set_value(1)
    button(at, "Evaluate").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert {"Realism gap", "Overlap ratio"} <= set(metrics)
    held = split_pieces(load_corpus(folder), 0.3)[1]
    assert metrics["Held-out pieces"] == str(len(held))
    # The blocks are one piano track a file, a pack of piano loops: the songs are heard in
    # its parts, in those of the 16 1-bar windows (2 songs of 8 bars) where those play.
    caption = " ".join(c.value for c in at.caption)
    assert "Compared: chords, melody (the parts blocks has: no drums" in caption, caption
    assert 0 < int(metrics["Song windows"]) <= 16
    assert len(at.get("plotly_chart")) == 2
    auc = at.dataframe[0].value
    assert list(auc["classifier"])[:2] == ["logistic", "forest"]
    for text in [*auc["human baseline"], *auc["songs vs held-out"]]:  # figure [low, high]
        value, low, high = (float(x) for x in re.findall(r"-?\d+\.\d+", text))
        assert 0.0 <= low <= value <= high <= 1.0
    told = [w.value for w in at.warning]
    assert (metrics["Realism gap"] == "too few windows" and any(TOO_FEW in w for w in told)) or (
        metrics["Realism gap"].startswith(("+", "-")) and not told
    )
    assert "What tells the songs from the pieces" in [h.value for h in at.subheader]


def test_evaluate_page_explains_a_too_small_corpus(app_env) -> None:
    at = open_app("app_pages/evaluate.py", corpus="tiny")
    button(at, "Evaluate").click()
    at.run()
    assert any("Cannot evaluate" in e.value for e in at.error), [e.value for e in at.error]


PACK = Path(__file__).parent / "data" / "lofi_pack"


def _loop_case(at, pieces: str = "all", bars: int = 8) -> None:
    """Sets the loop case's pieces and song length and runs it."""
    next(r for r in at.radio if r.key == "loop_case_which").set_value(pieces)
    next(n for n in at.number_input if n.key == "loop_case_bars").set_value(bars)
    button(at, "Run the loop case").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_evaluate_page_runs_the_loop_case_on_the_corpus_chords(app_env) -> None:
    from lofi.data.corpus import load_corpus
    from lofi.models.loading import load_song_models
    from lofi.models.style import default_style_dir
    from lofi.tools.loop_case import corpus_loop_case
    from tests.factories import write_groove_midi

    folder = app_env["user"] / "corpora" / "pack"
    folder.mkdir()
    for path in sorted(PACK.glob("*.mid")):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder.parent / "long").mkdir()
    write_groove_midi(folder.parent / "long" / "long.mid", bars=70)  # longer than any loop
    at = open_app("app_pages/evaluate.py", corpus="pack")
    assert not at.dataframe and not at.get("download_button")  # nothing runs before the button
    _loop_case(at)
    assert not at.error, [e.value for e in at.error]
    (table,) = at.dataframe
    rows = table.value.to_dict("records")
    models = load_song_models(default_style_dir())  # the Studio's style in use
    expected = corpus_loop_case(load_corpus(str(folder)), models, "all", seed=1, bars=8)
    assert rows == expected.table()
    assert [r["figure"] for r in rows][:2] == [
        "chord tones on beats 1 and 3",
        "share of time resting",
    ]
    for row in rows[:2]:  # both columns hold a share for both figures
        assert 0.0 <= float(row["generated"]) <= 1.0 and 0.0 <= float(row["pieces"]) <= 1.0
    assert any(expected.reading() == m.value for m in at.markdown)
    captions = [c.value for c in at.caption]
    assert "Songs made as the Studio makes them: style default." in captions
    assert any("3 songs of 8 bars" in c for c in captions)
    labels = [getattr(d, "label", "") for d in at.get("download_button")]
    assert labels == ["⬇️ Figures (JSON)"]
    report = at.session_state.loop_case_report
    assert report == expected

    # A corpus none of whose pieces can be a loop: one clear line, the last report stays.
    next(s for s in at.selectbox if s.label == "Corpus").set_value("long")
    before = sorted(app_env["user"].rglob("*"))
    _loop_case(at)
    assert [e.value for e in at.error] == [
        "Cannot run the loop case: none of the 1 pieces of long can be a loop "
        "(long.mid: it lasts 70 bars; a loop may last 64)"
    ]
    assert not at.dataframe and not at.get("download_button")
    assert at.session_state.loop_case_report == expected
    assert sorted(app_env["user"].rglob("*")) == before  # nothing written
    at.run()  # the last report comes back on the next look
    assert not at.error and len(at.dataframe) == 1


def test_parse_children_import_nothing_of_theopen_app(monkeypatch) -> None:
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
