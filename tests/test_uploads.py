import io
import zipfile
from pathlib import Path

import pytest

from lofi.core.errors import EffectError, SoundFontError
from lofi.service.uploads import (
    UploadError,
    safe_name,
    save_corpus_files,
    save_effect,
    save_soundfont,
    unique_path,
)

MIDI = (Path(__file__).parent / "data" / "midi" / "tiny_c_major.mid").read_bytes()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.sf2", "passwd.sf2"),
        ("Mön Piano (v2).SF2", "Mon_Piano_v2.sf2"),
        ("C:\\fonts\\x.sf3", "x.sf3"),
        ("....sf2", "soundfont.sf2"),
        ("a b\u202e.sf2", "a_b.sf2"),
    ],
)
def test_safe_names(raw: str, clean: str) -> None:
    assert safe_name(raw, (".sf2", ".sf3"), "soundfont") == clean


def test_wrong_suffix_is_refused() -> None:
    with pytest.raises(UploadError, match="not one of"):
        safe_name("virus.exe", (".sf2",))


def test_unique_path_never_reuses_a_name(tmp_path) -> None:
    (tmp_path / "a.sf2").write_bytes(b"mine")
    assert unique_path(tmp_path, "a.sf2").name == "a-2.sf2"


def test_good_soundfont_is_kept_beside_one_of_the_same_name(tmp_path, gm_soundfont) -> None:
    data = gm_soundfont.read_bytes()
    (tmp_path / "font.sf2").write_bytes(b"the user's own older file")
    kept = save_soundfont(data, "font.sf2", tmp_path)
    assert kept.name == "font-2.sf2" and kept.read_bytes() == data
    assert (tmp_path / "font.sf2").read_bytes() == b"the user's own older file"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bad_uploads_leave_nothing(tmp_path) -> None:
    with pytest.raises(SoundFontError, match="fake.sf2"):
        save_soundfont(b"RIFF\0\0\0\0sfbk" + bytes(100), "fake.sf2", tmp_path)
    with pytest.raises(EffectError, match="noise.wav"):
        save_effect(b"this is not audio at all", "noise.wav", tmp_path)
    assert list(tmp_path.iterdir()) == []


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()


def test_corpus_from_files_and_a_zip(tmp_path) -> None:
    archive = _zip({"set/one.mid": MIDI, "set/readme.txt": b"hi", "two.MID": MIDI})
    folder = save_corpus_files([("zero.mid", MIDI), ("pack.zip", archive)], "My Set!", tmp_path)
    assert folder.name == "My-Set"
    assert sorted(p.name for p in folder.iterdir()) == ["one.mid", "two.mid", "zero.mid"]
    again = save_corpus_files([("zero.mid", MIDI)], "My Set!", tmp_path)
    assert again.name == "My-Set-2" and len(list(folder.iterdir())) == 3


def test_zip_that_climbs_out_is_refused(tmp_path) -> None:
    with pytest.raises(UploadError, match="outside the archive"):
        save_corpus_files([("evil.zip", _zip({"../../evil.mid": MIDI}))], "x", tmp_path)
    with pytest.raises(UploadError, match="not a readable"):
        save_corpus_files([("broken.zip", b"PK\x03\x04 nope")], "x", tmp_path)
    assert list(tmp_path.iterdir()) == []
