"""Hostile uploads through the pages: a clear message, nothing kept twice, no click lost."""

from __future__ import annotations

from tests.page_driver import open_app


def _effect_uploader(at):
    return next(u for u in at.file_uploader if u.label.startswith("Effect beds"))


def test_a_nul_byte_or_a_forged_type_in_an_upload_name_is_handled(app_env) -> None:
    at = open_app()
    before = sorted(p.name for p in app_env["effects"].iterdir())
    wav = (app_env["effects"] / "rain.wav").read_bytes()
    _effect_uploader(at).set_value(("bad\x00name.wav", wav, "audio/wav"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == ["Added bad_name.wav"]
    _effect_uploader(at).set_value(("bed.wav\x00.exe", wav, "audio/wav"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("is not one of .wav" in e.value for e in at.error), [e.value for e in at.error]
    after = sorted(p.name for p in app_env["effects"].iterdir())
    assert after == sorted([*before, "bad_name.wav"])


def test_each_uploader_states_the_limit_its_check_applies(app_env) -> None:
    from lofi.core.settings import LIMITS

    at = open_app()
    limits = {u.label: u.proto.max_upload_size_mb for u in at.file_uploader}
    assert limits["SoundFonts (.sf2, .sf3)"] == LIMITS.soundfont_bytes >> 20 == 512
    assert limits["Effect beds (.wav)"] == LIMITS.effect_bytes >> 20


def test_a_generate_click_while_a_bed_is_added_is_kept_and_the_bed_saved_once(app_env) -> None:
    from tests.page_driver import button, slider, wait_generated

    at = open_app()
    wav = (app_env["effects"] / "rain.wav").read_bytes()
    slider(at, "Length (bars)").set_value(8)
    _effect_uploader(at).set_value(("Storm.wav", wav, "audio/wav"))
    button(at, "Generate").click()  # pressed in the same run the bed is checked in
    wait_generated(at)
    assert sorted(p.name for p in app_env["effects"].glob("Storm*")) == ["Storm.wav"]
    at.run()
    assert sorted(p.name for p in app_env["effects"].glob("Storm*")) == ["Storm.wav"]


def test_visiting_the_studio_makes_no_session_folder(app_env) -> None:
    at = open_app()
    at.run()
    sessions = app_env["user"] / "sessions"
    assert not sessions.exists() or list(sessions.iterdir()) == []
