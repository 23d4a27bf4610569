"""The radio: a session that stays ahead of the listener, in the service and on the page."""

import io
import json
import time

import soundfile as sf
from streamlit.testing.v1 import AppTest

from lofi.service.novelty import DriftLimits, repeated_share
from lofi.service.radio import KEEP_AUDIO, LOOKAHEAD, RadioSession, RadioSettings
from tests.factories import gm_instruments
from tests.page_driver import APP


def _wait(condition, timeout: float = 240.0) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "the radio did not get there in time"
        time.sleep(0.1)


def _request(app_dirs):
    from lofi.core.types import GenerationConfig
    from lofi.service.recipe import TrackRequest

    font = app_dirs["soundfonts"] / "sf_GMbank.sf2"
    instruments = gm_instruments(font)
    effects = {"vinyl": -28.0}
    paths = {"vinyl": app_dirs["effects"] / "vinyl.wav"}
    return TrackRequest(
        GenerationConfig(),
        app_dirs["checkpoints"] / "melody",
        app_dirs["checkpoints"] / "chords",
        instruments,
        effects,
        paths,
    )


def test_session_stays_ahead_prunes_and_never_repeats(app_dirs) -> None:
    from lofi.models.loading import load_checkpoints

    request = _request(app_dirs)
    models = load_checkpoints(request.melody_model, request.chord_model)
    limits = DriftLimits(keys=("A-minor", "C-major"), bpm_range=(96.0, 100.0))
    session = RadioSession(request, models, RadioSettings(limits, bars=8, seed=3))
    try:
        session.ensure(0)
        assert session.wait_first(120)
        first = session.tracks[0]
        assert first.pieces and first.pieces[0][0].is_file()
        _wait(lambda: first.done)
        with sf.SoundFile(io.BytesIO(first.wav_bytes())) as wav:  # the History's ⬇️ WAV
            assert wav.frames == first.total_frames
            assert wav.title.startswith("Lofi in ") and "BPM" in wav.comment
        _wait(lambda: len(session.tracks) == 1 + LOOKAHEAD and session.tracks[-1].done)
        for playing in range(1, KEEP_AUDIO + 3):  # the listener moves on, track by track
            session.ensure(playing)
            _wait(lambda p=playing: len(session.tracks) >= p + 1 + LOOKAHEAD)
            _wait(lambda: all(t.done for t in session.tracks))
        for track in session.tracks:
            frames = sum(sf.info(str(p)).frames for p, _ in track.pieces if p.exists())
            assert track.pruned or frames == track.total_frames
        assert [t.pruned for t in session.tracks][:2] == [True, True]
        assert not any(p.exists() for p, _ in session.tracks[0].pieces)
        assert repeated_share([t.song for t in session.tracks]) == 0.0
        queue = session.queue()
        assert queue[0]["index"] == session.playing - 1
        assert all(q["segments"][0]["url"].startswith("app/static/radio/") for q in queue)
        assert len(session.margins()) >= 1
    finally:
        session.close()
    assert not session.folder.exists()


def test_radio_page_plays_two_tracks_in_a_row(app_env) -> None:
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["radio_bars"] = 8
    at.session_state["radio_bpm"] = (96, 100)
    at.switch_page("app_pages/radio.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    next(b for b in at.button if b.label == "▶ Start radio").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    session = at.session_state["radio_session"]
    # It plays the style the sidebar names (the shipped one here), not bare checkpoints.
    assert session.base.style == app_env["checkpoints"]
    # The press made a station and asks the player to play it at once (one press: the
    # browser test hears its clock run); the same run already names what a second press does.
    assert at.session_state["radio_autoplay"] == session.id
    assert at.button(key="radio_start").label == "↻ New station"
    # The click waits a few seconds for the first track (the bench times it); a busy
    # machine may take longer, so the test waits for it rather than timing it.
    _wait(lambda: bool(session.tracks))
    at.run()
    data = _player_data(at)
    assert data["autoplay"] == data["player"] == session.id
    assert [t["index"] for t in data["tracks"]][:1] == [0]
    # Nothing says "now playing" before the player hears it (it says so itself).
    assert not [m for m in at.markdown if "Now playing" in m.value]
    _wait(lambda: len(session.tracks) >= 2 and session.tracks[1].done)
    session.ensure(1)  # what the browser's player reports when the second track starts
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert 1 in [t["index"] for t in _player_data(at)["tracks"]]
    recipes = [d for d in at.get("download_button") if getattr(d, "label", "") == "⬇️ Recipe"]
    assert len(recipes) >= 2
    session.close()


def _player_data(at: AppTest) -> dict:
    """What the page sends the radio's player."""
    (player,) = [
        e for e in at.main if getattr(e.proto, "component_name", "").endswith("radio_player")
    ]
    return json.loads(player.proto.json)


def test_a_loop_theme_comes_back_every_fourth_track(app_dirs) -> None:
    from pathlib import Path

    from lofi.compose.around_loop import LoopPart
    from lofi.encoding.loop import read_loop
    from lofi.models.loading import load_checkpoints
    from lofi.service.radio import THEME_EVERY

    loop = read_loop(Path(__file__).parent / "data" / "lofi_pack" / "chill_1_e_minor.mid")
    request = _request(app_dirs)
    models = load_checkpoints(request.melody_model, request.chord_model)
    limits = DriftLimits(keys=("A-minor", "C-major"), bpm_range=(80.0, 84.0))
    theme = LoopPart(loop, "chords")
    session = RadioSession(request, models, RadioSettings(limits, bars=8, seed=5, theme=theme))
    try:
        for playing in range(THEME_EVERY + 1):
            session.ensure(playing)
            _wait(lambda p=playing: len(session.tracks) >= p + 2 and session.tracks[p].done)
        themed = [t.request.loop is not None for t in session.tracks[: THEME_EVERY + 1]]
        assert themed == [True, *[False] * (THEME_EVERY - 1), True]
        for track in session.tracks[: THEME_EVERY + 1]:
            c = track.request.config
            if track.request.loop is not None:
                assert (c.key, c.bpm) == (loop.key, loop.bpm)  # the theme's own
                own = sorted((n.pitch, n.onset) for n in track.song.part("chords").notes)
                tiled = sorted((n.pitch, n.onset + k * 16) for k in range(2) for n in loop.notes)
                assert own == tiled
                assert track.recipe()["loop"]["sha256"] == loop.content_hash
            else:
                assert c.key.name in limits.keys and 80.0 <= c.bpm <= 84.0
    finally:
        session.close()
