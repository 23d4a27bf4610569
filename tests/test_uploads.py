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
    with pytest.raises(SoundFontError, match=r"fake\.sf2"):
        save_soundfont(b"RIFF\0\0\0\0sfbk" + bytes(100), "fake.sf2", tmp_path)
    with pytest.raises(EffectError, match=r"noise\.wav"):
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
    saved = save_corpus_files([("zero.mid", MIDI), ("pack.zip", archive)], "My Set!", tmp_path)
    folder = saved.folder
    assert folder.name == "My-Set" and saved.skipped == ()
    assert sorted(p.name for p in folder.iterdir()) == ["one.mid", "two.mid", "zero.mid"]
    again = save_corpus_files([("zero.mid", MIDI)], "My Set!", tmp_path)
    assert again.folder.name == "My-Set-2" and len(list(folder.iterdir())) == 3


def test_a_corpus_never_takes_a_bundled_name(tmp_path) -> None:
    for name in ("default", "bach", "blupi", "Default"):
        folder = save_corpus_files([("a.mid", MIDI)], name, tmp_path).folder
        assert folder.name.lower() not in ("default", "bach", "blupi")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Default-2",
        "bach-2",
        "blupi-2",
        "default-2",
    ]


def test_a_too_large_score_beside_a_small_one_is_reported(tmp_path) -> None:
    big = MIDI + bytes(6 * 1024 * 1024)
    saved = save_corpus_files([("small.mid", MIDI), ("big.mid", big)], "mixed", tmp_path)
    assert saved.kept == ("small.mid",)
    assert saved.skipped == ("big.mid: empty or larger than 5 MB",)


def test_zip_that_climbs_out_is_refused(tmp_path) -> None:
    with pytest.raises(UploadError, match="outside the archive"):
        save_corpus_files([("evil.zip", _zip({"../../evil.mid": MIDI}))], "x", tmp_path)
    with pytest.raises(UploadError, match="not a readable"):
        save_corpus_files([("broken.zip", b"PK\x03\x04 nope")], "x", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_same_name_uploads_at_once_all_land(tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    wav = tmp_path / "src.wav"
    import numpy as np
    import soundfile as sf

    sf.write(wav, np.zeros((44_100, 2), np.float32), 44_100)
    data = wav.read_bytes()
    folder = tmp_path / "fx"
    with ThreadPoolExecutor(8) as pool:
        kept = list(pool.map(lambda _: save_effect(data, "bed.wav", folder), range(16)))
    assert len({p.name for p in kept}) == 16
    assert all(p.read_bytes() == data for p in kept)
