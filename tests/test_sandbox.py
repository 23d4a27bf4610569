"""The sandbox: a hostile job costs an error, never the calling process."""

import os
import signal
import time
from pathlib import Path

import pytest

from lofi.core.errors import CorpusError
from lofi.core.sandbox import Limits, Sandbox, SandboxError, run_limited
from lofi.data.corpus import load_corpus
from tests.fuzz.scores import (
    LYING_MIDI_HEX,
    big_mxl,
    long_musicxml,
    many_track_midi,
)

DATA = Path(__file__).parent / "data" / "midi"
SMALL = Limits(memory_bytes=1024**3, cpu_s=2, wall_s=20.0)


def _allocate(gib: int) -> int:
    return len(bytearray(gib * 1024**3))


def _spin() -> None:
    while True:
        pass


def _sleep() -> None:
    time.sleep(60)


def _crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _refuse(name: str) -> None:
    raise CorpusError(name, "a reason of its own")


def _square(x: int) -> int:
    return x * x


def _leave_a_temp_file() -> str:
    import tempfile

    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(b"scratch")
    return f.name


def test_temporary_files_of_a_job_are_removed_with_its_child() -> None:
    left = Path(run_limited(_leave_a_temp_file))
    assert left.name and not left.exists() and "lofi-sandbox-" in str(left)


@pytest.mark.parametrize(
    ("job", "message"),
    [
        (lambda s: s.run(_allocate, 8), "more than 1024 MB of memory"),
        (lambda s: s.run(_spin), "more than 2 s of CPU"),
        (lambda s: s.run(_crash), "crashed .signal SIGSEGV"),
    ],
)
def test_a_hostile_job_becomes_an_error_and_the_pool_goes_on(job, message) -> None:
    with Sandbox(SMALL) as sandbox:
        with pytest.raises(SandboxError, match=message):
            job(sandbox)
        assert sandbox.run(_square, 7) == 49


def test_a_hanging_job_is_stopped_at_its_wall_time() -> None:
    with pytest.raises(SandboxError, match="longer than 1 s") as info:
        run_limited(_sleep, limits=Limits(cpu_s=5, wall_s=1.0))
    assert info.value.transient


def test_the_jobs_own_errors_pass_through_whole() -> None:
    with pytest.raises(CorpusError) as info:
        run_limited(_refuse, "x.mid")
    assert info.value.reason == "a reason of its own" and info.value.path.name == "x.mid"


def test_one_death_costs_one_job() -> None:
    with Sandbox(SMALL, workers=2) as sandbox:
        jobs = [(3,), (4,), (5,)]
        out = dict(sandbox.map_unordered(_square, jobs))
        assert out == {(3,): 9, (4,): 16, (5,): 25}
        crashed = list(sandbox.map_unordered(_allocate, [(8,), (0,)]))
        assert sorted(str(v) for _, v in crashed) == ["0", "it needed more than 1024 MB of memory"]


def test_hostile_scores_are_reported_beside_a_good_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LOFI_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "lying.mid").write_bytes(bytes.fromhex(LYING_MIDI_HEX))
    (folder / "tracks.mid").write_bytes(many_track_midi(5000))
    (folder / "long.xml").write_bytes(long_musicxml(30_000))
    (folder / "bomb.mxl").write_bytes(big_mxl(1536 * 1024**2))
    (folder / "good.mid").write_bytes((DATA / "tiny_c_major.mid").read_bytes())
    corpus = load_corpus(folder, workers=2)
    assert [p.name for p in corpus.pieces] == ["good.mid"]
    reasons = {b.path.name: b.reason for b in corpus.bad}
    assert reasons == {
        "lying.mid": "a note lasts until beat 268435455; pieces may last 20000 beats",
        "tracks.mid": "5000 tracks; the limit is 256",
        "long.xml": "30000 measures; the limit is 8000",
        "bomb.mxl": "the compressed MusicXML unpacks to too much",
    }


def test_a_child_that_cannot_start_does_not_make_a_file_bad(tmp_path, monkeypatch) -> None:
    # A spawned child first imports the parent's main script; when that fails (a script
    # piped to python, a file moved away), the child dies before any job: that is no
    # file's fault, and a corpus read then must not remember its files as bad.
    import __main__

    monkeypatch.setenv("LOFI_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.mid").write_bytes((DATA / "tiny_c_major.mid").read_bytes())
    with monkeypatch.context() as broken:
        broken.setattr(__main__, "__spec__", None, raising=False)  # run as a script, whose
        broken.setattr(__main__, "__file__", str(tmp_path / "moved-away.py"), raising=False)
        with pytest.raises(SandboxError, match="could not start") as info:
            run_limited(_square, 3, limits=SMALL)
        assert info.value.transient
        assert [b.path.name for b in load_corpus(folder).bad] == ["good.mid"]
    assert [p.name for p in load_corpus(folder).pieces] == ["good.mid"]  # read again: good
