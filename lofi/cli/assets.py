"""`python -m lofi effects|presets`: effect beds and SoundFont presets."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `effects` command, its options and handler, to the command line."""
    e = sub.add_parser(
        "effects",
        help="make the default effect beds (rain, vinyl)",
        description="Write rain.wav and vinyl.wav, the default effect beds, made by LoFi "
        "Studio's own code (synthesized, no samples), into the effects folder `generate` "
        "and the studio read. Beds that are already there are kept.",
    )
    e.add_argument(
        "--out", type=Path, help="folder to write them in (default: effects/ in the data folder)"
    )
    e.add_argument("--force", action="store_true", help="make them again over existing files")
    e.set_defaults(handler=_effects)

    k = sub.add_parser(
        "kit",
        help="make the sampled lofi drum kit (LoFi_Kit.sf2) from sonic-pi-samples",
        description="Write LoFi_Kit.sf2, the default drum kit, made by LoFi Studio's own code "
        "from Debian's sonic-pi-samples (CC0), into the SoundFonts folder. A kit that is "
        "already there is kept.",
    )
    k.add_argument(
        "--out", type=Path, help="folder to write it in (default: soundfonts/ in the data folder)"
    )
    k.add_argument("--force", action="store_true", help="make it again over an existing file")
    k.set_defaults(handler=_kit)

    p = sub.add_parser(
        "presets",
        help="list a SoundFont's presets (bank:program name)",
        description="List the presets of a SoundFont (.sf2 or .sf3), one a line as "
        "BANK:PROGRAM and its name: the numbers `generate --soundfont PART=PATH:BANK:PROGRAM` "
        "takes.",
    )
    p.add_argument("soundfont", type=Path, help="the SoundFont file (.sf2 or .sf3)")
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


def _kit(args: argparse.Namespace) -> int:
    from lofi.audio.kits import KIT_FILE, kit_available, make_kit
    from lofi.core.errors import ConfigError
    from lofi.core.paths import SONIC_PI_SAMPLES, soundfonts_dir

    out = (args.out or soundfonts_dir()) / KIT_FILE
    if out.exists() and not args.force:
        print(f"the drum kit is already in {out}")
        return 0
    if not kit_available():
        raise ConfigError(
            f"the kit's samples are not in {SONIC_PI_SAMPLES}: install sonic-pi-samples"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    make_kit(out)
    print(f"wrote {out}")
    return 0


def _presets(args: argparse.Namespace) -> int:
    from lofi.audio.soundfonts import list_presets

    for preset in list_presets(args.soundfont):
        print(f"{preset.bank}:{preset.program}\t{preset.name}")
    return 0
