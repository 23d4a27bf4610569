"""`python -m lofi COMMAND`: the engine from a shell (train, generate, playlist, where…)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from lofi.cli import assets, corpus, evaluate, generate, playlist, train, where
from lofi.core.errors import LofiError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class _Parser(argparse.ArgumentParser):
    """Reports a bad flag or value in one line (the usage stays behind --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m lofi",
        description="LoFi Studio: learn lofi hip-hop from MIDI and render finished tracks.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (train, generate, playlist, corpus, assets, evaluate, where):
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; every failure is one line on stderr and a non-zero exit code."""
    args = _parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what a generated file cites
    try:
        return int(args.handler(args))
    except LofiError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        output = _output_of(args, exc)
        if output is None:
            return _unexpected(exc)
        print(f"error: cannot write {output}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: ran out of memory; try a smaller input", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line and a way to report it, not a traceback
        return _unexpected(exc)


def _unexpected(exc: BaseException) -> int:
    text = _one_line(f"{type(exc).__name__}: {exc}")
    print(
        f"error: unexpected failure ({text}); please report it with the command you ran",
        file=sys.stderr,
    )
    return 1


OUTPUT_FLAGS = {
    "out": "into {}",
    "json": "{}",
    "report": "{}",
}  # where a command writes: a folder, a file


def _output_of(args: argparse.Namespace, exc: OSError) -> str | None:
    """The output (--out, --json) that a failed write was for, if it was for one.

    The path that failed may be the output itself, a file inside it, or a folder above it
    that could not be made (/proc/x/y: /proc/x).
    """
    if exc.filename is None:
        return None
    failed = Path(str(exc.filename)).resolve()
    for flag, phrase in OUTPUT_FLAGS.items():
        given = getattr(args, flag, None)
        if not isinstance(given, str | Path) or "://" in str(given):
            continue
        target = Path(given).resolve()
        if failed == target or target in failed.parents or failed in target.parents:
            return phrase.format(given)
    return None


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "unknown error")[:400]
