"""`python -m lofi generate`: compose, render and mix a track."""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path

from lofi.cli.out_folder import check_writable, staged
from lofi.cli.style_flags import add_style_flags, chosen_checkpoints, chosen_style
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import ConfigError
from lofi.core.settings import GENERATION, LIMITS, MIX, SETTINGS, USER_SETTINGS

KEYS_HELP = f"any of the 24 keys, e.g. A-minor, Eb-major, F#m (default {GENERATION.key})"
EFFECTS_DEFAULT = ",".join(f"{name}={db:g}" for name, db in MIX.effect_levels_db)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `generate` command, its options and handler, to the command line."""
    g = sub.add_parser(
        "generate",
        help="compose, render and mix a track",
        description="Write DIR/mix.wav, mix.mp3, song.mid, stems/*.wav and recipe.json.",
    )
    g.add_argument("--out", type=Path, required=True, help="new folder for the track's files")
    g.add_argument("--recipe", type=Path, help="reproduce the track a recipe.json describes")
    g.add_argument("--key", default=GENERATION.key, action=_Given, help=KEYS_HELP)
    g.add_argument(
        "--loop",
        type=Path,
        metavar="FILE",
        help="build the track around your loop (.mid or MusicXML), kept note for note; its "
        "key, tempo and length are read from the file (--key and --bpm override them)",
    )
    g.add_argument(
        "--loop-part",
        choices=("chords", "melody"),
        default="chords",
        help="the part your loop plays: the style writes the others around it (default chords)",
    )
    g.add_argument(
        "--loop-scope",
        choices=("whole", "A"),
        default="whole",
        help="where your loop plays: the whole track (default), or, for a chords loop of 1, 2 "
        "or 4 bars, the A sections only (the style writes the other chord loops after it)",
    )
    add_setting_flags(g, given=("bpm",))  # every Studio setting, declared once
    low, high, span = (
        SETTINGS["register_low"].default,
        SETTINGS["register_high"].default,
        GENERATION.register_span,
    )
    g.add_argument(
        "--register",
        default=f"{low}-{high}",
        metavar="LOW-HIGH",
        help="sounding MIDI pitches the melody may use, e.g. 60-84 (middle C to two octaves "
        f"up); at least {span} semitones wide (default {low}-{high}: the model's own register)",
    )
    g.add_argument(
        "--soundfont",
        action="append",
        default=[],
        metavar="PART=PATH[:BANK:PROG]",
        help="instrument for chords, melody, bass or drums; repeatable",
    )
    g.add_argument(
        "--effects",
        default=None,
        metavar="NAME=DB,...",
        help="effect levels in dB, e.g. rain=-20,vinyl=-26; NAME=off leaves one out "
        f"(default {EFFECTS_DEFAULT})",
    )
    add_style_flags(g)
    g.add_argument("--no-mp3", action="store_true", help="skip the MP3")
    g.set_defaults(handler=_generate, key_given=False, bpm_given=False)


def add_setting_flags(g: argparse.ArgumentParser, given: tuple[str, ...] = ()) -> None:
    """One option per user setting (lofi.core.settings.USER_SETTINGS), its register aside.

    The settings in `given` also note that the user gave them (`NAME_given`).
    """
    for s in USER_SETTINGS:
        if s.name in ("register_low", "register_high"):
            continue  # both ends in one --register LOW-HIGH
        shown = s.span is not None and s.kind is not bool and s.span.high < 1e6
        span = f", {s.span}" if shown else ""
        default = s.default if s.kind is bool else f"{s.default:g}"
        text = f"{s.help}{span} (default {default})"
        if s.kind is bool:
            g.add_argument(
                s.flag, action=argparse.BooleanOptionalAction, default=s.default, help=text
            )
        else:
            action = _Given if s.name in given else "store"
            g.add_argument(s.flag, type=s.kind, default=s.default, action=action, help=text)


def setting_values(args: argparse.Namespace) -> dict[str, object]:
    """The user's settings as the options hold them, by setting name."""
    values = {s.name: getattr(args, s.name) for s in USER_SETTINGS if hasattr(args, s.name)}
    values["register_low"], values["register_high"] = parse_register(args.register)
    return values


