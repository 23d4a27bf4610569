"""The flags that choose what makes the songs, shared by `generate` and `evaluate`.

`--style` (a name or a folder; the shipped style without it) or `--melody-model` /
`--chord-model` (checkpoint folders; the shipped one for the part left out), not both.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_style_flags(parser: argparse.ArgumentParser) -> None:
    """Adds --style, --melody-model and --chord-model to a command."""
    parser.add_argument(
        "--style",
        help="a style: `default`, a name from `train style`, or its folder (default: default, "
        "unless --melody-model/--chord-model are given)",
    )
    for part in ("melody", "chord"):
        parser.add_argument(
            f"--{part}-model", type=Path, help=f"{part} checkpoint folder (not with --style)"
        )


def chosen_checkpoints(args: argparse.Namespace) -> tuple[Path, Path] | None:
    """The melody and chord checkpoints the model flags name, or None when neither is given.

    Raises:
        ConfigError: if --style is given with a model flag.
    """
    from lofi.core.errors import ConfigError
    from lofi.models.loading import default_chord_model, default_melody_model

    if not (args.melody_model or args.chord_model):
        return None
    if args.style:
        raise ConfigError("give either --style or --melody-model/--chord-model, not both")
    return args.melody_model or default_melody_model(), args.chord_model or default_chord_model()


def chosen_style(args: argparse.Namespace) -> Path:
    """The style folder --style names (the shipped style without it).

    Raises:
        StyleError: if there is no such style.
    """
    from lofi.models.style import resolve_style

    return resolve_style(args.style or "default")
