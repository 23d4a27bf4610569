"""Rendering MIDI to audio with FluidSynth, always in child processes.

A SoundFont is untrusted C input, so FluidSynth only ever runs in a worker process with a
memory cap and a time limit; a worker that dies or hangs is replaced and the job fails with
a clear error. Workers are long-lived and keep their SoundFonts loaded (loading the
MuseScore sf3 costs over a second), and the parts of a song render in parallel.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import pickle
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from lofi.audio.midi_events import read_midi_events
from lofi.audio.render_worker import NOTE_OFF, PROGRAM
from lofi.audio.soundfonts import Instrument, Preset, list_presets
from lofi.core.constants import (
    CHANNELS,
    RENDER_MEMORY_BYTES,
    RENDER_TIMEOUT_S,
    SAMPLE_RATE,
)
from lofi.core.errors import LofiError, RenderError, SoundFontError
from lofi.core.settings import MIX

WORKERS = 2
LOAD_TIMEOUT_S = 60.0


class _Worker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.send_conn: Any = None
        self.recv_conn: Any = None
        self.fonts: set[tuple[str, int, int]] = set()  # loaded in the running process

    def has_fonts(self, paths: set[str]) -> bool:
        return self.alive() and all(_font_key(p) in self.fonts for p in paths)

    def _start(self) -> None:
        # A fresh interpreter (not fork, not multiprocessing's spawn) so nothing of the
        # parent — TensorFlow, Streamlit, its main module — is inherited or re-imported.
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lofi.audio.render_worker",
                str(to_child_r),
                str(from_child_w),
                str(SAMPLE_RATE),
                str(RENDER_MEMORY_BYTES),
            ],
            pass_fds=(to_child_r, from_child_w),
            start_new_session=True,  # its own process group: a stop also ends a render fork
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.send_conn = Connection(to_child_w, readable=False)
        self.recv_conn = Connection(from_child_r, writable=False)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, force: bool = False) -> None:
        """Asks the worker to leave (or kills it and its render fork at once, if `force`)."""
        if self.process is not None:
            if not force:
                with contextlib.suppress(OSError, ValueError):
                    self.send_conn.send(None)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=2)
            if self.process.returncode is None:  # not reaped yet, so its group id is still ours
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)  # the worker and its fork
            self.process.wait()
            self.send_conn.close()
            self.recv_conn.close()
        self.process = None
        self.fonts = set()

    def kill(self) -> None:
        """Ends the worker and its render fork at once, from any thread.

        Its pipes are left to the thread that holds the lock: that thread's call sees the
        pipe close and cleans up. Closing them here too would race its close (a closed or
        reused file descriptor).
        """
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)

    def call(self, request: tuple[str, Any], timeout: float, what: str, retry: bool = True) -> Any:
        """Sends one job and waits for its answer, starting a worker if there is none.

        A worker that dies with the job is replaced and the job tried once more (it may have
        died before the job reached it); a second death or a timeout is a RenderError.
        """
        with self.lock:
            for attempt in (1, 2) if retry else (2,):
                if not self.alive():
                    self.stop()
                    self._start()
                try:
                    self.send_conn.send(request)
                    if not self.recv_conn.poll(timeout):
                        self.stop(force=True)
                        raise RenderError(f"{what} took longer than {timeout:g} s and was stopped")
                    status, value = self.recv_conn.recv()
                    break
                except (EOFError, OSError, pickle.UnpicklingError):
                    self.stop(force=True)
                    if attempt == 2:
                        raise RenderError(f"the synthesiser crashed while {what}") from None
            if status == "soundfont":
                raise SoundFontError(f"{what} failed: {value}")
            if status != "ok":
                raise RenderError(f"{what} failed: {value}")
            kind, payload = request
            key = _font_key(payload if kind == "load" else payload["soundfont"])
            if key is not None:
                self.fonts.add(key)
            return value


def _font_key(path: str) -> tuple[str, int, int] | None:
    """How the worker caches a loaded SoundFont: path, modification time and size."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return (path, st.st_mtime_ns, st.st_size)


# The pool: filled on first use by _pool(), so importing this module starts nothing.
_workers: list[_Worker] = []
_pool_lock = threading.Lock()


