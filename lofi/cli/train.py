"""`python -m lofi train`: train a part model on a corpus."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from lofi.cli.out_folder import check_writable
from lofi.cli.train_files import train_file
from lofi.core.errors import ConfigError
from lofi.core.parts import part_names, rules_fallbacks, style_parts
from lofi.core.settings import TRAINING
from lofi.learn.presets import (
    CRITIC_LOOPS,
    PIANO_PACK_PARTS,
    PIANO_PRESET,
    default_parts,
    preset_for,
)

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus
    from lofi.learn.train import TrainConfig


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `train` command, its options and handler, to the command line."""
    t = sub.add_parser(
        "train",
        help="train a part model, or a whole style, on a corpus",
        description="Train a model; progress lines go to OUT/progress.jsonl. `train style` "
        "trains every part (a pack of piano loops: the piano and the bass) into OUT/PART and "
        "writes OUT/style.json.",
    )
    t.add_argument(
        "kind",
        choices=[*part_names(), "form", "timing", "critic", "style"],
        help="which model to train; form: the form model alone (OUT/form.json); timing: the "
        "timing feels alone (OUT/timing.json); critic: the loop critic of the style in OUT, "
        "which chooses among the loops its piano draws (OUT/critic.npz); style: every part, "
        "the form, the timing and, with a piano, its loop critic (see --parts)",
    )
    t.add_argument(
        "--parts",
        help="style only: the parts to learn, comma-separated; the others fall back on the "
        "shipped style's models or their hand-written rules "
        f"({', '.join(dict.fromkeys(rules_fallbacks().values()))}), as style.json records "
        f"(default: {','.join(PIANO_PACK_PARTS)} for a pack of piano loops, a piano program "
        f"alone and no drums in nearly every piece; else {','.join(style_parts(()))})",
    )
    d = TRAINING
    t.add_argument(
        "--corpus",
        default=d.corpus,
        help="simutrans, openmsx, blupi, lofi, bach, default, or a folder of "
        f".mid/.midi/.mxl/.xml files (default: {d.corpus})",
    )
    t.add_argument("--out", type=Path, required=True, help="new run folder for the checkpoint")
    options: list[tuple[str, type, float, str]] = [
        ("--epochs", int, d.epochs, f"most epochs, {d.epochs_range}"),
        ("--seq-len", int, d.seq_len, f"steps per training window, {d.seq_len_range}"),
        ("--batch-size", int, d.batch_size, f"windows per batch, {d.batch_size_range}"),
        ("--units", int, d.units, f"LSTM units per layer, {d.units_range}"),
        ("--layers", int, d.layers, f"LSTM layers, {d.layers_range}"),
        ("--embedding", int, d.embedding, "embedding width per input"),
        ("--dropout", float, d.dropout, "dropout after each LSTM"),
        (
            "--token-dropout",
            float,
            d.token_dropout,
            "share of training steps that hide the previous tokens from the network",
        ),
        ("--patience", int, d.patience, "epochs without a better validation loss before stopping"),
        (
            "--validation-split",
            float,
            d.validation_split,
            f"share of pieces held out for validation, {d.validation_split_range}",
        ),
        ("--max-steps", int, d.max_steps, "cap on steps per epoch (0: none)"),
        ("--seed", int, d.seed, "seed for the split and the weights"),
    ]
    preset = PIANO_PRESET.settings()
    for flag, kind, default, text in options:
        name = flag[2:].replace("-", "_")
        if name in preset:  # left out: filled once the parts are known (`resolve_options`)
            text += f" (default {default:g}; {preset[name]:g} when learning the piano)"
            t.add_argument(flag, type=kind, help=text)
        else:
            t.add_argument(flag, type=kind, default=default, help=f"{text} (default {default:g})")
    t.add_argument(
        "--learning-rate",
        type=float,
        help=f"Adam learning rate, {d.learning_rate_range} (default {d.learning_rate:g}; "
        f"{preset['learning_rate']:g} when learning the piano; {d.finetune_learning_rate:g} "
        "with --from)",
    )
    t.add_argument(
        "--from",
        dest="start_from",
        metavar="STYLE",
        help="style only: fine-tune from this style (a name, `default` for the shipped one, "
        "or a folder with style.json): every part starts from its weights, size and dropout "
        "(no size or dropout flags)",
    )
    t.add_argument(
        "--resume",
        action="store_true",
        help="style only: go on with a stopped `train style` in the same --out folder: finished "
        "parts are kept, a stopped part continues from its best checkpoint",
    )
    t.add_argument(
        "--held-out",
        type=float,
        default=None,
        help="share of the corpus' pieces never trained on, chosen by content hash as "
        f"`evaluate` chooses them (a style, form or timing: default {d.held_out:g}; one "
        "part: default 0; 0 trains on every piece)",
    )
    t.add_argument(
        "--critic-loops",
        type=int,
        default=CRITIC_LOOPS,
        help="a style with a piano, or critic: loops its piano draws for the loop critic to "
        f"learn from (default {CRITIC_LOOPS}; 0: no critic, the piano plays the first loop "
        "it draws)",
    )
    t.add_argument(
        "--data",
        help="train from the TFRecord shards `corpus build` wrote in this folder (or gs://…) "
        "instead of parsing --corpus",
    )
    t.add_argument(
        "--strategy",
        choices=["none", "multiworker"],
        default="none",
        help="multiworker: tf.distribute.MultiWorkerMirroredStrategy over the cluster in "
        "TF_CONFIG (needs --data)",
    )
    t.add_argument(
        "--workers",
        type=int,
        default=0,
        help="start this many local workers on 127.0.0.1 (implies --strategy multiworker)",
    )
    t.add_argument(
        "--shard-policy",
        choices=["DATA", "FILE"],
        default="DATA",
        help="how workers split the shards: DATA (every worker reads all, keeps its share) or "
        "FILE (whole files per worker; needs at least one file per worker)",
    )
    t.set_defaults(handler=_train)


