"""Stopping the render workers while one is busy: no stray exception, the pool goes on."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from lofi.audio import render
from lofi.audio.soundfonts import Instrument

WARM_AND_EXIT = """
import sys, time
from lofi.audio import render
render.warm_up([sys.argv[1]])
while not any(w.alive() and w.lock.locked() for w in render._workers):
    time.sleep(0.001)
time.sleep(float(sys.argv[2]))
"""  # exits while a worker loads the SoundFont: the atexit shutdown meets a busy call


def _busy_worker(wait_s: float = 5.0) -> render._Worker | None:
    """A worker in the middle of a call, or None if none was seen busy within `wait_s`.

    A worker that already holds the SoundFont answers the warm-up at once, so its call may
    end before it is seen: the caller then warms up again.
    """
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        busy = [w for w in render._workers if w.alive() and w.lock.locked()]
        if busy:
            return busy[0]
        time.sleep(0.001)
    return None


def test_shutdown_meets_busy_workers_cleanly_and_rendering_goes_on(
    gm_soundfont, four_part_midi
) -> None:
    caught: list[object] = []
    hooks = (sys.unraisablehook, threading.excepthook)
    sys.unraisablehook = caught.append
    threading.excepthook = caught.append
    met = 0
    try:
        for _ in range(40):  # until 4 shutdowns have met a busy worker
            render.warm_up([gm_soundfont])
            busy = _busy_worker()
            seen = busy.process if busy is not None else None
            render.shutdown()
            if busy is None:
                continue
            with busy.lock:  # the busy call has ended and cleaned up after itself
                if busy.process is not None and busy.process is not seen:
                    # The call was still starting its worker when the kill came (nothing to
                    # kill yet) and went on with a fresh one: not a shutdown that met a busy
                    # worker. Stopped here, and the test warms up again.
                    busy.stop()
                    continue
                # A call that finished just as the kill came leaves a killed worker that the
                # next call replaces: SIGKILL ends it, though not always at once on a busy host.
                if busy.process is not None:
                    busy.process.wait(timeout=30)
                assert busy.process is None or not busy.alive()
            met += 1
            if met == 4:
                break
    finally:
        sys.unraisablehook, threading.excepthook = hooks
    assert met == 4
    assert caught == []
    stems = render.render_stems(four_part_midi, {"melody": Instrument(gm_soundfont, 0, 11)})
    assert abs(stems["melody"]).max() > 1e-3


def test_a_process_leaving_while_a_worker_loads_prints_nothing(gm_soundfont) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for delay in ("0", "0", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1"):
        done = subprocess.run(
            [sys.executable, "-c", WARM_AND_EXIT, str(gm_soundfont), delay],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0 and done.stderr == "", done.stderr
