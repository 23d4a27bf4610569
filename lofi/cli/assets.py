"""`python -m lofi effects|presets`: effect beds and SoundFont presets."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `effects` command, its options and handler, to the command line."""
    e = sub.add_parser("effects", help="make the default effect beds (rain, vinyl)")
    e.add_argument("--out", type=Path, help="folder (default: the project's effects/)")
    e.add_argument("--force", action="store_true", help="remake files that exist")
    e.set_defaults(handler=_effects)

    p = sub.add_parser("presets", help="list a SoundFont's presets (bank:program name)")
    p.add_argument("soundfont", type=Path)
    p.set_defaults(handler=_presets)


def _effects(args: argparse.Namespace) -> int:
    from lofi.audio.effects import make_default_effects
    from lofi.core.paths import effects_dir

    out = args.out or effects_dir()
    out.mkdir(parents=True, exist_ok=True)
    if not args.force and (out / "rain.wav").exists() and (out / "vinyl.wav").exists():
        print(f"default effects already in {out}")
        return 0
    make_default_effects(out)
    print(f"wrote rain.wav and vinyl.wav in {out}")
    return 0


def _presets(args: argparse.Namespace) -> int:
    from lofi.audio.soundfonts import list_presets

    for preset in list_presets(args.soundfont):
        print(f"{preset.bank}:{preset.program}\t{preset.name}")
    return 0
