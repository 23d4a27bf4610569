"""The app in a real browser: Debian's chromium driven by Playwright, against a real server."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(app_dirs, tmp_path_factory):
    port = _free_port()
    env = {
        **os.environ,
        "LOFI_CHECKPOINTS_DIR": str(app_dirs["checkpoints"]),
        "LOFI_SOUNDFONTS_DIR": str(app_dirs["soundfonts"]),
        "LOFI_EFFECTS_DIR": str(app_dirs["effects"]),
        "LOFI_USER_DATA_DIR": str(app_dirs["user"]),
        "LOFI_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    # The README's server command (`make run`), on a free port.
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
    ]
    log = open(tmp_path_factory.mktemp("server") / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("the server did not start")
    yield url
    process.terminate()  # by its process id
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        yield context.new_page()
        browser.close()


def _shot(page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    pixels = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert pixels.std() > 10, f"{name} looks blank"
    return path


def test_studio_generates_plays_and_downloads(page, server) -> None:
    page.goto(server)
    page.get_by_role("button", name="Generate").click(timeout=60_000)
    page.wait_for_selector("audio", timeout=180_000)
    deadline = time.time() + 30
    duration = 0.0
    while time.time() < deadline:
        duration = page.evaluate("document.querySelector('audio').duration") or 0.0
        if duration == duration and duration > 0:  # not NaN: the metadata has loaded
            break
        time.sleep(0.3)
    assert duration > 60
    with page.expect_download() as download:
        page.get_by_role("button", name="⬇️ WAV").click()
    data = Path(download.value.path()).read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    _shot(page, "studio")


def test_random_bytes_soundfont_shows_an_error(page, server, app_dirs) -> None:
    page.goto(server)
    page.get_by_text("Bring your own sounds").click(timeout=60_000)
    bad = ARTIFACTS / "random.sf2"
    ARTIFACTS.mkdir(exist_ok=True)
    bad.write_bytes(np.random.default_rng(2).bytes(4096))
    before = sorted(p.name for p in app_dirs["soundfonts"].iterdir())
    page.locator("input[type=file]").first.set_input_files(str(bad))
    page.get_by_text("not a SoundFont").wait_for(timeout=60_000)
    assert sorted(p.name for p in app_dirs["soundfonts"].iterdir()) == before
    _shot(page, "studio-bad-upload")
    bad.unlink()


def test_dataset_and_training_pages(page, server) -> None:
    page.goto(f"{server}/dataset")
    page.locator("[data-testid=stSelectbox]").filter(has_text="Corpus").click(timeout=60_000)
    page.get_by_role("option", name="tiny").click()
    page.get_by_text("Bad files").wait_for(timeout=120_000)
    page.get_by_text("Piano roll").first.wait_for(timeout=60_000)
    _shot(page, "dataset")
    page.goto(f"{server}/training")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    _shot(page, "training")


def test_radio_plays_two_tracks_in_a_row_without_a_gap(page, server) -> None:
    crossfade = 2.0
    page.goto(f"{server}/radio?bars=8&bpm=96-100&crossfade={crossfade:g}")
    page.get_by_role("button", name="▶ Play").click(timeout=60_000)
    state = None
    deadline = time.time() + 240
    while time.time() < deadline:
        state = page.evaluate(
            """() => { const p = window.__lofiRadio; if (!p || !p.ctx) return null;
              return {now: p.ctx.currentTime, playing: p.playing, silence: p.silence.longest,
                      log: p.log}; }"""
        )
        second = state and next((e for e in state["log"] if e.get("index") == 1), None)
        if second and state["playing"] >= 1 and state["now"] > second["start"] + 2:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the radio did not reach its second track: {state}")
    assert not [e for e in state["log"] if "error" in e], state["log"]
    first = next(e for e in state["log"] if e.get("index") == 0)
    # The second track starts one crossfade before the first ends, never after it, and
    # the output never fell silent for as long as a crossfade.
    gap = second["start"] - first["end"]
    assert gap <= 0 and second["late"] == 0, (gap, second)
    assert -gap <= crossfade + 1e-3
    assert state["silence"] < crossfade
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "radio-gap.json").write_text(
        json.dumps({"gap_s": gap, "longest_silence_s": state["silence"], "log": state["log"]})
    )
    _shot(page, "radio")
    station = page.evaluate("window.__lofiRadio.station")
    page.goto("about:blank")  # stops the player; its audio files go with it
    shutil.rmtree(ROOT / "static" / "radio" / station, ignore_errors=True)
