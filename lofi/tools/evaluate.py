"""How real does it sound? Generated songs against held-out corpus pieces.

In windows of 1, 2 and 4 bars (a loop pack's pieces last 2–4 bars), with the human baseline
(training pieces against the same held-out pieces, as many pieces and windows as the songs
have) and bootstrap intervals over pieces measured in the same run (lofi.tools.yardstick). Only the
parts the corpus has are compared: a piano pack has no drums and no separate bass, so its
songs are heard without them (`compared_parts`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lofi.compose.song import compose
from lofi.core.errors import EvaluationError
from lofi.core.parts import tracks
from lofi.core.settings import GENERATION
from lofi.core.types import GenerationConfig, Key, Song
from lofi.data.corpus import Corpus
from lofi.data.instruments import is_piano_pack
from lofi.data.split import split_pieces
from lofi.models import SongModels
from lofi.models.checkpoint import read_checkpoint
from lofi.models.loading import load_song_models, style_checkpoints
from lofi.models.style import STYLE_FILE
from lofi.tools.features import from_piece, from_song
from lofi.tools.metrics import copying, music_metrics
from lofi.tools.yardstick import (
    BOOTSTRAP,
    GENERATED,
    HUMAN,
    HUMAN_DRAWS,
    TREES,
    WindowComparison,
    compare_windows,
)

__all__ = ["GENERATED", "HUMAN", "EvaluationReport", "evaluate", "evaluate_songs"]

Progress = Callable[[str, float], object]  # stage, fraction done


def _tracks_of(part: str) -> tuple[str, ...]:
    """The song tracks a style's part plays (the comping the chords; the piano chords and tune)."""
    return tracks((part,)) or (part,)


WINDOWS = (1, 2, 4)  # bars
HEADLINE_BARS = 2  # the window the headline figures (realism gap, overlap ratio) come from


