"""`python -m lofi train form|timing|critic`: one file of a style, trained alone."""

from __future__ import annotations

import argparse
import shlex

from lofi.core.errors import ConfigError
from lofi.core.settings import TRAINING


def train_file(args: argparse.Namespace) -> int:
    """The form (OUT/form.json), the timing feels (OUT/timing.json) or a loop critic alone."""
    from lofi.data.corpus import load_corpus
    from lofi.data.split import training_part
    from lofi.learn.style_training import train_form, train_timing
    from lofi.models.form import FORM_FILE
    from lofi.models.timing import TIMING_FILE

    if args.kind == "critic":
        return _train_critic(args)
    fit, name = (train_form, FORM_FILE) if args.kind == "form" else (train_timing, TIMING_FILE)
    path = args.out / name
    if path.exists():
        raise ConfigError(f"{path} already exists; choose another --out folder")
    if args.held_out is None:
        args.held_out = TRAINING.held_out
    seen = training_part(load_corpus(args.corpus), args.held_out)
    learned, reason = fit(seen, path)
    if reason:
        print(f"no {args.kind} learned: {reason}; a style from this corpus falls back on {learned}")
        return 1
    held = f"held out: {args.held_out:g}"
    print(f"{args.kind} model of {len(seen.pieces)} pieces ({held}) in {path}")
    return 0


def _train_critic(args: argparse.Namespace) -> int:
    """The loop critic of the style in OUT, from its piano and the corpus' training part."""
    from lofi.data.corpus import load_corpus
    from lofi.learn.critic import train_critic
    from lofi.models.critic import CRITIC_FILE

    if (args.out / CRITIC_FILE).exists():
        raise ConfigError(f"{args.out / CRITIC_FILE} already exists; remove it to fit another")
    if args.critic_loops < 1:
        raise ConfigError("--critic-loops 0: a critic needs at least 1 loop to learn from")
    if args.held_out is None:
        args.held_out = TRAINING.held_out
    corpus = load_corpus(args.corpus)
    command = shlex.join(["python", "-m", "lofi", *getattr(args, "argv", [])])
    path = train_critic(args.out, corpus, args.held_out, args.critic_loops, command)
    print(f"loop critic of {args.critic_loops} piano loops ({args.corpus}) in {path}")
    return 0
