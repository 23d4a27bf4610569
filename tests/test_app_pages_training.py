"""The training page through Streamlit's AppTest: real runs of tiny models in child processes."""

import json
import time
from pathlib import Path

import pytest

from tests.page_driver import button, open_app


def test_training_page_reports_a_failed_run(app_env) -> None:
    from lofi.service.runs import run_info

    at = open_app("app_pages/training.py", corpus="tiny")
    assert any(n.label == "Epochs (most)" for n in at.number_input)
    # The tiny corpus has one good piece: too few to train, which the run must report.
    button(at, "Start training").click()
    at.run()
    runs = app_env["user"] / "runs"
    (folder,) = list(runs.iterdir())
    # Fields left as shown are the command's own defaults (a piano's: the shipped style's).
    command = json.loads((folder / "run.json").read_text())["command"]
    assert not {"--epochs", "--units", "--learning-rate"} & set(command), command
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
    at = open_app("app_pages/training.py")
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


@pytest.mark.timeout(600)
def test_training_page_trains_a_style_per_part_stops_and_resumes(app_env) -> None:
    from lofi.compose.song import compose
    from lofi.core.parts import part_names
    from lofi.core.types import GenerationConfig
    from lofi.learn.progress import read_progress
    from lofi.models.checkpoint import read_checkpoint
    from lofi.models.loading import load_song_models
    from lofi.models.style import read_style
    from lofi.service.runs import part_progress, run_info, stop_run
    from lofi.service.styles import style_choices
    from tests.factories import groove_folder

    groove_folder(app_env["user"] / "corpora" / "grooves", n=5)
    at = open_app("app_pages/training.py", corpus="grooves")
    at.radio[0].set_value("style")
    next(s for s in at.selectbox if s.label == "Start from (style)").set_value("default")
    next(n for n in at.number_input if n.label == "Epochs (most)").set_value(500)
    units = next(n for n in at.number_input if n.label == "LSTM units")
    shown = units.value
    units.set_value(8)  # a fine-tuned style keeps its base's size: refused, nothing started
    button(at, "Start training").click()
    at.run()
    assert any("keeps its base's size" in e.value for e in at.error), at.error
    runs = app_env["user"] / "runs"
    assert not runs.exists() or not list(runs.iterdir())
    next(n for n in at.number_input if n.label == "LSTM units").set_value(shown)
    button(at, "Start training").click()
    at.run()
    (folder,) = list(runs.iterdir())
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
        # Usable at once: the Studio's styles hold its best melody so far, the parts it had
        # not trained yet from the shipped style, as style.json allows.
        stopped = style_choices()[f"runs/{folder.name} (stopped)"]
        style = read_style(stopped)
        # Whatever it got to (melody at least): finished parts and the best of the stopped one.
        trained = [k for k in part_names() if _has_model(folder / k, k)]
        assert "melody" in trained and sorted(style.parts) == sorted(trained)
        for kind in trained:
            best = read_checkpoint(folder / kind, kind).meta["model_sha256"]
            assert style.model_sha256()[kind] == best
        shipped = read_style(app_env["checkpoints"])
        for kind in set(shipped.parts) - set(trained):
            assert style.models[kind] == shipped.models[kind]
        for kind in set(shipped.fallbacks) - set(trained):
            assert style.fallbacks[kind] == shipped.fallbacks[kind]
        song = compose(GenerationConfig(bars=8), load_song_models(stopped))
        assert {p.name for p in song.parts} >= {"melody", "chords", "drums"}
        at.run()
        # The table counts the epochs of the part in training against its own most epochs.
        (epochs,) = list(at.dataframe[0].value["epochs"])
        current = list(part_progress(folder))[-1]
        assert epochs.startswith(f"{current} ") and epochs.endswith("/500")
        assert button(at, "🎛️ Use in studio")  # beside Resume
        button(at, "🎛️ Use in studio").click()
        at.run()
        assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
        assert at.session_state.style == f"runs/{folder.name} (stopped)"
        first_pid = run_info(folder).pid
        button(at, "▶️ Resume").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        record = json.loads((folder / "run.json").read_text())
        assert record["pid"] != first_pid and record["command"][-1] == "--resume"
    finally:
        stop_run(folder)
        deadline = time.time() + 120
        while time.time() < deadline and run_info(folder).status == "running":
            time.sleep(0.5)


def _has_model(folder, kind: str) -> bool:
    from lofi.core.errors import CheckpointError
    from lofi.models.checkpoint import read_checkpoint

    try:
        read_checkpoint(folder, kind)
    except CheckpointError:
        return False
    return True