@dataclass(frozen=True)
class EvaluationReport:
    """Every figure of one evaluation; `to_json` is what the command writes.

    Attributes:
        comparisons: per window length in bars, songs and the human baseline against the
            held-out pieces, with intervals.
        parts: the song parts compared (None: every pitched part); `parts_reason` says why.
        music: per metric, its mean over generated songs and over held-out pieces.
        validation_loss: each part model's best validation loss (None if it has none).
    """

    corpus: str
    corpus_hash: str
    pieces: dict[str, int]
    songs: int
    bars: int
    seed: int
    held_out: float
    comparisons: dict[int, WindowComparison]
    parts: tuple[str, ...] | None
    parts_reason: str
    music: dict[str, dict[str, float]]
    validation_loss: dict[str, float | None]
    models: dict[str, str]
    human_draws: int = HUMAN_DRAWS
    bootstrap: int = BOOTSTRAP
    trained_by: str = ""  # the style's training command, from its style.json

    @property
    def headline(self) -> WindowComparison:
        """The 2-bar comparison when measured, else the longest window's."""
        if HEADLINE_BARS in self.comparisons:
            return self.comparisons[HEADLINE_BARS]
        return self.comparisons[max(self.comparisons)]

    @property
    def auc(self) -> dict[str, dict[str, float]]:
        """The headline window's AUCs per comparison and classifier (no intervals)."""
        return {
            side: {name: e.value for name, e in v.items()} for side, v in self.headline.auc.items()
        }

    @property
    def overlap(self) -> dict[str, dict[str, float]]:
        """The headline window's overlapped area per comparison and feature."""
        return self.headline.overlap

    @property
    def mean_overlap(self) -> dict[str, float]:
        """The headline window's mean overlapped area per comparison."""
        return {side: e.value for side, e in self.headline.mean_overlap.items()}

    @property
    def features(self) -> dict[str, np.ndarray]:
        """The headline window's feature rows of the songs and the held-out pieces."""
        return self.headline.features

    @property
    def windows(self) -> dict[str, float]:
        """The headline window's rows per side."""
        return self.headline.windows

    @property
    def realism_gap(self) -> float:
        """The headline window's forest AUC of the songs minus the human one: 0 is best."""
        return self.headline.gap.value

    @property
    def overlap_ratio(self) -> float:
        """The headline window's mean overlap of the songs over the human one: 1 is best."""
        return self.headline.overlap_ratio.value

    @property
    def compared(self) -> str:
        """Which parts of the songs were compared, in words."""
        names = ", ".join(self.parts) if self.parts else "every pitched part"
        return f"{names} ({self.parts_reason})"

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data, non-finite numbers as null."""
        data: dict[str, Any] = _finite(
            {
                "corpus": self.corpus,
                "corpus_hash": self.corpus_hash,
                "pieces": self.pieces,
                "songs": self.songs,
                "bars": self.bars,
                "seed": self.seed,
                "held_out": self.held_out,
                "parts": list(self.parts) if self.parts else None,
                "compared": self.compared,
                "human_draws": self.human_draws,
                "bootstrap": self.bootstrap,
                "headline_bars": self.headline.bars,
                "realism_gap": self.realism_gap,
                "overlap_ratio": self.overlap_ratio,
                "auc": self.auc,
                "mean_overlap": self.mean_overlap,
                "windows": {str(k): v.to_json() for k, v in self.comparisons.items()},
                "music": self.music,
                "validation_loss": self.validation_loss,
                "models": self.models,
                "trained_by": self.trained_by,
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


# The song parts a piano pack's pieces hold: a single piano (a top line over chords) has no
# drums and no separate bass, so its songs are heard without them.
PIANO_PACK_PARTS = ("chords", "melody")


def compared_parts(corpus: Corpus, style: Path | None) -> tuple[tuple[str, ...] | None, str]:
    """The song parts to compare with the corpus' pieces, and why (like with like).

    The parts the style learned from this corpus (style.json's `training.part_corpora`,
    part → corpus, else its `corpus` for every learned part), of those the corpus has when
    it is a pack of piano loops (`lofi.data.instruments.is_piano_pack`: melody and chords,
    its pieces' bass is the piano's left hand); else the parts the corpus has; else every
    pitched part.
    """
    name, piano = corpus.name, is_piano_pack(corpus)
    if style is not None:
        try:  # what style.json says of where each part was learned (evaluate loaded its models)
            data = json.loads((style / STYLE_FILE).read_text())
        except (OSError, ValueError):
            data = {}
        parts = data.get("parts") if isinstance(data, dict) else None
        if isinstance(parts, dict):
            sources = (data.get("training") or {}).get("part_corpora")
            learned = (
                dict(sources)
                if isinstance(sources, dict)
                else dict.fromkeys(parts, data.get("corpus"))
            )
            own = sorted({t for p, c in learned.items() if c == name for t in _tracks_of(p)})
            if piano:  # a bass learned from a piano pack's lowest line doubles its left hand
                own = [t for t in own if t in PIANO_PACK_PARTS]
            if own:
                return tuple(own), f"the parts style {data.get('name')} learned from {name}"
    if piano:
        return PIANO_PACK_PARTS, f"the parts {name} has: no drums, no separate bass"
    return None, f"{name} has every part"


def evaluate_songs(
    corpus: Corpus,
    songs: Sequence[Song],
    seed: int = 1,
    held_out: float = 0.2,
    checkpoints: Mapping[str, Path] | None = None,
    models: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    windows: Sequence[int] = WINDOWS,
    parts: tuple[tuple[str, ...] | None, str] = (None, "every pitched part"),
    draws: int = HUMAN_DRAWS,
    boots: int = BOOTSTRAP,
) -> EvaluationReport:
    """Measures already generated songs against the corpus' held-out pieces.

    Args:
        corpus: the corpus; it is split by content hash into training and held-out pieces.
        songs: the generated songs.
        seed: seeds the draws, resamples, cross-validation folds and the random forest.
        held_out: the share of pieces held out.
        checkpoints: part name → checkpoint folder, for the validation losses.
        models: part name → model id, recorded in the report.
        progress: called with (stage, fraction done).
        windows: the window lengths in bars.
        parts: the song parts compared (None: every pitched part) and why.
        draws: random draws of training pieces for the human baseline.
        boots: bootstrap resamples per interval.

    Raises:
        EvaluationError: when the corpus or the songs are too small to compare.
    """
    report = progress or (lambda stage, fraction: None)
    if not windows or any(w not in WINDOWS for w in windows):
        raise EvaluationError(f"windows last {', '.join(map(str, WINDOWS))} bars, not {windows}")
    train, held = split_pieces(corpus, held_out)
    if len({p.content_hash for p in held}) < 2 or len({p.content_hash for p in train}) < 2:
        raise EvaluationError(
            f"the held-out part of {corpus.name} has {len(held)} of {len(corpus.pieces)} "
            "pieces; the comparison needs at least 2 distinct pieces held out and 2 for "
            "training: use a larger corpus or another held-out share (--held-out)"
        )
    report("features", 0.05)
    generated = [from_song(s, f"song-{i}", parts[0]) for i, s in enumerate(songs)]
    held_m, train_m = [from_piece(p) for p in held], [from_piece(p) for p in train]
    comparisons = {}
    for i, bars in enumerate(sorted(set(windows))):
        report(f"{bars}-bar windows", 0.1 + 0.75 * i / len(set(windows)))
        comparisons[bars] = compare_windows(
            generated, held_m, train_m, bars, seed, draws, boots, TREES
        )
    report("music metrics", 0.9)
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
        pieces={"train": len(train), "held_out": len(held)},
        songs=len(songs),
        bars=max((s.bars for s in songs), default=0),
        seed=seed,
        held_out=held_out,
        comparisons=comparisons,
        parts=parts[0],
        parts_reason=parts[1],
        music=music,
        validation_loss=validation_losses(checkpoints or {}),
        models=dict(models or {}),
        human_draws=max(1, draws),
        bootstrap=boots,
    )


def evaluate(
    corpus: Corpus,
    style_or_models: Path | SongModels,
    songs: int = 20,
    seed: int = 1,
    bars: int = 32,
    held_out: float = 0.2,
    checkpoints: Mapping[str, Path] | None = None,
    progress: Progress | None = None,
    windows: Sequence[int] = WINDOWS,
    parts: tuple[str, ...] | None = None,
    draws: int = HUMAN_DRAWS,
    boots: int = BOOTSTRAP,
) -> EvaluationReport:
    """Generates `songs` songs and measures them against the corpus' held-out pieces.

    Args:
        corpus: the corpus to compare with.
        style_or_models: a style folder (one checkpoint subfolder per part) or loaded models.
        songs: how many songs, from seeds `seed`, `seed + 1`, ...
        seed: the first song's seed; it also seeds the draws and the cross-validation.
        bars: each song's length.
        held_out: the share of the corpus' pieces held out.
        checkpoints: part → checkpoint folder for the validation losses, when models are given.
        progress: called with (stage, fraction done).
        windows: the window lengths in bars.
        parts: the song parts to compare; None: `compared_parts` chooses.
        draws: random draws of training pieces for the human baseline.
        boots: bootstrap resamples per interval.

    Raises:
        EvaluationError: when the corpus or the songs are too small to compare.
    """
    if songs < 2:
        raise EvaluationError("evaluate needs at least 2 songs for its cross-validation")
    if bars not in GENERATION.bars_range:
        raise EvaluationError(f"songs last {GENERATION.bars_range} bars, not {bars}")
    if not 0.0 < held_out < 1.0:
        raise EvaluationError(f"the held-out share is between 0 and 1, not {held_out}")
    style = None
    if isinstance(style_or_models, SongModels):
        models = style_or_models
    else:
        style = Path(style_or_models)
        models = load_song_models(style)
        checkpoints = checkpoints or style_checkpoints(style)
    chosen = (parts, "chosen") if parts else compared_parts(corpus, style)
    report = progress or (lambda stage, fraction: None)
    report("generating songs", 0.0)
    made = generate_songs(models, songs, seed, bars)
    ids = {
        "melody": models.id("melody"),
        "chords": models.id("chords"),
        "form": models.form.id,
        "timing": models.timing.id,
        "critic": models.critic.id,
    }

    def scaled(stage: str, fraction: float) -> object:
        return report(stage, 0.2 + 0.8 * fraction)

    result = evaluate_songs(
        corpus, made, seed, held_out, checkpoints, ids, scaled, windows, chosen, draws, boots
    )
    return replace(result, trained_by=_trained_by(style)) if style else result


def _trained_by(style: Path) -> str:
    """The command style.json records as having trained the style ("" without one)."""
    try:
        command = json.loads((style / STYLE_FILE).read_text()).get("command", "")
    except (OSError, ValueError, AttributeError):
        return ""
    return command if isinstance(command, str) else ""
