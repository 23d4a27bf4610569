"""The studio's player in a real browser: first sound, playhead, mixer, reruns, bounce.

Debian's chromium driven by Playwright against a real server (the fixtures of
test_browser.py). Times are written to test-artifacts/studio-player.json, never asserted.
"""

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.test_browser import (  # noqa: F401
    ARTIFACTS,
    CHROMIUM,
    ROOT,
    _shot,
    page,
    served_dirs,
    server,
    server_process,
)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")

STATE = """() => { const p = window.__lofiStudio; if (!p || !p.take) return null;
  const peaks = {}; for (const [n, s] of p.strips) peaks[n] = s.peak;
  const gains = {}; for (const [n, s] of p.strips) gains[n] = s.value;
  return {take: p.take.id, playing: p.playing, state: p.ctx && p.ctx.state,
          pos: p.playing ? p.ctx.currentTime - p.zero : p.pos, peaks, gains, peak: p.peak,
          first: p.firstSoundAt, started: p.startedAt, view: p.view,
          errors: p.log.filter((e) => e.error), late: p.log.filter((e) => e.event === "late"),
          url: p.take.data.stems.length ? p.take.data.stems[0].segments[0].url : null,
          master: p.master && p.master.settings, beds: p.master && p.master.beds.gain.value,
          curve: p.master && p.master.shaper.curve && p.master.shaper.curve.length}; }"""

# Clicks a mixer button and resolves with the milliseconds until every named strip's
# analyser (after its gain) holds only silence.
REACTION = """async ([strip, button, silent]) => {
  const p = window.__lofiStudio;
  const el = p.root.querySelector(`.strip[data-name="${strip}"] .${button}`);
  const buf = new Float32Array(256);
  const quiet = () => silent.every((n) => {
    p.strips.get(n).analyser.getFloatTimeDomainData(buf);
    return buf.every((v) => Math.abs(v) < 1e-5);
  });
  const t0 = performance.now();
  el.click();
  return await new Promise((done) => {
    const check = () => (quiet() ? done(performance.now() - t0) : setTimeout(check, 1));
    check();
  });
}"""


DUSTY_TICKED = """() => [...document.querySelectorAll("input[type=checkbox]")].some(
  (c) => c.checked && c.closest("label") && c.closest("label").textContent.includes("Dusty"))"""


def _until(tab, test, timeout: float, what: str):
    deadline = time.time() + timeout
    state = None
    while time.time() < deadline:
        state = tab.evaluate(STATE)
        if state and test(state):
            return state
        time.sleep(0.1)
    pytest.fail(f"{what}: {state}")