def _pool() -> list[_Worker]:
    """The render workers (their processes start with their first job).

    Made on first use, when `shutdown` is also registered to run at exit.
    """
    with _pool_lock:
        if not _workers:
            _workers.extend(_Worker() for _ in range(WORKERS))
            atexit.register(shutdown)
    return _workers


def shutdown() -> None:
    """Stops the workers; one still busy (say, warming up) is killed at once.

    The pool stays usable: a later render starts its workers again.
    """
    for w in list(_workers):
        if w.lock.acquire(blocking=False):
            try:
                w.stop()
            finally:
                w.lock.release()
        else:
            w.kill()  # the busy call's own thread closes the pipes


def warm_up(soundfonts: list[Path], workers: list[_Worker] | None = None) -> None:
    """Starts the workers and loads these SoundFonts in them, so the first render is quick.

    The loading runs in the background; this returns at once.
    """
    paths = [str(Path(p).resolve()) for p in soundfonts]

    def load(worker: _Worker) -> None:
        for path in paths:
            # A failure here shows again, with its message, when a render needs the font.
            with contextlib.suppress(LofiError, OSError, ValueError):
                worker.call(("load", path), LOAD_TIMEOUT_S, "warming up", retry=False)

    for worker in _pool() if workers is None else workers:
        if not worker.lock.locked():  # not already busy warming up
            threading.Thread(target=load, args=(worker,), daemon=True).start()


PROBE_PITCHES = (36, 48, 60, 72, 84)


