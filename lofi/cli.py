"""`python -m lofi train|generate|effects|corpus|presets`: the engine from a shell."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from lofi.errors import ConfigError, LofiError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

KEYS_HELP = "any of the 24 keys, e.g. A-minor, Eb-major, F#m (default A-minor)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lofi",
        description="LoFi Studio: learn lofi hip-hop from MIDI and render finished tracks.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser(
        "train",
        help="train the melody or chord model on a corpus",
        description="Train a model; progress lines go to OUT/progress.jsonl.",
    )
    t.add_argument("kind", choices=["melody", "chords"], help="which model to train")
    t.add_argument(
        "--corpus",
        default="default",
        help="simutrans, openmsx, blupi, bach, default, or a folder of "
        ".mid/.midi/.mxl/.xml files (default: default)",
    )
    t.add_argument("--out", type=Path, required=True, help="new run folder for the checkpoint")
    t.add_argument("--epochs", type=int, default=30, help="most epochs (default 30)")
    t.add_argument("--seq-len", type=int, default=32, help="steps per training window")
    t.add_argument("--batch-size", type=int, default=64, help="windows per batch")
    t.add_argument("--units", type=int, default=128, help="LSTM units per layer")
    t.add_argument("--layers", type=int, default=1, help="LSTM layers")
    t.add_argument("--embedding", type=int, default=24, help="embedding width per input")
    t.add_argument("--dropout", type=float, default=0.4, help="dropout after each LSTM")
    t.add_argument("--learning-rate", type=float, default=1e-3, help="Adam learning rate")
    t.add_argument(
        "--patience",
        type=int,
        default=4,
        help="epochs without a better validation loss before stopping",
    )
    t.add_argument(
        "--validation-split",
        type=float,
        default=0.1,
        help="share of pieces held out for validation",
    )
    t.add_argument("--max-steps", type=int, default=0, help="cap on steps per epoch (0: none)")
    t.add_argument("--seed", type=int, default=0, help="seed for the split and the weights")

    g = sub.add_parser(
        "generate",
        help="compose, render and mix a track",
        description="Write DIR/mix.wav, mix.mp3, song.mid, stems/*.wav and recipe.json.",
    )
    g.add_argument("--out", type=Path, required=True, help="new folder for the track's files")
    g.add_argument("--recipe", type=Path, help="reproduce the track a recipe.json describes")
    g.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    g.add_argument("--key", default="A-minor", help=KEYS_HELP)
    g.add_argument("--bpm", type=float, default=78.0, help="tempo, 60–100 (default 78)")
    g.add_argument("--bars", type=int, default=48, help="length in bars, 8–256 (default 48)")
    g.add_argument(
        "--temperature",
        type=float,
        default=0.9,
        help="sampling temperature: lower is safer, higher is wilder (default 0.9)",
    )
    g.add_argument("--top-k", type=int, default=0, help="sample from the k likeliest (0: off)")
    g.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass (1: off)")
    g.add_argument(
        "--no-stay-in-key", action="store_true", help="let the melody leave the key's scale"
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
        "(default rain=-24,vinyl=-28)",
    )
    g.add_argument("--melody-model", type=Path, help="melody checkpoint folder")
    g.add_argument("--chord-model", type=Path, help="chord checkpoint folder")
    g.add_argument("--no-mp3", action="store_true", help="skip the MP3")

    e = sub.add_parser("effects", help="make the default effect beds (rain, vinyl)")
    e.add_argument("--out", type=Path, help="folder (default: the project's effects/)")
    e.add_argument("--force", action="store_true", help="remake files that exist")

    c = sub.add_parser("corpus", help="parse a corpus (cached) and print its statistics")
    c.add_argument("name", help="simutrans, openmsx, blupi, bach, default, or a folder")

    v = sub.add_parser("evaluate", help="compose songs and print their MusPy-style metrics")
    v.add_argument("--songs", type=int, default=10, help="how many seeds (default 10)")
    v.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    v.add_argument("--bars", type=int, default=48, help="length in bars (default 48)")
    v.add_argument("--melody-model", type=Path, help="melody checkpoint folder")
    v.add_argument("--chord-model", type=Path, help="chord checkpoint folder")

    p = sub.add_parser("presets", help="list a SoundFont's presets (bank:program name)")
    p.add_argument("soundfont", type=Path)
    return parser


def _parse_effects(text: str | None) -> dict[str, float]:
    from lofi.track import DEFAULT_EFFECTS

    if text is None:
        return dict(DEFAULT_EFFECTS)
    levels: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"effect {item!r} is not NAME=DB")
        if value.strip().lower() in ("off", "-inf"):
            levels[name.strip()] = -math.inf
            continue
        try:
            levels[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"effect level {value!r} is not a number of dB") from None
    return levels


def _refuse_existing(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty; choose a new --out folder (nothing is overwritten)")


def _generate(args: argparse.Namespace) -> int:
    from lofi.recipe import TrackRequest, load_recipe
    from lofi.soundfonts import default_instruments, parse_instrument_spec
    from lofi.track import (
        default_chord_model,
        default_melody_model,
        make_track,
        resolve_effects,
        write_track,
    )
    from lofi.types import GenerationConfig, Key, SamplingConfig

    _refuse_existing(args.out)
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
        levels = _parse_effects(args.effects)
        sampling = SamplingConfig(args.temperature, args.top_k, args.top_p, not args.no_stay_in_key)
        config = GenerationConfig(args.seed, Key.parse(args.key), args.bpm, args.bars, sampling)
        request = TrackRequest(
            config=config,
            melody_model=args.melody_model or default_melody_model(),
            chord_model=args.chord_model or default_chord_model(),
            instruments=instruments,
            effects=levels,
            effect_paths=resolve_effects(levels),
        )
    track = make_track(request)
    paths = write_track(track, request, args.out, mp3=not args.no_mp3)
    seconds = len(track.mix) / 44_100
    print(f"wrote {paths['wav']} ({seconds:.1f} s) and {len(paths) - 1} more files in {args.out}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from lofi.corpus import load_corpus
    from lofi.models import ModelSize
    from lofi.train import TrainConfig, command_line, train

    config = TrainConfig(
        kind=args.kind,
        corpus=args.corpus,
        epochs=args.epochs,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        validation_split=args.validation_split,
        patience=args.patience,
        seed=args.seed,
        size=ModelSize(args.units, args.layers, args.embedding, args.dropout),
        max_steps=args.max_steps,
    )
    if config.epochs < 1 or config.seq_len < 2 or config.batch_size < 1:
        raise ConfigError("epochs, sequence length and batch size must be positive")
    corpus = load_corpus(args.corpus)
    meta = train(config, corpus, args.out, command=command_line())
    print(
        f"best val_loss {meta['best_val_loss']:.4f} at epoch {meta['best_epoch']}; "
        f"checkpoint in {args.out}"
    )
    return 0


def _effects(args: argparse.Namespace) -> int:
    from lofi.effects import make_default_effects
    from lofi.paths import effects_dir

    out = args.out or effects_dir()
    out.mkdir(parents=True, exist_ok=True)
    if not args.force and (out / "rain.wav").exists() and (out / "vinyl.wav").exists():
        print(f"default effects already in {out}")
        return 0
    make_default_effects(out)
    print(f"wrote rain.wav and vinyl.wav in {out}")
    return 0


def _corpus(args: argparse.Namespace) -> int:
    from lofi.corpus import corpus_stats, load_corpus

    corpus = load_corpus(args.name)
    stats = corpus_stats(corpus)
    print(
        f"{corpus.name}: {len(corpus.pieces)} pieces, {len(corpus.bad)} bad, "
        f"{stats.total_minutes:.1f} min, {stats.total_notes} notes"
    )
    for bad in corpus.bad:
        print(f"  bad: {bad.path.name}: {bad.reason}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import numpy as np

    from lofi.compose import compose
    from lofi.metrics import groove_consistency, pitch_class_entropy, scale_consistency
    from lofi.track import default_chord_model, default_melody_model, load_models
    from lofi.types import GenerationConfig, Key

    models = load_models(
        args.melody_model or default_melody_model(), args.chord_model or default_chord_model()
    )
    rows = []
    keys = Key.all()
    for seed in range(args.first_seed, args.first_seed + args.songs):
        key = keys[seed % len(keys)]
        song = compose(GenerationConfig(seed=seed, key=key, bars=args.bars), models)
        row = (pitch_class_entropy(song), scale_consistency(song), groove_consistency(song))
        rows.append(row)
        print(
            f"seed {seed:4d} {key.name:9s} entropy {row[0]:.3f} bits  "
            f"scale {row[1]:.3f}  groove {row[2]:.3f}"
        )
    mean = np.mean(rows, axis=0)
    print(f"mean           entropy {mean[0]:.3f} bits  scale {mean[1]:.3f}  groove {mean[2]:.3f}")
    return 0


def _presets(args: argparse.Namespace) -> int:
    from lofi.soundfonts import list_presets

    for preset in list_presets(args.soundfont):
        print(f"{preset.bank}:{preset.program}\t{preset.name}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {
        "generate": _generate,
        "train": _train,
        "effects": _effects,
        "corpus": _corpus,
        "presets": _presets,
        "evaluate": _evaluate,
    }
    try:
        return handlers[args.command](args)
    except LofiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
