"""How real does it sound? Generated songs against held-out corpus pieces.

The human baseline (two halves of the held-out pieces against each other) is measured in the
same run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lofi.compose.song import SongModels, compose
from lofi.core.errors import EvaluationError
from lofi.core.settings import GENERATION
from lofi.core.types import GenerationConfig, Key, Song
from lofi.data.corpus import Corpus
from lofi.data.split import halves, split_pieces
from lofi.learn.checkpoint import read_checkpoint
from lofi.service.track import load_style_models, style_checkpoints
from lofi.tools.features import FEATURE_NAMES, Material, feature_table, from_piece, from_song
from lofi.tools.metrics import (
    chord_tone_counts,
    copying,
    note_groove_consistency,
    note_pitch_class_entropy,
    note_scale_consistency,
)
from lofi.tools.two_sample import classifier_auc, feature_overlaps

Progress = Callable[[str, float], object]  # stage, fraction done
GENERATED, HUMAN = "generated_vs_held_out", "half_vs_half"
MUSIC_METRICS = ("pitch_class_entropy", "scale_consistency", "groove_consistency")


@dataclass(frozen=True)
class EvaluationReport:
    """Every figure of one evaluation; `to_json` is what the command writes.

    Attributes:
        auc: per comparison (GENERATED, HUMAN), the cross-validated ROC AUC per classifier.
        overlap: per comparison, the overlapped area of each feature.
        music: per metric, its mean over generated songs and over held-out pieces.
        validation_loss: each part model's best validation loss (None if it has none).
        features: the window feature rows of the generated songs and the held-out pieces.
    """

    corpus: str
    corpus_hash: str
    pieces: dict[str, int]
    windows: dict[str, int]
    songs: int
    bars: int
    seed: int
    auc: dict[str, dict[str, float]]
    overlap: dict[str, dict[str, float]]
    music: dict[str, dict[str, float]]
    validation_loss: dict[str, float | None]
    models: dict[str, str]
    features: dict[str, np.ndarray] = field(repr=False, compare=False)

    @property
    def mean_overlap(self) -> dict[str, float]:
        """Per comparison, the overlapped area averaged over the features (NaNs left out)."""
        return {k: float(np.nanmean(list(v.values()))) for k, v in self.overlap.items()}

    @property
    def realism_gap(self) -> float:
        """Best generated-vs-held-out AUC minus best half-vs-half AUC: 0 is as real as it gets.

        A two-sample test is as strong as its best classifier, so each side takes the larger
        of its classifiers' AUCs.
        """
        return max(self.auc[GENERATED].values()) - max(self.auc[HUMAN].values())

    @property
    def overlap_ratio(self) -> float:
        """Mean overlap of generated with held-out, over that of the two human halves."""
        mean = self.mean_overlap
        return mean[GENERATED] / mean[HUMAN] if mean[HUMAN] > 0 else float("nan")

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data, non-finite numbers as null."""
        data: dict[str, Any] = _finite(
            {
                "corpus": self.corpus,
                "corpus_hash": self.corpus_hash,
                "pieces": self.pieces,
                "windows": self.windows,
                "songs": self.songs,
                "bars": self.bars,
                "seed": self.seed,
                "realism_gap": self.realism_gap,
                "overlap_ratio": self.overlap_ratio,
                "auc": self.auc,
                "mean_overlap": self.mean_overlap,
                "overlap": self.overlap,
                "music": self.music,
                "validation_loss": self.validation_loss,
                "models": self.models,
                "feature_means": {
                    name: dict(zip(FEATURE_NAMES, rows.mean(axis=0).tolist(), strict=True))
                    for name, rows in self.features.items()
                },
            }
        )
        return data

    def write_json(self, path: Path) -> None:
        """Writes `to_json` to `path`, creating its folder."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1))


def _finite(value: Any) -> Any:
    """NaN becomes null, so the JSON is standard."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def generate_songs(models: SongModels, songs: int, seed: int, bars: int) -> list[Song]:
    """`songs` songs from consecutive seeds, their keys cycling through all 24."""
    keys = Key.all()
    return [
        compose(GenerationConfig(seed=s, key=keys[s % len(keys)], bars=bars), models)
        for s in range(seed, seed + songs)
    ]


def validation_losses(checkpoints: Mapping[str, Path]) -> dict[str, float | None]:
    """Each part's best validation loss from its checkpoint's meta.json."""
    losses: dict[str, float | None] = {}
    for part, folder in checkpoints.items():
        loss = read_checkpoint(folder).meta.get("best_val_loss")
        losses[part] = float(loss) if isinstance(loss, int | float) else None
    return losses