def test_studio_player_sound_playhead_mixer_reruns_and_bounce(page, server) -> None:  # noqa: F811
    figures: dict[str, float] = {}
    page.goto(server)
    generate = page.get_by_role("button", name="Generate")
    generate.wait_for(timeout=60_000)
    length = page.locator("[data-testid=stSlider]").filter(has_text="Length").get_by_role("slider")
    length.focus()
    length.press("Home")  # 8 bars, then four steps of 4: 24 bars (about 74 s at 78 BPM)
    for _ in range(4):
        length.press("ArrowRight")
    page.wait_for_timeout(500)
    page.evaluate("window.__clickAt = performance.now()")
    generate.click()
    # First sound: the player starts by itself once the first bars are fetched.
    state = _until(page, lambda s: s["first"] is not None, 180, "no sound after Generate")
    click = page.evaluate("window.__clickAt")
    figures["click_to_first_sound_s"] = (state["first"] - click) / 1000
    figures["click_to_playing_s"] = (state["started"] - click) / 1000
    assert state["playing"] and state["state"] == "running" and not state["errors"]
    # The playhead follows the sound.
    a = state["pos"]
    state = _until(page, lambda s: s["pos"] > a + 1.0, 30, "the playhead did not move")
    _shot(page, "studio-player")
    # The master sounds as the server's: tape saturation, and the beds dip under the kicks.
    assert state["master"] == {"stereo": True, "drive": 4, "dusty": False, "ducking": True}
    assert state["curve"] > 0
    kicks = page.evaluate("() => window.__lofiStudio.take.data.master.duck.kicks")
    first_kick = kicks[0][0]
    state = _until(page, lambda s: s["pos"] > first_kick - 0.3, 60, "no kick came")
    beds: list[float] = []
    while state["pos"] < first_kick + 3.5 and len(beds) < 400:
        beds.append(state["beds"])
        time.sleep(0.03)
        state = page.evaluate(STATE)
    assert min(beds) < 0.9 and max(beds) <= 1.0, (beds, kicks[:6])  # 4 dB under a full kick

    # Mute: the strip's own output falls silent; its reported gain is 0.
    _until(page, lambda s: s["peaks"].get("rain", 0) > 1e-4, 60, "the rain bed never sounded")
    figures["mute_to_silence_ms"] = page.evaluate(REACTION, ["rain", "mute", ["rain"]])
    state = page.evaluate(STATE)
    assert state["gains"]["rain"] == 0 and state["gains"]["chords"] > 0
    # Solo the bass: every other strip falls silent (vinyl is a continuous bed).
    _until(page, lambda s: s["peaks"].get("vinyl", 0) > 1e-4, 60, "the vinyl bed never sounded")
    others = ["chords", "melody", "drums", "vinyl"]
    figures["solo_to_silence_ms"] = page.evaluate(REACTION, ["bass", "solo", others])
    state = page.evaluate(STATE)
    assert [state["gains"][n] for n in others] == [0, 0, 0, 0] and state["gains"]["bass"] > 0
    _shot(page, "studio-mixer")

    # Any widget change reruns the page: the sound goes on from where it was.
    before = page.evaluate(STATE)
    page.get_by_role("button", name="🎲").click()
    time.sleep(2.0)
    after = _until(page, lambda s: s["pos"] > before["pos"] + 1.5, 30, "playback stopped")
    assert after["take"] == before["take"] and after["playing"]
    figures["late_pieces"] = len(after["late"])  # the rest arrived after it was due (load)

    # Bounce: the mix as set (bass alone), made on the server; its recipe names the mutes.
    page.get_by_role("button", name="⬇️ WAV").first.wait_for(timeout=180_000)
    page.get_by_role("button", name="🎚️ Bounce mix").click()
    page.get_by_role("button", name="⬇️ Bounce recipe").wait_for(timeout=180_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="⬇️ Bounce recipe").click()
    recipe = json.loads(Path(download.value.path()).read_text())
    assert recipe["muted"] == ["chords", "drums", "melody"]
    assert all(e["level_db"] is None for e in recipe["effects"].values())
    with page.expect_download() as download:
        page.get_by_role("button", name="⬇️ Bounce WAV").click()
    assert Path(download.value.path()).read_bytes()[:4] == b"RIFF"
    state = page.evaluate(STATE)
    assert state["take"] == before["take"] and not state["errors"]
    _shot(page, "studio-bounce")
    session = ROOT / "static" / Path(state["url"].removeprefix("app/static/")).parent.parent

    # Again, with everything warm: the figure a user meets after the first track; this time
    # with the dusty grain, which the player's master plays too.
    page.get_by_text("🎛️ Mix").click()
    # On a busy host a click can land while the page reruns and be lost: click until the box
    # is ticked, then let its rerun reach the server before Generate does.
    dusty = page.get_by_text("Dusty (12-bit, 26 kHz)")
    deadline = time.time() + 90
    while not page.evaluate(DUSTY_TICKED):
        assert time.time() < deadline, "the Dusty box never took a click"
        dusty.click()
        page.wait_for_timeout(3000)
    page.locator("[data-testid=stStatusWidget]").wait_for(state="hidden", timeout=60_000)
    page.evaluate("window.__clickAt = performance.now()")
    generate.click()
    state = _until(
        page,
        lambda s: s["take"] != before["take"] and s["first"] is not None,
        180,
        "no sound after the second Generate",
    )
    figures["warm_click_to_first_sound_s"] = (
        state["first"] - page.evaluate("window.__clickAt")
    ) / 1000
    assert state["master"]["dusty"] and not state["errors"]

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "studio-player.json").write_text(json.dumps(figures, indent=1))
    page.goto("about:blank")
    shutil.rmtree(session, ignore_errors=True)
