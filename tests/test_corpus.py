import itertools
import os
import shutil
from pathlib import Path

import pytest

from lofi.core.errors import CorpusError
from lofi.data.corpus import BUNDLED, GAME_CORPORA, corpus_files, corpus_stats, load_corpus
from lofi.data.readers import parse_file

DATA = Path(__file__).parent / "data" / "midi"
SIMUTRANS = Path("/usr/share/games/simutrans/music")


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LOFI_CACHE_DIR", str(tmp_path / "cache"))


def _smallest(folder: Path, n: int) -> list[Path]:
    return sorted(folder.glob("*.mid"), key=lambda p: p.stat().st_size)[:n]


@pytest.mark.corpus("simutrans")
def test_real_game_midis_parse() -> None:
    for path in _smallest(SIMUTRANS, 2):
        piece = parse_file(path)
        assert len(piece.notes) > 100
        assert 40 <= piece.tempo_bpm <= 240
        assert piece.key.mode in ("major", "minor")
        onsets = [n.onset for n in piece.melody]
        assert onsets == sorted(set(onsets)), "melody is one note at a time"
        assert all(a.end <= b.onset + 1e-9 for a, b in itertools.pairwise(piece.melody))
        assert len(piece.beats) >= piece.length_beats - 1
        assert all(len(b.weights) == 12 for b in piece.beats)


def test_a_bach_chorale_in_musicxml_parses() -> None:
    piece = parse_file(corpus_files("bach")[0])
    assert piece.notes and piece.key.mode in ("major", "minor")


def test_drums_are_left_out_and_key_found() -> None:
    piece = parse_file(DATA / "tiny_c_major.mid")
    assert piece.key.name == "C-major"
    assert {n.pitch for n in piece.notes}.isdisjoint({35, 40})  # the kick and snare
    assert [n.pitch for n in piece.melody][:4] == [60, 62, 64, 65]
    first = piece.beats[0]
    assert first.bass == 0 and first.weights[0] > 0 and first.weights[4] > 0


def test_a_midi_with_drums_in_the_tune_track_keeps_the_tune() -> None:
    single = parse_file(DATA / "tiny_type0.mid")  # type 0: one track, drums on channel 10
    assert single.notes == parse_file(DATA / "tiny_c_major.mid").notes


def test_musicxml_ties_become_one_note_and_unpitched_drums_are_left_out() -> None:
    piece = parse_file(DATA / "tiny.xml")
    assert piece.key.name == "A-minor" and piece.tempo_bpm == 72
    assert len(piece.notes) == 21 and piece.length_beats == 16
    e5 = [n for n in piece.notes if n.pitch == 76]
    assert [(n.onset, n.duration, n.velocity) for n in e5] == [(2.0, 4.0, 90)]
    assert [(n.pitch, n.onset) for n in piece.melody[:4]] == [(69, 0), (72, 1), (76, 2), (74, 6)]
    assert piece.beats[4].bass == 2  # D under the held E


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.mid", "empty"),
        ("truncated.mid", "damaged"),
        ("random_bytes.mid", "not a MIDI"),
        ("type2.mid", "type-2"),
        ("no_notes.mid", "no pitched notes"),
        ("not_a_score.xml", "not a MusicXML"),
    ],
)
def test_broken_files_raise_with_a_reason(name: str, reason: str) -> None:
    with pytest.raises(CorpusError, match=reason) as info:
        parse_file(DATA / name)
    assert info.value.path.name == name


def test_folder_corpus_keeps_good_files_and_lists_bad_ones(tmp_path) -> None:
    folder = tmp_path / "mine"
    shutil.copytree(DATA, folder)
    corpus = load_corpus(folder, workers=1)
    assert [p.name for p in corpus.pieces] == ["tiny.xml", "tiny_c_major.mid", "tiny_type0.mid"]
    bad = {b.path.name: b.reason for b in corpus.bad}
    assert set(bad) == {
        "empty.mid",
        "truncated.mid",
        "random_bytes.mid",
        "type2.mid",
        "no_notes.mid",
        "not_a_score.xml",
    }
    assert all(bad.values())
    stats = corpus_stats(corpus)
    assert stats.files == 9 and stats.bad_files == 6 and stats.total_notes == 28 + 21 + 28
    assert stats.keys == {"C-major": 2, "A-minor": 1} and sum(stats.pitch_histogram) == 77
    assert sum(stats.duration_histogram.values()) == 77 and stats.duration_histogram[1.0] > 0
    assert sorted(stats.tempos) == [72, 90, 90] and sum(stats.velocity_histogram) == 77
    assert stats.total_minutes == pytest.approx(16 / 72 + 2 * 16 / 90)