def music_metrics(materials: Sequence[Material]) -> dict[str, float]:
    """MusPy's metrics (pitched notes) averaged over pieces; the pooled chord-tone ratios.

    `chord_tone_ratio` judges a song's melody against the chords it was written over, a
    piece's against the chords the analysis hears in it, melody included. So
    `chord_tone_ratio_heard` judges both against the chords heard in their own notes.
    """
    rows = [
        (
            note_pitch_class_entropy(m.notes),
            note_scale_consistency(m.notes),
            note_groove_consistency(m.notes, int(m.beats // 4)),
        )
        for m in materials
    ]
    means = np.nanmean(np.array(rows, dtype=float).reshape(-1, 3), axis=0) if rows else [np.nan] * 3
    result = dict(zip(MUSIC_METRICS, (float(v) for v in means), strict=True))
    for name, chords in (("chord_tone_ratio", "chords"), ("chord_tone_ratio_heard", "heard")):
        counts = np.array(
            [chord_tone_counts(m.melody, getattr(m, chords), m.key) for m in materials]
        ).reshape(-1, 2)
        hits, judged = counts.sum(axis=0)
        result[name] = float(hits / judged) if judged else float("nan")
    return result


def _comparison(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], seed: int
) -> tuple[dict[str, float], dict[str, float]]:
    auc = classifier_auc(a[0], a[1], b[0], b[1], seed)
    overlap = dict(zip(FEATURE_NAMES, feature_overlaps(a[0], b[0]).tolist(), strict=True))
    return auc, overlap


def evaluate_songs(
    corpus: Corpus,
    songs: Sequence[Song],
    seed: int = 1,
    held_out: float = 0.2,
    checkpoints: Mapping[str, Path] | None = None,
    models: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> EvaluationReport:
    """Measures already generated songs against the corpus' held-out pieces.

    Args:
        corpus: the corpus; it is split by content hash into training and held-out pieces.
        songs: the generated songs.
        seed: seeds the cross-validation folds and the random forest.
        held_out: the share of pieces held out.
        checkpoints: part name → checkpoint folder, for the validation losses.
        models: part name → model id, recorded in the report.
        progress: called with (stage, fraction done).

    Raises:
        EvaluationError: when the corpus or the songs are too small to compare.
    """
    report = progress or (lambda stage, fraction: None)
    train, held = split_pieces(corpus, held_out)
    if len({p.content_hash for p in held}) < 4:
        raise EvaluationError(
            f"the held-out part of {corpus.name} has {len(held)} of {len(corpus.pieces)} "
            "pieces; the human baseline needs at least 4 distinct ones (two per half): use a "
            "larger corpus (20 files or more) or a larger held-out share"
        )
    half_a, half_b = halves(held)
    report("features", 0.1)
    generated = [from_song(s, f"song-{i}") for i, s in enumerate(songs)]
    held_m = [from_piece(p) for p in held]
    tables = {
        "generated": feature_table(generated),
        "held_out": feature_table(held_m),
        "half_a": feature_table(from_piece(p) for p in half_a),
        "half_b": feature_table(from_piece(p) for p in half_b),
    }
    for name, (rows, _) in tables.items():
        if len(rows) == 0:
            raise EvaluationError(
                f"no 4-bar window with notes in the {name.replace('_', ' ')} part of "
                f"{corpus.name} ({len(corpus.pieces)} pieces); evaluate needs more or longer "
                "pieces (20 files or more) and songs of 8 bars or more"
            )
    report("generated against held-out", 0.3)
    auc_g, overlap_g = _comparison(tables["generated"], tables["held_out"], seed)
    report("human halves against each other", 0.6)
    auc_h, overlap_h = _comparison(tables["half_a"], tables["half_b"], seed)
    report("music metrics", 0.85)
    music_g, music_h = music_metrics(generated), music_metrics(held_m)
    music = {k: {"generated": music_g[k], "held_out": music_h[k]} for k in music_g}
    music["copying"] = {
        "generated": copying((m.melody for m in generated), (p.melody for p in train)),
        "held_out": copying((p.melody for p in held), (p.melody for p in train)),
    }
    report("done", 1.0)
    return EvaluationReport(
        corpus=corpus.name,
        corpus_hash=corpus.content_hash,
        pieces={
            "train": len(train),
            "held_out": len(held),
            "half_a": len(half_a),
            "half_b": len(half_b),
        },
        windows={name: len(rows) for name, (rows, _) in tables.items()},
        songs=len(songs),
        bars=max((s.bars for s in songs), default=0),
        seed=seed,
        auc={GENERATED: auc_g, HUMAN: auc_h},
        overlap={GENERATED: overlap_g, HUMAN: overlap_h},
        music=music,
        validation_loss=validation_losses(checkpoints or {}),
        models=dict(models or {}),
        features={name: rows for name, (rows, _) in tables.items()},
    )


def evaluate(
    corpus: Corpus,
    style_or_models: Path | SongModels,
    songs: int = 10,
    seed: int = 1,
    bars: int = 32,
    held_out: float = 0.2,
    checkpoints: Mapping[str, Path] | None = None,
    progress: Progress | None = None,
) -> EvaluationReport:
    """Generates `songs` songs and measures them against the corpus' held-out pieces.

    Args:
        corpus: the corpus to compare with.
        style_or_models: a style folder (one checkpoint subfolder per part) or loaded models.
        songs: how many songs, from seeds `seed`, `seed + 1`, ...
        seed: the first song's seed; it also seeds the cross-validation.
        bars: each song's length.
        held_out: the share of the corpus' pieces held out.
        checkpoints: part → checkpoint folder for the validation losses, when models are given.
        progress: called with (stage, fraction done).

    Raises:
        EvaluationError: when the corpus or the songs are too small to compare.
    """
    if songs < 2:
        raise EvaluationError("evaluate needs at least 2 songs for its cross-validation")
    if bars not in GENERATION.bars_range:
        raise EvaluationError(f"songs last {GENERATION.bars_range} bars, not {bars}")
    if isinstance(style_or_models, SongModels):
        models = style_or_models
    else:
        models = load_style_models(Path(style_or_models))
        checkpoints = checkpoints or style_checkpoints(Path(style_or_models))
    report = progress or (lambda stage, fraction: None)
    report("generating songs", 0.0)
    made = generate_songs(models, songs, seed, bars)
    ids = {
        "melody": models.melody_id,
        "chords": models.chords_id,
        "form": models.form_id,
        "timing": models.timing_id,
    }

    def scaled(stage: str, fraction: float) -> object:
        return report(stage, 0.2 + 0.8 * fraction)

    return evaluate_songs(corpus, made, seed, held_out, checkpoints, ids, scaled)