_PASSED_ON = (
    "epochs",
    "batch_size",
    "units",
    "layers",
    "embedding",
    "dropout",
    "token_dropout",
    "learning_rate",
    "patience",
    "max_steps",
    "seed",
    "shard_policy",
)


def _worker_argv(args: argparse.Namespace) -> list[str]:
    """The command each local worker runs: this one, without --workers."""
    argv = ["train", args.kind, "--data", str(args.data), "--out", str(args.out)]
    for name in _PASSED_ON:
        argv += ["--" + name.replace("_", "-"), str(getattr(args, name))]
    return [*argv, "--strategy", "multiworker"]


def check_train_options(args: argparse.Namespace) -> None:
    """Every number in its range before a corpus is parsed or a process started."""
    checks = [
        ("--epochs", args.epochs, 1, 10_000),
        ("--seq-len", args.seq_len, 2, 4096),
        ("--batch-size", args.batch_size, 1, 65_536),
        ("--units", args.units, 1, 4096),
        ("--layers", args.layers, 1, 8),
        ("--embedding", args.embedding, 2, 1024),
        ("--dropout", args.dropout, 0.0, 0.95),
        ("--token-dropout", args.token_dropout, 0.0, 0.9),
        ("--learning-rate", args.learning_rate, 1e-7, 1.0),
        ("--patience", args.patience, 0, 10_000),
        ("--validation-split", args.validation_split, 0.01, 0.5),
        ("--workers", args.workers, 0, 16),
        ("--max-steps", args.max_steps, 0, 10_000_000),
        ("--seed", args.seed, 0, 2**32 - 1),  # what numpy and TensorFlow take
        ("--critic-loops", args.critic_loops, 0, 100_000),
    ]
    for flag, value, low, high in checks:
        if value is None:  # left out: its default or preset is in range
            continue
        if not low <= value <= high:  # also refuses nan
            raise ConfigError(f"{flag} {_num(value)} is outside {_num(low)}–{_num(high)}")
    check_writable(args.out)
    if getattr(args, "resume", False) and not _has_stopped_run(args.out):
        raise ConfigError(
            f"--resume: {args.out} holds no stopped style run to go on with; "
            "leave out --resume to start one there"
        )