@pytest.mark.corpus("simutrans")
def test_second_load_comes_from_the_cache_and_changed_files_are_parsed(tmp_path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    for path in _smallest(SIMUTRANS, 2):
        shutil.copy(path, folder)
    first = load_corpus(folder, workers=2)
    entries = sorted((Path(os.environ["LOFI_CACHE_DIR"]) / "pieces").rglob("*.pkl"))
    assert len(entries) == 2
    stamps = [e.stat().st_mtime_ns for e in entries]
    calls: list[tuple[int, int]] = []
    again = load_corpus(folder, progress=lambda done, total: calls.append((done, total)))
    assert again == first
    assert calls == [(2, 2)], "everything came from the cache in one step"
    assert [e.stat().st_mtime_ns for e in entries] == stamps, "nothing was parsed again"
    shutil.copy(DATA / "tiny_c_major.mid", folder / _smallest(SIMUTRANS, 1)[0].name)
    changed = load_corpus(folder, workers=1)
    assert len(list((Path(os.environ["LOFI_CACHE_DIR"]) / "pieces").rglob("*.pkl"))) == 3
    assert changed.content_hash != first.content_hash


def test_a_renamed_copy_keeps_its_own_name(tmp_path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(DATA / "tiny_c_major.mid", folder / "a.mid")
    load_corpus(folder, workers=1)
    shutil.copy(DATA / "tiny_c_major.mid", folder / "b.mid")
    assert [p.name for p in load_corpus(folder, workers=1).pieces] == ["a.mid", "b.mid"]


def test_a_damaged_cache_entry_is_parsed_again(tmp_path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(DATA / "tiny_c_major.mid", folder)
    load_corpus(folder, workers=1)
    (entry,) = (Path(os.environ["LOFI_CACHE_DIR"]) / "pieces").rglob("*.pkl")
    entry.write_bytes(b"garbage")
    assert len(load_corpus(folder, workers=1).pieces) == 1


@pytest.mark.corpus("default")
def test_unknown_corpus_names_the_choices() -> None:
    with pytest.raises(CorpusError, match="bundled corpora: simutrans"):
        corpus_files("no-such-corpus")
    assert set(BUNDLED) == {"simutrans", "openmsx", "blupi", "lofi", "bach", "default"}
    assert len(corpus_files("default")) == sum(len(corpus_files(n)) for n in GAME_CORPORA)


def test_the_bundled_lofi_pack_ships_with_its_licence_and_source() -> None:
    files = corpus_files("lofi")
    assert len(files) == 99 and all(f.suffix == ".mid" for f in files)
    folder = files[0].parent
    assert "MIT License" in (folder / "LICENSE").read_text()
    assert "RusherRG/LoFi-Music-Generator" in (folder / "README.md").read_text()
    corpus = load_corpus("lofi", workers=1)
    assert corpus.name == "lofi" and len(corpus.pieces) == 99 and not corpus.bad
    stats = corpus_stats(corpus)
    assert stats.total_notes > 5000 and 10 < stats.total_minutes < 60
    # short piano loops: most pieces last 2 to 4 bars
    short = sum(8 <= p.length_beats <= 16.5 for p in corpus.pieces)
    assert short > len(corpus.pieces) / 2


def test_the_bundled_corpora_install_as_package_data() -> None:
    import tomllib
    from fnmatch import fnmatch

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"]["lofi._corpora"] == "corpora"
    for name in ("lofi",):
        package = f"lofi._corpora.{name}"
        assert package in config["packages"]
        globs = config["package-data"][package]
        shipped = [p.name for p in (root / "corpora" / name).iterdir()]
        assert len(shipped) == 101
        assert [f for f in shipped if not any(fnmatch(f, g) for g in globs)] == []


def test_a_missing_debian_package_is_named(monkeypatch, tmp_path) -> None:
    import lofi.data.corpus

    missing = (tmp_path / "nowhere", "planetblupi-music-midi")
    monkeypatch.setitem(lofi.data.corpus.GAME_CORPORA, "blupi", missing)
    with pytest.raises(CorpusError, match="apt install planetblupi-music-midi"):
        corpus_files("blupi")


def test_too_large_and_unknown_files_are_refused(tmp_path) -> None:
    big = tmp_path / "big.mid"
    with big.open("wb") as f:
        f.write((DATA / "tiny_c_major.mid").read_bytes())
        f.truncate(6 * 1024 * 1024)
    with pytest.raises(CorpusError, match="too large"):
        parse_file(big)
    with pytest.raises(CorpusError, match=r"unsupported file type \.txt"):
        parse_file(tmp_path / "notes.txt")


def test_a_missing_debian_corpus_skips_naming_the_package(monkeypatch, tmp_path) -> None:
    import lofi.data.corpus
    from tests.conftest import missing_corpora, require_corpora

    monkeypatch.setitem(
        lofi.data.corpus.GAME_CORPORA, "blupi", (tmp_path, "planetblupi-music-midi")
    )
    assert missing_corpora(("blupi",)) == ["blupi (apt install planetblupi-music-midi)"]
    assert "blupi (apt install planetblupi-music-midi)" in missing_corpora(("default",))
    with pytest.raises(pytest.skip.Exception, match="apt install planetblupi-music-midi"):
        require_corpora("blupi")
