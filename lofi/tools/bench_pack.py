"""Fine-tuning on a pack of piano loops, for `python -m lofi.tools.bench --case lofi-pack`.

There is one such pack, the bundled corpus `lofi`, and the shipped default style learned its
training part, so fine-tuning the shipped style on it would measure nothing new. This case
stands in two packs for it: the pack's training part (what `lofi.data.split` leaves with its
held-out share, 0.2) is dealt by piece into two halves (`lofi.data.split.halves`). Half A
plays "the shipped style's own pack": a base style is trained on it by `python -m lofi train
style --corpus A` (a piano pack: piano and bass, with the shipped style's settings). Half B,
its first `USER_FILES` files, plays "the user's pack": the base is fine-tuned on it (`--from
BASE`) and a style is trained on it from scratch, each with the command's defaults. The
commands run as child processes, as a user runs them, and the wall time of the fine-tuning is
the figure (its CPU time too: a busy machine's wall time is an upper bound).

All three styles are then measured on the pack's held-out pieces, which none of them saw:
each part model's cross-entropy on their windows, with a 95 % bootstrap interval over pieces
(and the fine-tuned minus the from-scratch loss, resampled over the same pieces), and the
realism gap of `evaluate` (windows of 1, 2 and 4 bars; the parts evaluate compares for a
piano pack) with its interval, and the fine-tuned minus the from-scratch gap resampled over
the same held-out pieces. A win counts only where the difference's interval is below 0.
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus
    from lofi.tools.evaluate import EvaluationReport

PACK = "lofi"
HELD_OUT = 0.2  # the pack's held-out share: the shipped style's and evaluate's
USER_FILES = 40  # of half B: the user's pack, within the 20-150 files
SMOKE_FILES = 4  # per half in the smoke run
SEQ_LEN = 128  # window of the held-out loss: the piano preset's (lofi.learn.presets)
BOOTSTRAP = 1000  # resamples of the held-out pieces for the loss intervals
STYLES = ("base", "finetuned", "scratch")
# The smoke run's tiny training: a check of the plumbing, not figures.
SMOKE_FLAGS = (
    *("--epochs", "1", "--max-steps", "2", "--seq-len", "8", "--batch-size", "8"),
    *("--critic-loops", "20"),
)
SMOKE_SIZE = ("--units", "16", "--embedding", "8")
PACK_TARGETS = {
    "pack_finetune_seconds": "≤ 300",
    "pack_finetuned_beats_scratch_heldout_loss": "1",
    "pack_finetuned_beats_scratch_realism_gap": "1",
}
# The smoke run's evaluation: two short songs, one human draw, few resamples.
PACK_SMOKE = {"songs": 2, "bars": 8, "draws": 1, "boots": 20}


def pack_halves(corpus: Corpus, held_out: float = HELD_OUT) -> tuple[list[Path], list[Path]]:
    """The files of the two halves of the corpus' training part, dealt by piece."""
    from lofi.data.split import halves, split_pieces

    train, _ = split_pieces(corpus, held_out)
    source = {id(p): s for p, s in zip(corpus.pieces, corpus.sources, strict=True)}
    a, b = halves(train)
    return [source[id(p)] for p in a], [source[id(p)] for p in b]


def corpus_folder(files: Sequence[Path], folder: Path) -> Path:
    """A corpus folder holding copies of `files` (their bytes, so their split, unchanged)."""
    folder.mkdir(parents=True)
    for i, path in enumerate(files):
        shutil.copyfile(path, folder / f"{i:03d}-{path.name}")
    return folder


