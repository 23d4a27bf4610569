"""Start from my loop on the studio page (AppTest): real pack files, tiny models."""

import json
from collections import Counter
from pathlib import Path

from tests.page_driver import button, generate, open_app

DATA = Path(__file__).parent / "data"
LOOP = DATA / "lofi_pack" / "chill_1_e_minor.mid"


def _uploader(at):
    return next(u for u in at.file_uploader if u.label == "Drop a .mid or MusicXML loop")


def _bars(notes, beat: float) -> list[Counter]:
    """Per bar of the song: (pitch, onset in the bar) of its notes, times in seconds."""
    bar = 4 * beat
    out: dict[int, Counter] = {}
    for on, _dur, pitch, *_ in notes:
        out.setdefault(int(on // bar + 1e-6), Counter())[(pitch, round(on % bar, 2))] += 1
    return [out.get(i, Counter()) for i in range(max(out) + 1)]


def test_a_dropped_loop_is_the_chords_and_drawn_apart(app_env) -> None:
    at = open_app()
    _uploader(at).set_value(
        ("drums.mid", (DATA / "loops" / "loop_drums_only.mid").read_bytes(), "audio/midi")
    )
    at.run()
    assert any("cannot use drums.mid as a loop: no pitched notes" in e.value for e in at.error)
    assert "loop" not in at.session_state
    assert not (app_env["user"] / "loops").exists()  # nothing kept

    _uploader(at).set_value(("chill.mid", LOOP.read_bytes(), "audio/midi"))
    at.run()
    assert not at.exception
    assert any("Your loop: chill.mid: 4 bars" in s.value for s in at.success)
    assert at.session_state.bpm == 100  # the file's tempo
    kept = list((app_env["user"] / "loops").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == LOOP.read_bytes()
    generate(at, bars=8)
    take = at.session_state.player_take
    data = take.for_player()
    assert data["loop_part"] == "chords"
    chords = data["parts"].index("chords")
    own = [n for n in data["notes"] if n[4]]
    assert own and all(n[3] == chords for n in own)
    assert all(n[4] for n in data["notes"] if n[3] == chords)
    beat = 60.0 / 100
    song_bars = _bars(own, beat)
    assert song_bars[4:8] == song_bars[0:4] and len(song_bars) == 8
    for name in ("melody", "bass"):
        assert any(n[3] == data["parts"].index(name) for n in data["notes"]), name
    assert data["drums"]
    recipe = json.loads((Path(at.session_state.track["dir"]) / "recipe.json").read_text())
    assert recipe["loop"]["sha256"] == kept[0].stem and recipe["loop"]["part"] == "chords"
    # One part again: the chords are the user's, so that button is off; the others work.
    assert button(at, "🎹 Chords").disabled
    button(at, "🎸 Bass").click()
    at.run()
    assert not at.exception and not at.error
    again = at.session_state.player_take
    assert again.wait_done(180)
    assert again.song.part("chords") == take.song.part("chords")
    assert again.song.part("bass") != take.song.part("bass")


def test_a_loop_as_the_melody(app_env) -> None:
    at = open_app()
    at.radio(key="loop_part").set_value("melody")
    at.run()
    _uploader(at).set_value(("chill.mid", LOOP.read_bytes(), "audio/midi"))
    at.run()
    generate(at, bars=8)
    data = at.session_state.player_take.for_player()
    melody = data["parts"].index("melody")
    assert data["loop_part"] == "melody"
    assert {n[3] for n in data["notes"] if n[4]} == {melody}
    at.radio(key="loop_scope").set_value("A")  # a melody loop plays the whole track only
    button(at, "Generate").click()
    at.run()
    assert any("only a chords loop can play the A sections" in e.value for e in at.error)
    at.radio(key="loop_part").set_value("chords")
    generate(at, bars=8)
    data = at.session_state.player_take.for_player()
    assert at.session_state.player_take.request.loop.scope == "A"
    assert data["loop_part"] == "chords"
    button(at, "No loop").click()
    at.run()
    assert "loop" not in at.session_state


def test_the_radio_offers_the_studio_loop_as_its_theme(app_env) -> None:
    from lofi.service.loops import open_loop

    at = open_app("app_pages/radio.py")
    assert not [c for c in at.checkbox if c.label.startswith("Station theme")]
    at = open_app("app_pages/radio.py", loop=open_loop(LOOP))
    theme = next(c for c in at.checkbox if c.label.startswith("Station theme"))
    assert "chill_1_e_minor.mid" in theme.label


def test_a_corpus_piece_can_be_the_loop(app_env) -> None:
    at = open_app()
    at.selectbox(key="loop_corpus").set_value("tiny")
    at.run()
    assert "tiny_c_major.mid" in at.selectbox(key="loop_piece").options
    at.selectbox(key="loop_piece").set_value("truncated.mid")
    at.run()
    button(at, "Use this piece").click()
    at.run()
    assert any("cannot use truncated.mid as a loop" in e.value for e in at.error)
    assert "loop" not in at.session_state
    at.selectbox(key="loop_piece").set_value("tiny_c_major.mid")
    at.run()
    button(at, "Use this piece").click()
    at.run()
    assert not at.exception
    assert any("Your loop: tiny_c_major.mid: 4 bars" in s.value for s in at.success)
    assert at.session_state.bpm == 90 and at.session_state.key == "C-major"
