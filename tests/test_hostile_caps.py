"""Totals a probe found missing: uploads refused past their folder's cap, caches and the
studio's player audio pruned least recently used first, cut-off takes cleaned up."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest

import lofi.service.uploads as uploads
from lofi.core.settings import LIMITS
from lofi.service.uploads import UploadError, save_corpus_files, save_effect
from tests.fuzz.files import MIDI, wav, zip_of


def _limits(monkeypatch, module, **caps) -> None:
    monkeypatch.setattr(module, "LIMITS", dataclasses.replace(LIMITS, **caps))


def test_the_file_cap_is_per_upload_not_per_archive(tmp_path) -> None:
    half = LIMITS.upload_files // 2 + 10
    archives = [
        (f"{k}.zip", zip_of({f"{k}/{i:04d}.txt": b"x" for i in range(half)} | {f"{k}/a.mid": MIDI}))
        for k in "ab"
    ]
    with pytest.raises(UploadError, match=f"the upload holds more than {LIMITS.upload_files}"):
        save_corpus_files(archives, "many", tmp_path)
    assert [p for p in tmp_path.iterdir() if not p.name.startswith(".")] == []
    assert save_corpus_files(archives[:1], "one", tmp_path).kept == ("a.mid",)


def test_uploads_past_their_folders_total_are_refused_and_nothing_is_removed(
    tmp_path, monkeypatch
) -> None:
    bed = wav(seconds=1.0)
    (tmp_path / "mine.wav").write_bytes(bed)
    _limits(monkeypatch, uploads, effects_total_bytes=len(bed) * 2 - 1)
    from lofi.core.errors import EffectError

    with pytest.raises(EffectError, match="may hold 0 MB in all; remove some files"):
        save_effect(bed, "more.wav", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.wav"]
    corpora = tmp_path / "corpora"
    save_corpus_files([("a.mid", MIDI)], "first", corpora)
    _limits(monkeypatch, uploads, corpora_total_bytes=len(MIDI) + 10)
    with pytest.raises(UploadError, match="the corpora folder holds"):
        save_corpus_files([("b.mid", MIDI)], "second", corpora)
    assert sorted(p.name for p in corpora.iterdir() if not p.name.startswith(".")) == ["first"]


def _aged(path: Path, age_s: float) -> Path:
    when = time.time() - age_s
    os.utime(path, (when, when))
    return path


def test_the_parse_cache_keeps_its_cap_oldest_first(tmp_path, monkeypatch) -> None:
    from lofi.core.constants import PARSER_VERSION
    from lofi.data.corpus import prune_parse_cache

    monkeypatch.setenv("LOFI_CACHE_DIR", str(tmp_path))
    current = tmp_path / "pieces" / str(PARSER_VERSION)
    old = tmp_path / "pieces" / "old-parser"
    current.mkdir(parents=True)
    old.mkdir()
    (old / "x.pkl").write_bytes(bytes(100))
    for i, name in enumerate(["oldest", "older", "kept", "new"]):
        _aged(_written(current / f"{name}.pkl", 100), 1000 - i)
    removed = prune_parse_cache(keep={"kept"}, max_bytes=200)
    assert removed == 300 and not old.exists()
    assert sorted(p.stem for p in current.iterdir()) == ["kept", "new"]


def _written(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(size))
    return path


def test_studio_player_audio_keeps_its_total_cap(tmp_path, monkeypatch) -> None:
    import lofi.service.studio_stream as stream

    monkeypatch.setattr(stream, "static_root", lambda: tmp_path)
    _limits(monkeypatch, stream, studio_static_bytes=250)
    beds = _written(tmp_path / stream.BEDS / "rain.wav", 100)
    for age, player in ((300, "a"), (200, "b"), (100, "c")):
        _aged(_written(tmp_path / player / "t1" / "melody-a.wav", 100), age)
    ours = tmp_path / "ours"
    _written(ours / "t9" / "melody-a.wav", 10)
    stream._prune(ours, keep=ours / "t9")
    assert sorted(p.name for p in tmp_path.iterdir()) == [stream.BEDS, "c", "ours"]
    assert beds.is_file()


def test_a_player_being_written_is_never_pruned(tmp_path, monkeypatch) -> None:
    """Another listener's take being written stays, even as the least recently used."""
    import lofi.service.studio_stream as stream
    from lofi.service.storage import begin_writing, end_writing, is_being_written

    monkeypatch.setattr(stream, "static_root", lambda: tmp_path)
    _limits(monkeypatch, stream, studio_static_bytes=250)
    _written(tmp_path / stream.BEDS / "rain.wav", 100)
    for age, player in ((300, "a"), (200, "b"), (100, "c")):
        _aged(_written(tmp_path / player / "t1" / "melody-a.wav", 100), age)
    ours = tmp_path / "ours"
    _written(ours / "t9" / "melody-a.wav", 10)
    begin_writing(tmp_path / "a")
    try:
        stream._prune(ours, keep=ours / "t9")
        assert sorted(p.name for p in tmp_path.iterdir()) == [stream.BEDS, "a", "ours"]
    finally:
        end_writing(tmp_path / "a")
    assert not is_being_written(tmp_path / "a")
    _aged(_written(tmp_path / "d" / "t1" / "melody-a.wav", 100), 50)
    stream._prune(ours, keep=ours / "t9")  # written out, it is the least recently used again
    assert sorted(p.name for p in tmp_path.iterdir()) == [stream.BEDS, "d", "ours"]


def test_cut_off_takes_and_page_visits_leave_nothing_behind(tmp_path) -> None:
    from lofi.service.storage import pin
    from lofi.service.takes import LEFTOVER_S, prune_session

    session = tmp_path / "s"
    stale = [
        _written(session / ".take-002-seed1.partial-abc" / "mix.wav", 1000).parent,
        _written(session / "take-003-seed1" / "mix.wav", 1000).parent,  # no take.json
    ]
    fresh = _written(session / ".take-004-seed1.partial-def" / "mix.wav", 10).parent
    pinned = _written(session / "take-005-seed1" / "mix.wav", 10).parent
    pin(pinned)
    for folder in [*stale, pinned]:
        for p in [folder, *folder.iterdir()]:
            _aged(p, LEFTOVER_S + 60)
    prune_session(session)
    assert sorted(p.name for p in session.iterdir()) == sorted([fresh.name, pinned.name])
