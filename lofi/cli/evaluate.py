"""`python -m lofi evaluate`: music metrics of generated songs."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    v = sub.add_parser("evaluate", help="compose songs and print their MusPy-style metrics")
    v.add_argument("--songs", type=int, default=10, help="how many seeds (default 10)")
    v.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    v.add_argument("--bars", type=int, default=48, help="length in bars (default 48)")
    v.add_argument("--melody-model", type=Path, help="melody checkpoint folder")
    v.add_argument("--chord-model", type=Path, help="chord checkpoint folder")
    v.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    import numpy as np

    from lofi.compose.song import compose
    from lofi.core.types import GenerationConfig, Key
    from lofi.service.track import default_chord_model, default_melody_model, load_models
    from lofi.tools.metrics import groove_consistency, pitch_class_entropy, scale_consistency

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
