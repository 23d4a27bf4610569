"""Uploads while they are checked, and beds a probe found: refused or kept cleanly."""

from __future__ import annotations

import shutil

from lofi.audio.effects import list_effects
from lofi.service.sounds import effect_beds


def test_an_upload_being_checked_is_never_listed_as_an_effect(tmp_path, monkeypatch) -> None:
    from lofi.audio.effects import make_default_effects

    made = make_default_effects(tmp_path)
    shutil.copy(made["rain"], tmp_path / ".upload-k2j3.wav")  # a bed still being checked
    shutil.copy(made["rain"], tmp_path / ".rain.wav.tmp.wav")
    assert list(list_effects(tmp_path)) == ["rain", "vinyl"]
    monkeypatch.setenv("LOFI_EFFECTS_DIR", str(tmp_path))
    assert list(effect_beds()) == ["rain", "vinyl"]