def probe_soundfont(path: Path, preset: Preset | None = None) -> None:
    """Loads a SoundFont in a fresh worker and plays a chord with `preset` for a second.

    Raises:
        SoundFontError: FluidSynth refused or crashed on it, or the preset plays silence.
    """
    probe = _Worker()
    font = str(Path(path).resolve())
    try:
        probe.call(("load", font), LOAD_TIMEOUT_S, f"loading {path.name}")
        if preset is None:
            return
        rows = [(0, 1, 0, p, 100) for p in PROBE_PITCHES]
        rows += [(SAMPLE_RATE // 2, 0, 0, p, 0) for p in PROBE_PITCHES]
        job = {
            "soundfont": font,
            "bank": preset.bank,
            "program": preset.program,
            "events": np.array(rows, dtype=np.int64),
            "frames": SAMPLE_RATE,
        }
        audio = probe.call(("render", job), LOAD_TIMEOUT_S, f"playing {path.name}")
    except (RenderError, SoundFontError) as exc:
        raise SoundFontError(f"{path.name} cannot be used: {exc}") from None
    finally:
        probe.stop()
    peak = float(np.abs(audio).max()) if np.isfinite(audio).all() else math.inf
    if not 1e-4 < peak < 100:
        raise SoundFontError(
            f"{path.name} cannot be used: its first preset {preset.bank}:{preset.program} "
            f"plays {'silence' if peak <= 1e-4 else 'broken samples'}"
        )


DC_WARN_SHARE = 0.05  # a test note whose DC is this share of its energy would thump


def dc_share(path: Path, preset: Preset, pitch: int = 60) -> float:
    """The share of a test note's energy that is DC (its mean squared over its power).

    The note (middle C at velocity 100, held for a second) plays in a fresh worker, as the
    upload's check does. Mix version 2 removes DC from every stem; this tells the user a
    SoundFont has it before an older recipe's mono mix, or another program, plays it.
    """
    probe = _Worker()
    rows = np.array([(0, 1, 0, pitch, 100), (SAMPLE_RATE, 0, 0, pitch, 0)], dtype=np.int64)
    job = {
        "soundfont": str(Path(path).resolve()),
        "bank": preset.bank,
        "program": preset.program,
        "events": rows,
        "frames": SAMPLE_RATE + SAMPLE_RATE // 2,
    }
    try:
        audio = probe.call(("render", job), LOAD_TIMEOUT_S, f"playing {Path(path).name}")
    finally:
        probe.stop()
    x = np.asarray(audio, dtype=np.float64)
    power = float(np.mean(x**2))
    return float(np.mean(x.mean(axis=0) ** 2) / power) if power > 0 else 0.0


def check_soundfont(path: Path | str) -> list[Preset]:
    """Header and preset checks, then a real load and a chord in a fresh render worker.

    Returns:
        The SoundFont's presets.

    Raises:
        SoundFontError: the file is not a usable SoundFont.
    """
    presets = list_presets(path)
    probe_soundfont(Path(path), presets[0])
    return presets


def _check_instrument(inst: Instrument) -> None:
    presets = list_presets(inst.soundfont)  # raises SoundFontError naming the file
    if not any(p.bank == inst.bank and p.program == inst.program for p in presets):
        raise SoundFontError(f"{inst.soundfont.name} has no preset {inst.bank}:{inst.program}")


def song_frames(midi: bytes | Path, tail_s: float = 2.0) -> int:
    """How many frames `render_stems` makes of this MIDI: its last event plus `tail_s`."""
    return read_midi_events(midi).end_frame + int(tail_s * SAMPLE_RATE)


def render_stems(
    midi: bytes | Path,
    instruments: dict[str, Instrument],
    tail_s: float = MIX.tail_s,
    frames: int | None = None,
) -> dict[str, np.ndarray]:
    """Renders each named part (MIDI track) with its instrument into a float32 (n, 2) stem.

    All stems have the same length: the song's last event plus `tail_s`. With `frames`, only
    the song's first `frames` frames are rendered; they equal the start of the whole render
    sample for sample (each render starts from a fresh synthesiser).
    """
    read = read_midi_events(midi)
    events, last = read.tracks, read.end_frame
    for inst in instruments.values():
        _check_instrument(inst)
    whole = last + int(tail_s * SAMPLE_RATE)
    frames = whole if frames is None else max(1, min(int(frames), whole))
    jobs = []
    for part, inst in instruments.items():
        rows = events.get(part, np.zeros((0, 5), dtype=np.int64))
        rows = rows[(rows[:, 1] != PROGRAM) & (rows[:, 0] < frames)]
        jobs.append(
            (
                part,
                {
                    "soundfont": str(inst.soundfont.resolve()),
                    "bank": inst.bank,
                    "program": inst.program,
                    "gain_db": inst.gain_db,
                    "events": rows,
                    "frames": frames,
                },
            )
        )
    # Longest jobs first, each worker takes the next free job. Only workers that hold the
    # SoundFonts take part: when none does, one worker loads them and renders every part
    # (two loading the same sf3 at once fight for the cores and are slower), and the other
    # loads them afterwards, in the background, for the next song.
    fonts = {job["soundfont"] for _, job in jobs}
    workers = _pool()
    ready = [w for w in workers if w.has_fonts(fonts)] or workers[:1]
    jobs.sort(key=lambda j: -len(j[1]["events"]))
    queue = list(jobs)
    results: dict[str, np.ndarray] = {}
    lock = threading.Lock()

    def run(worker: _Worker) -> None:
        while True:
            with lock:
                if not queue:
                    return
                part, job = queue.pop(0)
            name = Path(job["soundfont"]).name
            results[part] = worker.call(
                ("render", job), RENDER_TIMEOUT_S, f"rendering {part} with {name}"
            )

    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(run, w) for w in ready]:
            future.result()
    warm_up([Path(f) for f in sorted(fonts)], [w for w in workers if w not in ready])
    return {part: results[part] for part in instruments}


def render_midi(
    midi: bytes | Path, soundfont: Path, tail_s: float = MIX.tail_s, seconds: float | None = None
) -> np.ndarray:
    """Renders a MIDI file with its own programs (for previewing a corpus piece).

    Args:
        midi: the file or its bytes.
        soundfont: the SoundFont every channel plays.
        tail_s: silence kept after the last event for release tails.
        seconds: render only this much of the start (an excerpt), or the whole file.

    Returns:
        Stereo float32 frames.
    """
    list_presets(soundfont)
    read = read_midi_events(midi)
    events, last = read.tracks, read.end_frame
    rows = np.concatenate(list(events.values())) if events else np.zeros((0, 5), np.int64)
    if seconds is not None:
        last = min(last, int(seconds * SAMPLE_RATE))
        rows = rows[rows[:, 0] < last]
    rows = rows[np.lexsort((rows[:, 1] != NOTE_OFF, rows[:, 0]))]
    job = {
        "soundfont": str(Path(soundfont).resolve()),
        "bank": None,
        "program": None,
        "events": rows,
        "frames": last + int(tail_s * SAMPLE_RATE),
    }
    audio: np.ndarray = _pool()[0].call(("render", job), RENDER_TIMEOUT_S, "rendering")
    assert audio.shape[1] == CHANNELS
    return audio
