"""Uploads while they are checked, and beds a probe found: refused or kept cleanly."""

from __future__ import annotations

import shutil
import struct

import pytest

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


def _midi(meta: bytes) -> bytes:
    """One track: `meta`, then one note."""
    track = b"\x00" + meta + b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff\x2f\x00"
    head = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96)
    return head + b"MTrk" + struct.pack(">I", len(track)) + track


@pytest.mark.parametrize(
    ("meta", "reason"),
    [
        (
            b"\xff\x51\x03\x00\x00\x00",
            "a tempo event sets 0 microseconds per beat: no tempo is that fast",
        ),
        (b"\xff\x51\x01\x07", "a set tempo event is cut short: the file is damaged"),
        (b"\xff\x58\x01\x04", "a time signature event is cut short: the file is damaged"),
    ],
)
def test_a_midi_file_is_told_what_is_wrong_with_it(tmp_path, meta, reason) -> None:
    from lofi.core.errors import CorpusError
    from lofi.data.readers import parse_file

    path = tmp_path / "bad.mid"
    path.write_bytes(_midi(meta))
    with pytest.raises(CorpusError) as info:
        parse_file(path)
    assert info.value.reason == reason


def test_empty_uploads_are_called_empty(tmp_path) -> None:
    from lofi.core.errors import EffectError, SoundFontError
    from lofi.service.uploads import save_effect, save_soundfont

    with pytest.raises(EffectError, match=r"^bed\.wav is an empty file$"):
        save_effect(b"", "bed.wav", tmp_path)
    with pytest.raises(SoundFontError, match=r"^font\.sf2 is an empty file$"):
        save_soundfont(b"", "font.sf2", tmp_path)
    assert list(tmp_path.iterdir()) == []


def _float_wav(peak: float) -> bytes:
    import io

    import numpy as np
    import soundfile as sf

    buffer = io.BytesIO()
    t = np.arange(44_100) / 44_100
    audio = (np.sin(2 * np.pi * 220 * t) * peak).astype(np.float32)
    sf.write(buffer, np.stack([audio, audio], axis=1), 44_100, subtype="FLOAT", format="WAV")
    return buffer.getvalue()


def test_a_float_bed_far_beyond_full_scale_is_refused_not_mixed(tmp_path) -> None:
    from lofi.audio.effects import load_effect
    from lofi.core.errors import EffectError
    from lofi.service.uploads import save_effect

    with pytest.raises(EffectError, match=r"loud\.wav has samples at \+600 dBFS, far beyond"):
        save_effect(_float_wav(1e30), "loud.wav", tmp_path)
    assert list(tmp_path.iterdir()) == []
    kept = save_effect(_float_wav(1.2), "hot.wav", tmp_path)  # a little over: kept as it is
    assert abs(float(abs(load_effect(kept)).max()) - 1.2) < 1e-3
    (tmp_path / "copied.wav").write_bytes(_float_wav(1e30))  # put in the folder by hand
    with pytest.raises(EffectError, match="far beyond full scale"):
        load_effect(tmp_path / "copied.wav")
