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
    assert metrics["Song windows"] == "16"  # 2 songs of 8 bars in 1-bar windows
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
