"""`python -m lofi where`: the data folder the shell and the studio share."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `where` command, its options and handler, to the command line."""
    w = sub.add_parser(
        "where",
        help="print the data folder (SoundFonts, effects, runs, takes)",
        description="Print the folder lofi keeps its data in: $LOFI_HOME if set, else the "
        "checkout when run from one, else the platform's user data folder.",
    )
    w.add_argument(
        "--all", action="store_true", help="also list each folder inside it, one per line"
    )
    w.set_defaults(handler=_where)


def _where(args: argparse.Namespace) -> int:
    from lofi.core import paths

    print(paths.home())
    if args.all:
        folders = {
            "soundfonts": paths.soundfonts_dir(),
            "effects": paths.effects_dir(),
            "user data": paths.user_data_dir(),
            "styles": paths.styles_dir(),
            "cache": paths.cache_dir(),
            "shipped style": paths.checkpoints_dir(),
        }
        for name, folder in folders.items():
            print(f"{name}\t{folder}")
    return 0
