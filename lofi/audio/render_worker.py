"""The FluidSynth child process.

It imports only numpy and fluidsynth, keeps loaded SoundFonts between jobs, and plays event
arrays the parent prepared into float buffers.

Reverb and chorus are off in FluidSynth (the master adds the room), so no sound carries from
one job to the next and every render is deterministic whatever ran before it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

NOTE_OFF, NOTE_ON, CONTROL, PROGRAM, PITCH = 0, 1, 2, 3, 4
SYNTH_GAIN = 0.5


class FontError(Exception):
    """FluidSynth refused a SoundFont; the parent turns it into a SoundFontError."""


class _Player:
    def __init__(self, sample_rate: int) -> None:
        # pyfluidsynth prints where it found the library when CI is set; the worker's stdout
        # belongs to the command that started it (JSON reports), so the note is kept out.
        with contextlib.redirect_stdout(sys.stderr):
            import fluidsynth

        self.fluidsynth = fluidsynth
        self.synth = fluidsynth.Synth(
            gain=SYNTH_GAIN,
            samplerate=float(sample_rate),
            **{
                "synth.reverb.active": 0,
                "synth.chorus.active": 0,
                "synth.polyphony": 512,
                "synth.cpu-cores": 1,
            },
        )
        # pyfluidsynth's only public sample call, get_samples, writes 16-bit dithered integers
        # that clip at full scale; FluidSynth's own fluid_synth_write_float has no Python
        # wrapper, so it is bound here with pyfluidsynth's prototype helper.
        self.write_float = fluidsynth.cfunc(
            "fluid_synth_write_float",
            ctypes.c_int,
            ("synth", ctypes.c_void_p, 1),
            ("len", ctypes.c_int, 1),
            ("lout", ctypes.c_void_p, 1),
            ("loff", ctypes.c_int, 1),
            ("lincr", ctypes.c_int, 1),
            ("rout", ctypes.c_void_p, 1),
            ("roff", ctypes.c_int, 1),
            ("rincr", ctypes.c_int, 1),
        )
        self.fonts: dict[tuple[str, int, int], int] = {}

    def _write(self, ptr: int, frames: int) -> None:
        self.write_float(self.synth.synth, frames, ptr, 0, 2, ptr, 1, 2)

    def font(self, path: str) -> int:
        st = Path(path).stat()
        key = (path, st.st_mtime_ns, st.st_size)
        if key not in self.fonts:
            sfid = self.synth.sfload(path, 0)
            if sfid < 0:
                raise FontError("FluidSynth could not load it")
            self.fonts[key] = sfid
        return self.fonts[key]

    def render(self, job: dict[str, Any]) -> np.ndarray:
        sfid = self.font(job["soundfont"])
        synth = self.synth
        events: np.ndarray = job["events"]  # rows: frame, kind, channel, a, b
        channels = sorted({int(c) for c in events[:, 2]}) if len(events) else []
        bank, program = job.get("bank"), job.get("program")
        for ch in channels or [0]:
            if bank is None:  # the file's own programs (previewing a corpus piece)
                synth.program_select(ch, sfid, 128 if ch == 9 else 0, 0)
            else:
                synth.program_select(ch, sfid, bank, program)
        frames = int(job["frames"])
        out = np.zeros((frames, 2), dtype=np.float32)
        base = out.ctypes.data
        now = 0
        for frame, kind, ch, a, b in events.tolist():
            frame = min(frame, frames)
            if frame > now:
                self._write(base + now * 8, frame - now)
                now = frame
            if kind == NOTE_ON:
                synth.noteon(ch, a, b)
            elif kind == NOTE_OFF:
                synth.noteoff(ch, a)
            elif kind == CONTROL:
                synth.cc(ch, a, b)
            elif kind == PROGRAM and bank is None:
                synth.program_select(ch, sfid, 128 if ch == 9 else 0, a)
            elif kind == PITCH:
                synth.pitch_bend(ch, a)
        if frames > now:
            self._write(base + now * 8, frames - now)
        gain = 10 ** (float(job.get("gain_db", 0.0)) / 20)
        if gain != 1.0:
            out *= np.float32(gain)
        return out


def _render_in_fork(player: _Player, job: dict[str, Any], replies: Connection) -> None:
    """Renders in a forked copy of this process.

    So every job starts from the same pristine synthesiser (FluidSynth's reused voices keep
    traces of earlier notes) while the loaded SoundFonts are shared copy-on-write.
    """
    player.font(job["soundfont"])  # loaded once here, inherited by every fork
    pid = os.fork()
    if pid == 0:  # the child: render, answer, leave without running any cleanup
        code = 0
        try:
            replies.send(("ok", player.render(job)))
        except MemoryError:
            replies.send(("error", "ran out of its memory limit"))
        except BaseException as exc:
            replies.send(("error", str(exc) or type(exc).__name__))
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        replies.send(("error", f"the synthesiser crashed (signal {os.WTERMSIG(status)})"))


def serve(requests: Connection, replies: Connection, sample_rate: int, memory_bytes: int) -> None:
    """Answers jobs until the parent closes the pipe: ("load", path) or ("render", job)."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    player = _Player(sample_rate)
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        kind, payload = request
        try:
            if kind == "load":
                player.font(payload)
                replies.send(("ok", None))
            else:
                _render_in_fork(player, payload, replies)
        except FontError as exc:
            replies.send(("soundfont", str(exc)))
        except MemoryError:
            replies.send(("error", "ran out of its memory limit"))
        except Exception as exc:  # reported to the parent, which raises its own error
            replies.send(("error", str(exc) or type(exc).__name__))


if __name__ == "__main__":
    read_fd, write_fd, rate, memory = (int(a) for a in sys.argv[1:5])
    serve(Connection(read_fd, writable=False), Connection(write_fd, readable=False), rate, memory)