def _num(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _has_stopped_run(out: Path) -> bool:
    return any((out / kind).is_dir() for kind in part_names())


def _train(args: argparse.Namespace) -> int:
    from lofi.data.corpus import load_corpus
    from lofi.data.split import training_part
    from lofi.learn.finetune import check_fine_tuning_options
    from lofi.learn.train import check_config, train

    check_train_options(args)
    if args.kind != "style" and (args.start_from or args.resume):
        raise ConfigError("--from and --resume are for styles: use `train style`")
    if args.start_from:  # --layers has a default: given as it, it changes nothing
        layers = None if args.layers == TRAINING.layers else args.layers
        check_fine_tuning_options({**vars(args), "layers": layers})
    if args.held_out is not None and not 0.0 <= args.held_out < 1.0:
        raise ConfigError(f"--held-out {args.held_out:g} is outside 0–1")
    if args.kind in ("form", "timing", "critic"):
        return train_file(args)
    check_config(train_config(args))  # what was given, before a corpus is parsed
    distributed = bool(args.data or args.workers or args.strategy != "none")
    if distributed and args.kind in ("style", "drums", "bass", "comping"):
        raise ConfigError(
            "styles, drum, bass and comping models train from --corpus, not from shards"
        )
    corpus = None if distributed else load_corpus(args.corpus)
    chosen = resolve_options(args, corpus)
    config = train_config(args)
    check_config(config)
    command = recorded_command(args, chosen)
    if corpus is None:
        return _train_distributed(args, config, command)
    if args.kind == "style":
        args.held_out = TRAINING.held_out if args.held_out is None else args.held_out
        return _train_style(args, config, corpus, command)
    if args.held_out:  # a part alone trains on every piece unless told to keep some unseen
        corpus = training_part(corpus, args.held_out)
    meta = train(config, corpus, args.out, command=command)
    print(
        f"best val_loss {meta['best_val_loss']:.4f} at epoch {meta['best_epoch']}; "
        f"checkpoint in {args.out}"
    )
    return 0


def resolve_options(args: argparse.Namespace, corpus: Corpus | None) -> list[str]:
    """Fills in the parts and settings the user left out; returns them as flags.

    A style's parts default to what the corpus is (`lofi.learn.presets.default_parts`); a
    run learning the piano from scratch takes the shipped style's settings
    (`PIANO_PRESET`) for each one not given, any other run the settings' defaults. One line
    says what was chosen and why.

    Returns:
        The flags chosen beyond the settings' defaults (the parts, the preset's settings)
        that the command did not give: appended to it, they reproduce the run.
    """
    chosen: list[str] = []
    why = ""
    parts: tuple[str, ...] = (args.kind,)
    if args.kind == "style":
        if args.parts is None:
            parts, why = default_parts(corpus) if corpus is not None else (style_parts(()), "")
            args.parts = ",".join(parts)
            chosen += ["--parts", args.parts]
        else:
            parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    preset = preset_for(parts, fine_tuning=bool(args.start_from))
    filled = False
    for name, value in (preset.settings() if preset else _defaults(args)).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
            if preset is not None:
                chosen += ["--" + name.replace("_", "-"), _num(value)]
                filled = True
    if why or filled:
        settings = " with the shipped style's settings where none were given" if filled else ""
        print(f"{why + ': ' if why else ''}training {','.join(parts)}{settings}")
    return chosen


def _defaults(args: argparse.Namespace) -> dict[str, int | float]:
    """The settings' defaults of the options a preset may set."""
    values = {name: getattr(TRAINING, name) for name in PIANO_PRESET.settings()}
    return {**values, "learning_rate": default_learning_rate(args)}


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The run's settings from the options; one left out reads as its default."""
    from lofi.learn.models import ModelSize
    from lofi.learn.train import TrainConfig

    given = {**_defaults(args), **{k: v for k, v in vars(args).items() if v is not None}}
    return TrainConfig(
        kind=args.kind,
        corpus=args.corpus,
        epochs=given["epochs"],
        seq_len=given["seq_len"],
        batch_size=given["batch_size"],
        learning_rate=given["learning_rate"],
        validation_split=args.validation_split,
        patience=given["patience"],
        seed=args.seed,
        size=ModelSize(
            given["units"],
            args.layers,
            given["embedding"],
            given["dropout"],
            given["token_dropout"],
        ),
        max_steps=args.max_steps,
    )


def recorded_command(args: argparse.Namespace, chosen: list[str]) -> str:
    """The command that makes this run again: as given (no --resume), and what was chosen."""
    argv = [a for a in getattr(args, "argv", []) if a != "--resume"]
    return shlex.join(["python", "-m", "lofi", *argv, *chosen])


def _train_style(
    args: argparse.Namespace, config: TrainConfig, corpus: Corpus, command: str
) -> int:
    from lofi.learn.critic import train_critic
    from lofi.learn.style_training import StyleStopped, stopped_style, train_style

    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    try:
        style = train_style(
            corpus,
            args.out,
            config,
            parts,
            command,
            held_out=args.held_out,
            start_from=args.start_from,
            resume=args.resume,
        )
    except StyleStopped as exc:
        print(exc)
        # What it finished and its best so far are a style to use now (missing parts from
        # the shipped style); --resume goes on in the run's folder, this copy stays.
        usable = stopped_style(args.out)
        if usable is not None:
            print(f"usable now as the style in {usable}")
        return 0
    if "piano" in style.parts and args.critic_loops > 0:
        path = train_critic(args.out, corpus, args.held_out, args.critic_loops, command)
        print(f"loop critic of {args.critic_loops} piano loops in {path}")
    fallbacks = ", ".join(f"{k} → {v}" for k, v in style.fallbacks.items()) or "none"
    print(
        f"style {style.name} in {args.out}: learned {', '.join(style.parts)}; "
        f"fallbacks: {fallbacks}; trained on {style.training['training_pieces']} pieces, "
        f"{style.training['held_out_pieces']} held out"
    )
    return 0


def default_learning_rate(args: argparse.Namespace) -> float:
    """The default learning rate: lower when fine-tuning."""
    return TRAINING.finetune_learning_rate if args.start_from else TRAINING.learning_rate


def _train_distributed(args: argparse.Namespace, config: TrainConfig, command: str) -> int:
    from lofi.learn.distribute import run_local_workers, train_from_shards

    if not args.data:
        raise ConfigError("--strategy and --workers train from shards: give --data DIR")
    if args.workers:
        reports = run_local_workers(args.workers, _worker_argv(args), args.out)
        for r in reports:
            print(f"worker {r['task']}{' (chief)' if r.get('chief') else ''}: {r['steps']} steps")
        speed = reports[0].get("windows_per_second", 0.0)
        print(f"{speed:.0f} windows/s over {len(reports)} workers; checkpoint in {args.out}")
        return 0
    meta = train_from_shards(config, args.data, args.out, args.strategy, args.shard_policy, command)
    if meta["report"]["chief"]:
        print(
            f"best val_loss {meta['best_val_loss']:.4f} at epoch {meta['best_epoch']}; "
            f"checkpoint in {args.out}"
        )
    return 0
