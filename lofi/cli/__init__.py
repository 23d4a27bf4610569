"""`python -m lofi train|generate|effects|corpus|presets`: the engine from a shell."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from lofi.cli import assets, corpus, evaluate, generate, train
from lofi.core.errors import LofiError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lofi",
        description="LoFi Studio: learn lofi hip-hop from MIDI and render finished tracks.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (train, generate, corpus, assets, evaluate):
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except LofiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
