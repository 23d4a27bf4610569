import os
from pathlib import Path

from lofi.service.storage import pin, prune


def _take(folder: Path, name: str, size: int, age_s: float, now: float) -> Path:
    path = folder / name
    path.mkdir()
    (path / "mix.wav").write_bytes(bytes(size))
    for p in (path / "mix.wav", path):
        os.utime(p, (now - age_s, now - age_s))
    return path


def test_old_takes_go_first_then_the_least_recent_until_they_fit(tmp_path) -> None:
    now = 1_000_000.0
    old = _take(tmp_path, "old", 10, 10 * 86400, now)
    a = _take(tmp_path, "a", 400, 300, now)
    b = _take(tmp_path, "b", 400, 200, now)
    c = _take(tmp_path, "c", 400, 100, now)
    removed = prune(tmp_path, max_bytes=900, max_age_s=86400, now=now)
    assert removed == [old, a]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "c"]
    assert b.is_dir() and c.is_dir()


def test_pinned_and_kept_takes_stay_whatever_their_age_or_size(tmp_path) -> None:
    now = 1_000_000.0
    pinned = _take(tmp_path, "pinned", 1000, 30 * 86400, now)
    pin(pinned)
    current = _take(tmp_path, "current", 1000, 30 * 86400, now)
    other = _take(tmp_path, "other", 10, 30 * 86400, now)
    assert prune(tmp_path, max_bytes=0, max_age_s=0, keep=[current], now=now) == [other]
    assert pinned.is_dir() and current.is_dir()
    assert prune(tmp_path / "missing", 0, 0) == []


def test_an_old_session_holding_a_downloaded_take_stays(tmp_path) -> None:
    from lofi.service.storage import holds_kept, mark_downloaded

    now = 1_000_000.0
    kept, gone = _take(tmp_path, "kept", 10, 30 * 86400, now), _take(tmp_path, "gone", 10, 0, now)
    mark_downloaded(_take(kept, "take-001", 10, 30 * 86400, now))
    _take(gone, "take-001", 10, 30 * 86400, now)
    assert prune(tmp_path, 0, 0, keep=holds_kept, now=now) == [gone]