class _Given(argparse.Action):
    """Stores the value and notes that the user gave it (a loop's own key and tempo yield)."""

    def __call__(
        self, parser: object, namespace: object, values: object, option: object = None
    ) -> None:
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


def _parse_effects(text: str | None) -> dict[str, float]:
    if text is None:
        return MIX.effect_levels()
    levels: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"effect {item!r} is not NAME=DB")
        if value.strip().lower() in ("off", "-inf"):
            levels[name.strip()] = -math.inf
            continue
        try:
            level = float(value)
        except ValueError:
            raise ConfigError(f"effect level {value!r} is not a number of dB") from None
        if level not in LIMITS.effect_db:  # also refuses nan and 1e308
            raise ConfigError(
                f"effect level {value.strip()} dB is outside {LIMITS.effect_db} (or off)"
            )
        levels[name.strip()] = level
    return levels


def parse_register(text: str) -> tuple[int, int]:
    """'60-84' → (60, 84)."""
    low, sep, high = text.strip().partition("-")
    try:
        if not sep:
            raise ValueError
        return int(low), int(high)
    except ValueError:
        raise ConfigError(f"--register {text!r} is not LOW-HIGH, e.g. 60-84") from None


def _refuse_existing(out: Path) -> None:
    """--out must be a new or empty folder whose parents are folders, not files."""
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            raise ConfigError(f"--out {out}: {parent} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty; choose a new --out folder (nothing is overwritten)")


def _generate(args: argparse.Namespace) -> int:
    from lofi.audio.soundfonts import default_instruments, parse_instrument_spec
    from lofi.core.types import Key
    from lofi.service.loops import keep_loop, open_loop
    from lofi.service.recipe import TrackRequest, load_recipe, settings_config, style_request
    from lofi.service.track import ensure_default_effects, make_track, resolve_effects, write_track
    from lofi.service.user_settings import settings_mix

    _refuse_existing(args.out)
    check_writable(args.out)  # before a minute of work, not after
    if args.recipe:
        request = load_recipe(args.recipe)
    else:
        instruments = default_instruments()
        for spec in args.soundfont:
            part, sep, rest = spec.partition("=")
            if not sep or part not in instruments:
                raise ConfigError(
                    f"--soundfont {spec!r}: use PART=PATH[:BANK:PROGRAM] with PART "
                    f"one of {', '.join(instruments)}"
                )
            instruments[part] = parse_instrument_spec(rest)
        if args.effects is None:
            ensure_default_effects()
        levels = _parse_effects(args.effects)
        # The same settings make the same song as in the Studio, part seeds and all.
        values = setting_values(args)
        config, tape = settings_config(values, Key.parse(args.key))
        loop = None
        if args.loop is not None:
            loop = open_loop(
                args.loop,
                args.loop_part,
                config.key if args.key_given else None,
                config.bpm if args.bpm_given else None,
                scope=args.loop_scope,
            )
            config = replace(config, key=loop.loop.key, bpm=loop.loop.bpm)
        checkpoints = chosen_checkpoints(args)
        if checkpoints:
            request = TrackRequest(
                config=config,
                melody_model=checkpoints[0],
                chord_model=checkpoints[1],
                instruments=instruments,
                effects=levels,
                effect_paths=resolve_effects(levels),
                tape=tape,
                mix=settings_mix(values),
            )
        else:
            request = style_request(
                config,
                chosen_style(args),
                instruments,
                levels,
                resolve_effects(levels),
                tape,
                mix=settings_mix(values),
            )
        request = replace(request, loop=loop)
    track = make_track(request)
    if request.loop is not None and not args.recipe:
        keep_loop(args.loop, request.loop.loop.content_hash)  # the recipe finds it by hash
    with staged(args.out) as folder:  # a kill leaves no folder that looks finished
        try:
            paths = write_track(track, request, folder, mp3=not args.no_mp3)
        except OSError as exc:
            raise ConfigError(f"cannot write into {args.out}: {exc.strerror}") from None
    seconds = len(track.mix) / SAMPLE_RATE
    wav = args.out / paths["wav"].name
    print(f"wrote {wav} ({seconds:.1f} s) and {len(paths) - 1} more files in {args.out}")
    return 0
