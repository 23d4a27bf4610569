"""Driving the app's pages through Streamlit's AppTest: open a page, find widgets, generate."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def open_app(page: str | None = None, **state) -> AppTest:
    """The app run once (on `page`, else the studio) with `state` in its session state."""
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in state.items():
        at.session_state[key] = value
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def slider(at: AppTest, label: str):
    return next(s for s in at.slider if s.label == label)


def preset_box(at: AppTest, part: str):
    return next(s for s in at.selectbox if s.key and s.key.startswith(f"preset_{part}_"))


def wait_generated(at: AppTest) -> None:
    """Runs the click; the first bars are playable when it returns, the files follow."""
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    take = at.session_state.player_take
    assert take.playable and take.pieces and take.wait_done(180), take.error
    at.run()  # the player sees the files: they become the page's track
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state.track["take"] == take.id


def generate(at: AppTest, bars: int = 8) -> None:
    """Sets the length, presses Generate and waits for the take."""
    slider(at, "Length (bars)").set_value(bars)
    button(at, "Generate").click()
    wait_generated(at)


def saved_recipes(user: Path) -> list[Path]:
    """Every take's recipe.json under the user's sessions, oldest first."""
    return sorted((user / "sessions").rglob("recipe.json"), key=lambda p: p.stat().st_mtime_ns)
