"""The studio on a 1366×768 laptop screen in a real browser: Generate and the player in view
without scrolling, takes made and listed. Debian's chromium driven by Playwright."""

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.test_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    CHROMIUM,
    _shot,
    browser_page,
    served_dirs,
    server,
    server_process,
)

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
LAPTOP: "ViewportSize" = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def laptop(server):  # noqa: F811
    with browser_page(LAPTOP) as tab:
        yield tab


def _in_view(page, locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box, "not drawn"
    assert box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"], box
    assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"], box
    return box


def _playable(page, timeout_s: float = 180.0) -> float:
    """The player's take once it plays (its first bars), with the track's length."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        duration = page.evaluate(
            "(() => { const p = window.__lofiStudio;"
            " return p && p.take && p.playing ? p.take.duration : 0; })()"
        )
        if duration:
            return float(duration)
        time.sleep(0.1)
    pytest.fail("no playable audio")


CLIPPED = """(el) => [el, ...el.querySelectorAll("*")].filter(
    (e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right
      > el.getBoundingClientRect().right + 1).length"""


def test_generate_and_the_player_fit_a_laptop_screen(laptop, server, served_dirs) -> None:  # noqa: F811
    import shutil

    long_bed = served_dirs["effects"] / "Thunderstorm_over_the_old_harbour.wav"
    shutil.copy(served_dirs["effects"] / "rain.wav", long_bed)
    page = laptop
    page.goto(server)
    generate = page.get_by_role("button", name="Generate")
    generate.wait_for(timeout=60_000)
    _in_view(page, generate)
    dice = page.get_by_role("button", name="🎲")
    assert dice.bounding_box()["width"] >= 40, dice.bounding_box()  # the die shows whole
    assert dice.evaluate(CLIPPED) == 0
    _shot(page, "studio-1366x768-before", full_page=False)
    started = time.perf_counter()
    generate.click()
    duration = _playable(page)
    click_to_playable = time.perf_counter() - started
    assert duration > 10
    assert page.evaluate("window.scrollY") == 0  # nothing scrolled to reach the player
    _in_view(page, page.locator(".lofi-studio .bar"))  # the transport
    _in_view(page, page.locator(".lofi-studio .roll"))  # the piano roll with the playhead
    _in_view(page, page.get_by_role("button", name="Generate"))
    _shot(page, "studio-1366x768-player", full_page=False)
    # Every mixer strip's name ends before its M/S buttons, a long bed name too.
    overlaps = page.locator(".lofi-studio .strip").evaluate_all(
        """(rows) => rows.map((row) => {
          const name = row.querySelector(".name").getBoundingClientRect();
          const mute = row.querySelector(".mute").getBoundingClientRect();
          return [row.querySelector(".name").title, name.right - mute.left]; })"""
    )
    assert any("Thunderstorm_over_the_old_harbour" in n for n, _ in overlaps), overlaps
    assert all(over <= 0 for _, over in overlaps), overlaps

    page.get_by_role("button", name="🥁 Drums").click(timeout=180_000)  # once the take is saved
    page.get_by_text("Take 2 · new drums of take 1").first.wait_for(timeout=180_000)
    page.get_by_text("Compare two takes").first.wait_for()
    long_bed.unlink()  # once both takes are made (each mixes it in)
    _shot(page, "studio-takes")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "studio-timing.json").write_text(
        json.dumps({"click_to_playable_s": click_to_playable, "audio_s": duration})
    )


def test_start_from_my_loop(laptop, server, served_dirs) -> None:  # noqa: F811
    """A pack loop dropped in the browser: the chords part is the loop bar for bar, drawn
    hollow apart from the generated parts, with melody, bass and drums; One part again works."""
    page = laptop
    page.goto(server)
    page.get_by_text("Start from my loop").first.click(timeout=60_000)
    loop = Path(__file__).parent / "data" / "lofi_pack" / "chill_1_e_minor.mid"
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Drop a .mid")
    uploader.locator("input[type=file]").set_input_files(str(loop))
    page.get_by_text("Your loop: chill_1_e_minor.mid: 4 bars").wait_for(timeout=120_000)
    kept = list((served_dirs["user"] / "loops").iterdir())
    assert [p.read_bytes() for p in kept] == [loop.read_bytes()]
    page.get_by_role("button", name="Generate").click()
    _playable(page)
    data = page.evaluate("window.__lofiStudio.take.data")
    assert data["loop_part"] == "chords" and data["bpm"] == 100  # the file's tempo
    chords = data["parts"].index("chords")
    own = [n for n in data["notes"] if n[4]]
    assert own and {n[3] for n in own} == {chords}
    beat = 60.0 / data["bpm"]
    per_bar: dict[int, list] = {}
    for on, _d, pitch, *_ in own:
        t = round(on / beat, 2)  # seconds, rounded to the ms, back in beats
        per_bar.setdefault(int(t // 4), []).append((pitch, round(t % 4, 2)))
    loop_bars = 4
    for b, notes in per_bar.items():  # the loop again every four bars, note for note
        assert sorted(notes) == sorted(per_bar[b % loop_bars]), b
    assert len(per_bar) == data["bars"]
    for name in ("melody", "bass"):
        assert any(n[3] == data["parts"].index(name) for n in data["notes"]), name
    assert data["drums"]
    _shot(page, "studio-loop", full_page=False)
    chords_button = page.get_by_role("button", name="🎹 Chords")
    chords_button.wait_for(timeout=180_000)
    page.get_by_role("button", name="🎸 Bass").click(timeout=180_000)  # once the take is saved
    page.get_by_text("new bass of take").first.wait_for(timeout=180_000)
    assert chords_button.is_disabled()


def test_dataset_chart_titles_fit_a_laptop_screen(laptop, server) -> None:  # noqa: F811
    laptop.goto(f"{server}/dataset")
    laptop.locator("[data-testid=stSelectbox]").filter(has_text="Corpus").click(timeout=60_000)
    laptop.get_by_role("option", name="tiny").click()
    title = laptop.locator(".gtitle").filter(has_text="Chords")
    title.first.wait_for(timeout=120_000)
    cut = laptop.evaluate(
        """[...document.querySelectorAll(".gtitle")].map((t) => {
          const svg = t.closest("svg").getBoundingClientRect(), box = t.getBoundingClientRect();
          return [t.textContent, Math.max(svg.left - box.left, box.right - svg.right)]; })"""
    )
    assert cut and all(over <= 0 for _, over in cut), cut  # every title whole
    _shot(laptop, "dataset-1366x768", full_page=False)


def test_a_long_corpus_piece_roll_is_readable(laptop, tmp_path) -> None:
    """The dataset page's roll of a 28-minute piece, drawn by plotly.js in the browser."""
    from lofi.service.figures import corpus_roll
    from tests.test_corpus_roll import _piece

    notes, melody = _piece(28)
    html = tmp_path / "roll.html"
    corpus_roll(notes, melody, 120.0, "28 minutes").write_html(html, include_plotlyjs=True)
    laptop.goto(html.as_uri())
    laptop.locator(".main-svg").first.wait_for(timeout=30_000)
    _shot(laptop, "dataset-long-piece-roll", full_page=False)


def test_reloading_every_page_logs_no_console_error(laptop, server) -> None:  # noqa: F811
    """Streamlit's client guessed `/training` might be the server's folder and asked
    `/training/_stcore/health` and `/host-config` first (two 404s per reload)."""
    from streamlit_app import url_paths

    problems: list[str] = []
    laptop.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    laptop.on("pageerror", lambda e: problems.append(str(e)))
    laptop.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    for path in ["", *url_paths()[1:]]:
        laptop.goto(f"{server}/{path}")
        for _load in range(2):  # the first visit, then a reload
            laptop.get_by_text("LoFi Studio").first.wait_for(timeout=60_000)
            laptop.wait_for_load_state("networkidle")
            if _load == 0:
                laptop.reload()
    assert problems == []
