"""Styles' figures for `python -m lofi.tools.bench`: realism and fine-tuning.

The shipped style's realism, and fine-tuning a style to a user's corpus against the base
style and a style trained from scratch.

The fine-tuning corpus is 150 of music21's Bach chorales: bundled, openly licensed, and music
the shipped (game-music) style never saw. Both trained styles are made as `python -m lofi
train style` makes them with its defaults (every part; `--from default` for the fine-tuned
one, which then learns at `TRAINING.finetune_learning_rate`). All three styles are measured
on that corpus' held-out pieces (lofi.data.split, 20 %), which neither the fine-tuned nor the
from-scratch style trained on: each part model's cross-entropy on the held-out pieces'
windows (per part, and summed over the parts every style has a model of: melody, chords,
bass and comping), and the realism gap of `evaluate`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lofi.core.settings import TRAINING
from lofi.learn.models import ModelSize
from lofi.learn.train import TrainConfig

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus

FINETUNE_FILES = 150
FINETUNE_SMALL_FILES = 20  # the smallest collection fine-tuning is meant for
PARTS = ("melody", "chords")  # the parts the small corpus' styles train
# The parts whose held-out loss is measured, where every style compared has a model of it.
MEASURED = ("melody", "chords", "bass", "comping")
STYLE_TARGETS = {
    "realism_gap": "→ 0",
    "overlap_ratio": "→ 1",
    "finetune_seconds": "≤ 300",
    "finetuned_beats_both_heldout_loss": "1",
    "finetuned_beats_both_realism_gap": "1",
}
# The command's defaults (lofi.core.settings.TRAINING); fine-tuning takes the base's size.
STYLE_BUDGET = TrainConfig(kind="melody")
SMOKE_BUDGET = TrainConfig(
    kind="melody", epochs=1, seq_len=8, batch_size=8, max_steps=2, size=ModelSize(16, 1, 8, 0.0)
)


def human_budget(smoke: bool) -> tuple[int, int]:
    """Evaluate's human-baseline draws and bootstrap resamples for a bench run.

    Evaluate's defaults; a smoke run takes one draw and 20 resamples (the plumbing only).
    """
    from lofi.tools.yardstick import BOOTSTRAP, HUMAN_DRAWS

    return (1, 20) if smoke else (HUMAN_DRAWS, BOOTSTRAP)


def bench_realism(
    corpus: str,
    melody: Path,
    chords: Path,
    songs: int,
    bars: int,
    held_out: float,
    smoke: bool = False,
) -> dict[str, float]:
    """Realism gap and overlap ratio of the shipped style, every part as it plays.

    Given other melody and chord models than the shipped ones (the smoke run's tiny ones),
    those two with the rules for the other parts. A smoke run evaluates on a small
    human budget (`human_budget`).
    """
    from lofi.data.corpus import load_corpus
    from lofi.models.loading import load_checkpoints
    from lofi.models.style import default_style_dir
    from lofi.tools.evaluate import GENERATED, HUMAN, evaluate

    draws, boots = human_budget(smoke)

    style = default_style_dir()
    shipped = (melody.resolve(), chords.resolve()) == (
        (style / "melody").resolve(),
        (style / "chords").resolve(),
    )
    report = evaluate(
        load_corpus(corpus),
        style if shipped else load_checkpoints(melody, chords),
        songs=songs,
        seed=1,
        bars=bars,
        held_out=held_out,
        checkpoints=None if shipped else {"melody": melody, "chords": chords},
        windows=(4,),
        draws=draws,
        boots=boots,
    )
    return {
        "realism_gap": report.realism_gap,
        "overlap_ratio": report.overlap_ratio,
        "realism_auc_generated": max(report.auc[GENERATED].values()),
        "realism_auc_human": max(report.auc[HUMAN].values()),
        "realism_songs": float(songs),
        "realism_bars": float(bars),
        "realism_whole_style": float(shipped),
    }


def held_out_loss(folder: Path, held: Corpus, seq_len: int) -> float:
    """A part model's mean summed cross-entropy over the held-out pieces' windows.

    The pieces are encoded as training encodes them for the part (a bass line from the
    files' bass tracks, the comping from the inner voices); NaN when none has the part.
    """
    from lofi.encoding.tokens import windows
    from lofi.learn.checkpoint import load_keras_model
    from lofi.learn.models import compile_model
    from lofi.learn.train import make_dataset, sequences_for
    from lofi.models.checkpoint import read_checkpoint

    ckpt = read_checkpoint(folder)
    sequences = sequences_for(held, ckpt.vocab)
    if not sequences:
        return float("nan")
    length = min(seq_len, min(len(s) for s in sequences))
    data = windows(sequences, length, length)
    model = load_keras_model(ckpt)
    compile_model(model, ckpt.vocab, 1e-3)
    result = model.evaluate(make_dataset(data, 64, False, 0), verbose=0, return_dict=True)
    return float(result["loss"])


def _wrap_style(melody: Path, chords: Path, folder: Path) -> Path:
    """A style folder around two checkpoints (the bench's --melody-model/--chord-model)."""
    from lofi.models.style import FALLBACK_RULES, Style, write_style

    for part, source in (("melody", melody), ("chords", chords)):
        shutil.copytree(source, folder / part)
    parts = {"melody": "melody", "chords": "chords"}
    write_style(Style(folder, "base", "?", "", "bench", parts, {"drums": FALLBACK_RULES}))
    return folder


def _corpus_folder(files: Sequence[Path], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(files):
        (folder / f"{i:03d}-{path.name}").symlink_to(path.resolve())
    return folder


def train_styles(
    corpus: Corpus, root: Path, base: Path, budget: TrainConfig, parts: tuple[str, ...], held: float
) -> dict[str, tuple[Path, float, float]]:
    """The fine-tuned and the from-scratch style of `corpus`, as `train style` makes them.

    Returns:
        Each style's folder, wall-clock and CPU seconds (CPU time of every thread: the
        figure a busy machine keeps), by name.
    """
    from lofi.learn.style_training import train_style

    out = {}
    for name, start in (("finetuned", base), ("scratch", None)):
        rate = TRAINING.learning_rate if start is None else TRAINING.finetune_learning_rate
        config = replace(budget, learning_rate=rate)
        began, began_cpu = time.perf_counter(), time.process_time()
        train_style(corpus, root / name, config, parts, "bench", lambda _m: None, held, start)
        out[name] = (root / name, time.perf_counter() - began, time.process_time() - began_cpu)
    return out


def held_out_losses(
    styles: dict[str, Path], held: Corpus, seq_len: int, prefix: str = ""
) -> dict[str, float]:
    """Each style's held-out loss per part and summed over the parts.

    The parts are those of MEASURED that every style has a learned model of.
    """
    from lofi.models.checkpoint import VOCAB_FILE

    shared = [p for p in MEASURED if all((f / p / VOCAB_FILE).is_file() for f in styles.values())]
    results = {}
    for name, folder in styles.items():
        for part in shared:
            loss = held_out_loss(folder / part, held, seq_len)
            results[f"{prefix}{name}_heldout_loss_{part}"] = loss
        parts = [results[f"{prefix}{name}_heldout_loss_{p}"] for p in shared]
        results[f"{prefix}{name}_heldout_loss"] = sum(parts)
    return results


def bench_finetune(
    melody: Path, chords: Path, corpus: str | None, smoke: bool, songs: int, bars: int
) -> dict[str, Any]:
    """Fine-tuning time for a 150-file corpus, and how the three styles compare.

    Whether the fine-tuned style beats the base and a from-scratch style on the corpus'
    held-out pieces (validation loss and realism gap); then the same held-out losses for
    the smallest corpus fine-tuning is meant for (its first 20 files; melody and chords
    trained only, the parts measured).
    """
    from lofi.core.parts import style_parts
    from lofi.data.corpus import corpus_files, load_corpus
    from lofi.data.split import held_out_part
    from lofi.models.loading import default_chord_model, default_melody_model
    from lofi.models.style import default_style_dir
    from lofi.tools.evaluate import evaluate

    budget = SMOKE_BUDGET if smoke else STYLE_BUDGET
    held_share = 0.5 if smoke else 0.2
    with tempfile.TemporaryDirectory(prefix="lofi-bench-style-") as tmp:
        root = Path(tmp)
        shipped = (melody, chords) == (default_melody_model(), default_chord_model())
        base = default_style_dir() if shipped else _wrap_style(melody, chords, root / "base")
        files = corpus_files(corpus or "bach")[:FINETUNE_FILES]
        loaded = load_corpus(_corpus_folder(files, root / "corpus"))
        held = held_out_part(loaded, held_share)
        # The smoke run checks the figures' plumbing: two parts are enough for that.
        kinds = PARTS if smoke else style_parts(())
        trained = train_styles(loaded, root, base, budget, kinds, held_share)
        styles = {"base": base, **{name: folder for name, (folder, _, _) in trained.items()}}
        results: dict[str, Any] = {
            "finetune_files": float(len(files)),
            "finetune_pieces": float(len(loaded.pieces)),
            "finetune_held_out_pieces": float(len(held.pieces)),
            "finetune_seconds": trained["finetuned"][1],
            "finetune_cpu_seconds": trained["finetuned"][2],
            "scratch_style_seconds": trained["scratch"][1],
        }
        losses = held_out_losses(styles, held, budget.seq_len)
        results.update(losses)
        draws, boots = human_budget(smoke)
        for name, folder in styles.items():
            report = evaluate(
                loaded, folder, songs, 1, bars, held_share, windows=(4,), draws=draws, boots=boots
            )
            results[f"{name}_realism_gap"] = report.realism_gap
        results.update(beats_both(results))

        if len(files) <= FINETUNE_SMALL_FILES and kinds == PARTS:
            # A corpus this small (the smoke run's) is its own first 20 files: the styles
            # above are the ones the same training of the same files would make again, and
            # their losses on the same held-out pieces the ones just measured.
            small_held = held
            small_losses = {f"small_{key}": value for key, value in losses.items()}
        else:
            small = load_corpus(_corpus_folder(files[:FINETUNE_SMALL_FILES], root / "small"))
            small_held = held_out_part(small, held_share)
            trained = train_styles(small, root / "small-styles", base, budget, PARTS, held_share)
            styles = {"base": base, **{name: folder for name, (folder, _, _) in trained.items()}}
            small_losses = held_out_losses(styles, small_held, budget.seq_len, "small_")
        results["small_finetune_files"] = float(len(files[:FINETUNE_SMALL_FILES]))
        results["small_finetune_held_out_pieces"] = float(len(small_held.pieces))
        results.update(small_losses)
        results.update(beats_both(results, "small_"))
    return results


def beats_both(results: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Whether the fine-tuned style is below both the base and the from-scratch style.

    Flags for the summed held-out loss, for each part's (a sum can hide a part that got
    worse) and for the realism gap; `finetune_verdict` says it in words for the report. A
    realism gap the three styles share (every AUC at 1.0) is no win, and says so. `prefix`
    picks another corpus' figures (held-out loss only).
    """
    out: dict[str, Any] = {}
    words = []
    for key, title in (
        ("heldout_loss", "held-out loss, parts summed"),
        *((f"heldout_loss_{p}", f"{p}") for p in MEASURED),
        ("realism_gap", "realism gap"),
    ):
        if f"{prefix}finetuned_{key}" not in results:
            continue
        own, base, scratch = (
            results[f"{prefix}{n}_{key}"] for n in ("finetuned", "base", "scratch")
        )
        wins = own < min(base, scratch)
        out[f"{prefix}finetuned_beats_both_{key}"] = float(wins)
        if key == "realism_gap" and max(own, base, scratch) - min(own, base, scratch) < 1e-3:
            verdict = "not measurable (all three the same)"
        else:
            verdict = "beats both" if wins else "does NOT beat both"
        words.append(
            f"{title}: fine-tuned {own:.3f} {verdict} (base {base:.3f}, scratch {scratch:.3f})"
        )
    out[f"{prefix}finetune_verdict"] = "; ".join(words)
    return out


def style_cases(
    melody: Path, chords: Path, corpus: str, smoke: bool
) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    """The bench's style cases: the shipped style's realism, then fine-tuning."""
    songs, bars = (2, 8) if smoke else (10, 48)
    held = 0.5 if smoke else 0.2
    return [
        (
            "realism",
            lambda: bench_realism(corpus, melody, chords, songs, bars, held, smoke),
        ),
        (
            "style",
            lambda: bench_finetune(
                melody, chords, corpus if smoke else None, smoke, songs, 8 if smoke else 32
            ),
        ),
    ]
