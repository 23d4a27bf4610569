"""`python -m lofi playlist`: an hour-long mix of distinct tracks with crossfades."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lofi.cli.generate import _parse_effects, _refuse_existing
from lofi.cli.style_flags import add_style_flags, chosen_checkpoints, chosen_style


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `playlist` command, its options and handler, to the command line."""
    p = sub.add_parser(
        "playlist",
        help="a long continuous mix of distinct tracks",
        description="Write DIR/mix.wav, mix.mp3 (with chapters), cue.json, mix.cue and "
        "playlist.json (the recipe that makes the same mix again).",
    )
    p.add_argument("--out", type=Path, required=True, help="new folder for the mix")
    p.add_argument("--recipe", type=Path, help="make the mix a playlist.json describes again")
    p.add_argument(
        "--minutes",
        type=float,
        default=60.0,
        help="length of the mix; the last track is cut to whole phrases to end near it "
        "(default 60)",
    )
    p.add_argument("--seed", type=int, default=1, help="random seed of the playlist (default 1)")
    p.add_argument(
        "--keys",
        nargs="+",
        default=None,
        metavar="KEY",
        help="keys the tracks may use, e.g. A-minor D-minor F-major (default: six common keys)",
    )
    p.add_argument(
        "--bpm-range",
        nargs=2,
        type=float,
        default=(70.0, 88.0),
        metavar=("LO", "HI"),
        help="tempo range the tracks drift within (default 70 88)",
    )
    p.add_argument("--bars", type=int, default=48, help="bars per track (default 48)")
    p.add_argument("--energy", type=float, default=0.5, help="0 calm … 1 lively (default 0.5)")
    p.add_argument(
        "--crossfade", type=float, default=4.0, help="seconds two tracks overlap (default 4)"
    )
    p.add_argument("--effects", default=None, metavar="NAME=DB,...", help="as for generate")
    add_style_flags(p)
    p.add_argument(
        "--soundfont", action="append", default=[], metavar="PART=PATH[:BANK:PROG]",
        help="instrument for chords, melody, bass or drums; repeatable",
    )  # fmt: skip
    p.add_argument("--no-mp3", action="store_true", help="skip the MP3")
    p.set_defaults(handler=_playlist)


class Bar:
    """A one-line progress bar on stderr (a few lines: no dependency for it)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, tracks: int, seconds: float, target: float) -> None:
        """Redraws the bar: tracks made, minutes written of the target, time left."""
        share = min(seconds / target, 1.0) if target else 1.0
        filled = int(share * 30)
        elapsed = time.perf_counter() - self.started
        eta = elapsed / share - elapsed if share > 0 else 0.0
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} · {tracks} tracks · "
            f"{seconds / 60:5.1f}/{target / 60:.1f} min · ETA {eta:4.0f} s "
        )
        sys.stderr.flush()


def _playlist(args: argparse.Namespace) -> int:
    from lofi.audio.soundfonts import default_instruments, parse_instrument_spec
    from lofi.core.errors import ConfigError
    from lofi.core.types import GenerationConfig
    from lofi.service.novelty import DriftLimits
    from lofi.service.playlist import PlaylistPlan, new_playlist, replay_playlist
    from lofi.service.recipe import TrackRequest, style_request
    from lofi.service.track import ensure_default_effects, resolve_effects

    _refuse_existing(args.out)
    bar = Bar()
    if args.recipe:
        result = replay_playlist(args.recipe, args.out, not args.no_mp3, bar)
    else:
        instruments = default_instruments()
        for spec in args.soundfont:
            part, sep, rest = spec.partition("=")
            if not sep or part not in instruments:
                raise ConfigError(f"--soundfont {spec!r}: use PART=PATH[:BANK:PROGRAM]")
            instruments[part] = parse_instrument_spec(rest)
        if args.effects is None:
            ensure_default_effects()
        levels = _parse_effects(args.effects)
        paths = resolve_effects(levels)
        checkpoints = chosen_checkpoints(args)
        if checkpoints:
            base = TrackRequest(GenerationConfig(), *checkpoints, instruments, levels, paths)
        else:
            base = style_request(GenerationConfig(), chosen_style(args), instruments, levels, paths)
        defaults = DriftLimits()
        limits = DriftLimits(
            keys=tuple(args.keys) if args.keys else defaults.keys,
            bpm_range=(float(args.bpm_range[0]), float(args.bpm_range[1])),
            energy=args.energy,
        )
        plan = PlaylistPlan(args.seed, args.minutes, args.bars, args.crossfade, limits)
        result = new_playlist(plan, base, args.out, not args.no_mp3, bar)
    sys.stderr.write("\n")
    print(
        f"wrote {result.folder / 'mix.wav'}: {len(result.entries)} tracks, "
        f"{result.seconds / 60:.1f} min, cue sheet and playlist.json beside it"
    )
    return 0