def train_style_command(corpus: Path, out: Path, flags: Sequence[str] = ()) -> tuple[float, float]:
    """Runs `python -m lofi train style --corpus CORPUS --out OUT FLAGS` as a child process.

    Returns:
        Its wall-clock and CPU seconds (the child's user and system time).

    Raises:
        RuntimeError: with the command's last output when it fails.
    """
    argv = [sys.executable, "-m", "lofi", "train", "style", "--corpus", str(corpus)]
    argv += ["--out", str(out), *flags]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=_child_env())
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} failed: {(done.stderr or done.stdout)[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _child_env() -> dict[str, str]:
    """The environment with this lofi package first on the path, so the child runs this code."""
    import lofi

    here = str(Path(lofi.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": here + (os.pathsep + path if path else "")}


def piece_losses(
    folder: Path, held: Corpus, seq_len: int = SEQ_LEN
) -> tuple[np.ndarray, np.ndarray]:
    """A part model's summed cross-entropy on each held-out piece's windows.

    The windows are those `lofi.tools.bench_style.held_out_loss` averages (each piece
    encoded as training encodes the part, cut to the shortest sequence when shorter than
    `seq_len`); the loss is computed here per window so that pieces can be resampled.

    Returns:
        Per held-out piece, its windows' summed loss and their count (0: the piece has none
        of the part).
    """
    import keras

    from lofi.encoding.tokens import windows
    from lofi.learn.checkpoint import load_keras_model
    from lofi.learn.models import output_name
    from lofi.learn.train import sequences_for
    from lofi.models.checkpoint import read_checkpoint

    ckpt = read_checkpoint(folder)
    per_piece = [
        sequences_for(replace(held, pieces=(p,), sources=held.sources[i : i + 1]), ckpt.vocab)
        for i, p in enumerate(held.pieces)
    ]
    lengths = [len(s) for seqs in per_piece for s in seqs]
    totals, counts = np.zeros(len(held.pieces)), np.zeros(len(held.pieces))
    if not lengths:
        return totals, counts
    length = min(seq_len, min(lengths))
    cut = [windows(list(seqs), length, length) if seqs else None for seqs in per_piece]
    owner = np.concatenate(
        [np.full(len(w.targets[next(iter(w.targets))]), i) for i, w in enumerate(cut) if w]
    ).astype(int)
    every = windows([s for seqs in per_piece for s in seqs], length, length)
    model = load_keras_model(ckpt)  # one pass over every window: a call per piece is slow
    predicted = model.predict(every.inputs, batch_size=64, verbose=0)
    if not isinstance(predicted, dict):
        names = model.output_names
        predicted = dict(zip(names, predicted if len(names) > 1 else [predicted], strict=True))
    loss = np.zeros(len(owner))
    for name, target in every.targets.items():
        step = keras.losses.sparse_categorical_crossentropy(target, predicted[output_name(name)])
        loss += np.asarray(step).mean(axis=1)
    np.add.at(totals, owner, loss)
    np.add.at(counts, owner, 1.0)
    return totals, counts


def bootstrap_weights(pieces: int, resamples: int, seed: int = 1) -> np.ndarray:
    """How often each piece is drawn in each resample (column 0: the sample itself, once each)."""
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(pieces, np.full(pieces, 1 / pieces), size=resamples)
    return np.vstack([np.ones((1, pieces)), draws]).T


def resampled_loss(
    parts: dict[str, tuple[np.ndarray, np.ndarray]], weights: np.ndarray
) -> np.ndarray:
    """The loss summed over the parts, each part's mean over its windows, per resample."""
    out = np.zeros(weights.shape[1])
    for totals, counts in parts.values():
        with np.errstate(invalid="ignore", divide="ignore"):
            out += (totals @ weights) / (counts @ weights)
    return out


def interval(columns: np.ndarray) -> tuple[float, float, float]:
    """The sample's figure (column 0) and the resamples' 95 % percentile interval."""
    rest = columns[1:][np.isfinite(columns[1:])]
    if rest.size == 0:
        return float(columns[0]), math.nan, math.nan
    low, high = np.percentile(rest, [2.5, 97.5])
    return float(columns[0]), float(low), float(high)


def loss_figures(
    styles: dict[str, Path], held: Corpus, resamples: int = BOOTSTRAP
) -> dict[str, Any]:
    """Each style's held-out loss per part and summed, with intervals; the paired difference.

    The parts are those every style has a learned model of (piano and bass for a piano pack).
    """
    from lofi.models.checkpoint import VOCAB_FILE

    kinds = ("piano", "bass", "melody", "chords", "comping")
    shared = [k for k in kinds if all((f / k / VOCAB_FILE).is_file() for f in styles.values())]
    weights = bootstrap_weights(len(held.pieces), resamples)
    losses = {n: {k: piece_losses(f / k, held) for k in shared} for n, f in styles.items()}
    shared = [k for k in shared if all(losses[n][k][1].sum() > 0 for n in styles)]
    out: dict[str, Any] = {"pack_heldout_loss_parts": ",".join(shared)}
    summed = {}
    for name in styles:
        parts = {k: losses[name][k] for k in shared}
        for kind, (totals, counts) in parts.items():
            out[f"pack_{name}_heldout_loss_{kind}"] = float(totals.sum() / counts.sum())
        summed[name] = resampled_loss(parts, weights)
        value, low, high = interval(summed[name])
        out[f"pack_{name}_heldout_loss"] = value
        out[f"pack_{name}_heldout_loss_low"], out[f"pack_{name}_heldout_loss_high"] = low, high
    value, low, high = interval(summed["finetuned"] - summed["scratch"])
    out["pack_finetuned_minus_scratch_heldout_loss"] = value
    out["pack_finetuned_minus_scratch_heldout_loss_low"] = low
    out["pack_finetuned_minus_scratch_heldout_loss_high"] = high
    return out


def gap_figures(name: str, report: EvaluationReport) -> dict[str, Any]:
    """A style's realism gap (headline window) with its interval, and each window's in words."""
    from lofi.tools.yardstick import TOO_FEW

    gap = report.headline.gap
    return {
        f"pack_{name}_realism_gap": gap.value,
        f"pack_{name}_realism_gap_low": gap.low,
        f"pack_{name}_realism_gap_high": gap.high,
        f"pack_{name}_overlap_ratio": report.overlap_ratio,
        f"pack_{name}_realism_gaps": "; ".join(
            f"{bars} bar{'s' * (bars > 1)}: {c.gap.text(signed=True)}"
            + ("" if c.decided else f" ({TOO_FEW})")
            for bars, c in sorted(report.comparisons.items())
        ),
    }


def paired_gap(own: EvaluationReport, other: EvaluationReport) -> dict[str, Any]:
    """The fine-tuned minus the from-scratch realism gap, per window, resampled pair-wise.

    Both were measured with one seed against the same held-out pieces: with as many songs
    each, every resample draws the same held-out pieces for both (lofi.tools.yardstick), so
    the pieces' own spread, most of each gap's interval, is shared and drops out of the
    difference's. Without that pairing the difference has no interval (NaN).
    """
    from lofi.tools.yardstick import Estimate

    out: dict[str, Any] = {}
    words = []
    for bars, mine in sorted(own.comparisons.items()):
        theirs = other.comparisons[bars]
        paired = mine.groups["songs"] == theirs.groups["songs"] and (
            mine.gap_resamples.shape == theirs.gap_resamples.shape
        )
        diff = mine.gap.value - theirs.gap.value
        if paired:
            est = Estimate.of(mine.gap_resamples - theirs.gap_resamples, -2.0, 2.0)
        else:
            est = Estimate(diff, math.nan, math.nan)
        words.append(f"{bars} bar{'s' * (bars > 1)}: {est.text(signed=True)}")
        if bars == own.headline.bars:
            key = "pack_finetuned_minus_scratch_realism_gap"
            out |= {key: est.value, key + "_low": est.low, key + "_high": est.high}
    out["pack_finetuned_minus_scratch_realism_gaps"] = "; ".join(words)
    return out


def verdict(results: dict[str, Any]) -> dict[str, Any]:
    """Whether the fine-tuned style beats the from-scratch one, decided by the intervals.

    Each figure wins when the whole interval of its paired difference (fine-tuned minus
    from-scratch, over the same held-out pieces' resamples) is below 0.
    """
    out: dict[str, Any] = {}
    words = []
    for title, key in (("held-out loss", "heldout_loss"), ("realism gap", "realism_gap")):
        d = f"pack_finetuned_minus_scratch_{key}"
        wins = results[d + "_high"] < 0  # False for NaN: no interval, no win
        if wins:
            said = "beats from-scratch"
        elif results[d] < 0:
            said = "is lower than from-scratch, within the interval (not a win)"
        else:
            said = "does NOT beat from-scratch"
        spans = ", ".join(
            f"{n} {results[f'pack_{n}_{key}']:.3f} [{results[f'pack_{n}_{key}_low']:.3f}, "
            f"{results[f'pack_{n}_{key}_high']:.3f}]"
            for n in STYLES
        )
        diff = f"{results[d]:+.3f} [{results[d + '_low']:+.3f}, {results[d + '_high']:+.3f}]"
        words.append(f"{title}: fine-tuned {said} ({spans}; fine-tuned − scratch {diff})")
        out[f"pack_finetuned_beats_scratch_{key}"] = float(wins)
    out["pack_verdict"] = "; ".join(words)
    return out


def bench_pack(
    smoke: bool,
    songs: int = 20,
    bars: int = 32,
    files: int = USER_FILES,
    draws: int = 5,
    boots: int = 200,
) -> dict[str, Any]:
    """The case's figures: training times, held-out losses, realism gaps and the verdict."""
    from lofi.data.corpus import load_corpus
    from lofi.data.split import held_out_part
    from lofi.models.style import read_style
    from lofi.tools.evaluate import evaluate

    pack = load_corpus(PACK)
    half_a, half_b = pack_halves(pack)
    if smoke:
        half_a, files = half_a[:SMOKE_FILES], SMOKE_FILES
    user = half_b[:files]
    held = held_out_part(pack, HELD_OUT)
    tiny = (*SMOKE_FLAGS, *SMOKE_SIZE) if smoke else ()
    with tempfile.TemporaryDirectory(prefix="lofi-bench-pack-") as tmp:
        root = Path(tmp)
        own, users = (
            corpus_folder(half_a, root / "own-pack"),
            corpus_folder(user, root / "user-pack"),
        )
        base_s, _ = train_style_command(own, root / "base", tiny)
        fine_flags = ["--from", str(root / "base"), *(SMOKE_FLAGS if smoke else ())]
        fine_s, fine_cpu = train_style_command(users, root / "finetuned", fine_flags)
        scratch_s, _ = train_style_command(users, root / "scratch", tiny)
        styles = {name: root / name for name in STYLES}
        seen = {n: read_style(f).training.get("training_pieces", 0) for n, f in styles.items()}
        results: dict[str, Any] = {
            "pack_setup": (
                f"the {PACK} pack's {len(pack.pieces) - len(held.pieces)} training pieces in "
                f"two halves: a base style trained on {len(half_a)} ({seen['base']} seen, "
                f"the command's held-out share keeping the rest), fine-tuned from it and "
                f"trained from scratch on {len(user)} of the other half "
                f"({seen['finetuned']} and {seen['scratch']} seen); all measured on the "
                f"{len(held.pieces)} held-out pieces none saw (the shipped style learned the "
                "whole training part, so it is not the base here)"
            ),
            "pack_files": float(len(pack.pieces)),
            "pack_held_out_pieces": float(len(held.pieces)),
            "pack_base_files": float(len(half_a)),
            "pack_user_files": float(len(user)),
            "pack_finetune_seconds": fine_s,
            "pack_finetune_cpu_seconds": fine_cpu,
            "pack_scratch_seconds": scratch_s,
            "pack_base_seconds": base_s,
            **loss_figures(styles, held, 50 if smoke else BOOTSTRAP),
        }
        reports = {}
        for name, folder in styles.items():
            report = evaluate(pack, folder, songs, 1, bars, HELD_OUT, draws=draws, boots=boots)
            results[f"pack_{name}_compared"] = report.compared
            results.update(gap_figures(name, report))
            reports[name] = report
        results.update(paired_gap(reports["finetuned"], reports["scratch"]))
    results.update(verdict(results))
    return results
