"""Importing the engine starts nothing; process-wide switches are scoped and restored."""

import gc
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lofi.data.corpus import gc_paused
from lofi.learn.train import sigterm_sets

PROBE = """
import atexit, os, sys
from pathlib import Path
registered = []
_register = atexit.register
def spy(func, *args, **kwargs):
    registered.append(getattr(func, "__module__", "") or "")
    return _register(func, *args, **kwargs)
atexit.register = spy

def children():
    me = str(os.getpid())
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] == me:
            out.append(int(pid))
    return out

import lofi.audio.render as render
import lofi.service.track, lofi.service.uploads, lofi.data.corpus  # noqa: F401
print("import", [m for m in registered if m.startswith("lofi")], len(render._workers), children())
from lofi.audio.render import render_midi
render_midi(Path(sys.argv[1]).read_bytes(), Path(sys.argv[2]))
print("render", [m for m in registered if m.startswith("lofi")], len(children()) > 0)
render.shutdown()
print("shutdown", [w.alive() for w in render._workers])
"""


def test_importing_starts_no_workers_and_registers_nothing(
    gm_soundfont: Path, four_part_midi: bytes, tmp_path: Path
) -> None:
    midi = tmp_path / "song.mid"
    midi.write_bytes(four_part_midi)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(midi), str(gm_soundfont)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    assert lines["import"] == "[] 0 []"  # no exit hook, no pool, no child process
    assert lines["render"] == "['lofi.audio.render'] True"  # the first render starts them
    assert lines["shutdown"] == "[False, False]"


@pytest.mark.parametrize("enabled_before", [True, False])
def test_gc_pause_restores_the_previous_state(enabled_before: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled_before else gc.disable)()
        with gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() == enabled_before
        with pytest.raises(RuntimeError), gc_paused():
            raise RuntimeError("a failing read")
        assert gc.isenabled() == enabled_before
    finally:
        (gc.enable if was else gc.disable)()


def test_a_stop_request_belongs_to_one_run_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    first = threading.Event()
    with sigterm_sets(first):
        os.kill(os.getpid(), signal.SIGTERM)
        assert first.wait(5)
    assert signal.getsignal(signal.SIGTERM) == before
    second = threading.Event()
    with sigterm_sets(second):
        assert not second.is_set()  # the last run's stop does not leak into this one
    assert signal.getsignal(signal.SIGTERM) == before
