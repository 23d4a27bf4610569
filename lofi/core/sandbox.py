"""Running code on untrusted files in child processes with CPU, memory and wall-time limits.

A parser or decoder fed a hostile file may allocate without bound, spin or crash. Here it
runs in a child started with multiprocessing's spawn (nothing of the parent is inherited)
under `resource.setrlimit` caps: address space (RLIMIT_AS) and CPU seconds per job
(RLIMIT_CPU, re-armed before each job). The parent waits with a wall-time limit. A child
that dies, hangs or runs out of memory costs that one job a `SandboxError`; the pool
replaces it and carries on with the next job.

This module imports only the standard library, so a child starts quickly; the function a
job runs is imported in the child after the limits are in place.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from lofi.core.errors import LofiError


class SandboxError(LofiError):
    """A job in a sandboxed child failed: it crashed, ran too long or out of memory.

    `transient` marks a failure that is not the job's and may pass: a wall-time stop (a
    busy machine) or a child that could not start; the others recur.
    """

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Limits:
    """Caps for one job: address space in bytes, CPU seconds and wall seconds."""

    memory_bytes: int = 3 * 1024**3
    cpu_s: int = 60
    wall_s: float = 120.0


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _apply_limits(limits: Limits, scratch: str) -> None:
    """Caps this process's address space and gives it a private temporary folder.

    Temporary files (music21's scratch folder too) go to the folder the parent removes; each
    job re-arms its CPU limit.
    """
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    for var in _THREAD_VARS:  # BLAS thread pools reserve address space per thread
        os.environ[var] = "1"
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))


def _arm_cpu(limits: Limits) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + limits.cpu_s
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _child(requests: Connection, replies: Connection, limits: Limits, scratch: str) -> None:
    """The child's loop: (function, args) in, ("ok", value) or ("raise", error) out.

    It says ("started", None) first, so a child that dies before (it could not import what
    the parent runs) is not taken for one that a job killed.
    """
    _apply_limits(limits, scratch)
    replies.send(("started", None))
    while True:
        try:
            job = requests.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        _arm_cpu(limits)
        try:
            fn, args = job
            reply: tuple[str, Any] = ("ok", fn(*args))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:  # sent to the parent, which raises it or a SandboxError
            reply = ("raise", exc)
        try:
            replies.send(reply)
        except MemoryError:
            replies.send(("memory", None))
        except (pickle.PicklingError, TypeError, AttributeError):
            replies.send(("error", f"{type(reply[1]).__name__}: {reply[1]}"[:300]))


class _Child:
    """One spawned child process and its two pipes."""

    def __init__(self, limits: Limits) -> None:
        context = multiprocessing.get_context("spawn")
        child_requests, self.requests = context.Pipe(duplex=False)
        self.replies, child_replies = context.Pipe(duplex=False)
        self.scratch = tempfile.mkdtemp(prefix="lofi-sandbox-")
        self.process = context.Process(
            target=_child,
            args=(child_requests, child_replies, limits, self.scratch),
            daemon=True,
        )
        self.process.start()
        child_requests.close()
        child_replies.close()
        self.job: Any = None
        self.started = 0.0
        self.running = False  # it has said it started

    def send(self, job: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.job = job
        self.started = time.monotonic()
        self.requests.send((fn, args))

    def kill(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(ProcessLookupError, OSError):
                os.kill(self.process.pid or 0, signal.SIGKILL)
        self.process.join()
        self.requests.close()
        self.replies.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.requests.send(None)
        self.process.join(2)
        self.kill()


def _death(child: _Child, limits: Limits) -> SandboxError:
    child.process.join(1)
    code = child.process.exitcode
    if not child.running:  # not the job's fault: a file is not called bad for it
        return SandboxError(f"the reader could not start (exit code {code})", transient=True)
    if code == -signal.SIGXCPU:
        return SandboxError(f"it needed more than {limits.cpu_s} s of CPU time and was stopped")
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return SandboxError(f"the reader crashed (signal {name})")
    return SandboxError(f"the reader stopped unexpectedly (exit code {code})")


def _outcome(reply: tuple[str, Any], limits: Limits) -> Any:
    status, value = reply
    if status == "ok":
        return value
    if status == "memory":
        return SandboxError(f"it needed more than {limits.memory_bytes >> 20} MB of memory")
    if status == "raise" and isinstance(value, BaseException):
        return value
    return SandboxError(f"the reader failed ({value})")


class Sandbox:
    """A pool of limited children; use as a context manager.

    Args:
        limits: the caps every job runs under.
        workers: how many children run jobs at once.
    """

    def __init__(self, limits: Limits | None = None, workers: int = 1) -> None:
        self.limits = limits or Limits()
        self.workers = max(1, workers)
        self._idle: list[_Child] = []

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops every idle child process; the sandbox starts new ones if used again."""
        for child in self._idle:
            child.close()
        self._idle = []

    def _child(self) -> _Child:
        return self._idle.pop() if self._idle else _Child(self.limits)

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Runs `fn(*args)` in a child and returns its value.

        Raises:
            SandboxError: the child crashed, ran out of memory or time.
            Exception: whatever `fn` raised (LofiErrors pass through unchanged).
        """
        for _item, value in self.map_unordered(fn, [args]):
            if isinstance(value, BaseException):
                raise value
            return value
        raise SandboxError("no result")  # pragma: no cover - one job gives one result

    def map_unordered(
        self, fn: Callable[..., Any], jobs: Iterable[tuple[Any, ...]]
    ) -> Iterator[tuple[tuple[Any, ...], Any]]:
        """Yields (args, value or exception) as jobs finish; one failure costs one job."""
        todo = list(jobs)
        todo.reverse()
        busy: dict[Connection, _Child] = {}
        try:
            while todo or busy:
                while todo and len(busy) < self.workers:
                    child = self._child()
                    args = todo.pop()
                    try:
                        child.send(args, fn, args)
                    except (OSError, ValueError):  # the idle child had died meanwhile
                        child.kill()
                        todo.append(args)
                        continue
                    busy[child.replies] = child
                now = time.monotonic()
                first_deadline = min(c.started for c in busy.values()) + self.limits.wall_s
                ready = wait(list(busy), timeout=max(0.0, first_deadline - now))
                for conn in ready:
                    child = busy.pop(conn)  # type: ignore[call-overload]
                    try:
                        reply = child.replies.recv()
                    except (EOFError, OSError):
                        yield child.job, _death(child, self.limits)
                        child.kill()
                        continue
                    except MemoryError:
                        child.kill()
                        yield child.job, SandboxError("its result was too large")
                        continue
                    if reply[0] == "started":
                        child.running = True
                        busy[child.replies] = child  # its job's reply is still to come
                        continue
                    self._idle.append(child)
                    yield child.job, _outcome(reply, self.limits)
                now = time.monotonic()
                for conn, child in list(busy.items()):
                    if now - child.started >= self.limits.wall_s:
                        del busy[conn]
                        child.kill()
                        yield (
                            child.job,
                            SandboxError(
                                f"it took longer than {self.limits.wall_s:g} s and was stopped",
                                transient=True,
                            ),
                        )
        finally:
            for child in busy.values():
                child.kill()


def run_limited(fn: Callable[..., Any], *args: Any, limits: Limits | None = None) -> Any:
    """`fn(*args)` in a fresh limited child (see `Sandbox.run`)."""
    with Sandbox(limits) as sandbox:
        return sandbox.run(fn, *args)
