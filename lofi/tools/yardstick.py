"""One window length's two-sample comparison, with intervals a small collection can trust.

Songs are compared with the corpus' held-out pieces. The human baseline compares the corpus'
training pieces with the same held-out pieces: random draws of as many training pieces as
there are songs, with as many windows as the songs have (a two-sample test's AUC depends on
how many windows and pieces it sees; a short training part gives all it has), its figures the
mean over the draws. Every AUC and overlap carries a bootstrap interval over
pieces and songs: each resample draws the songs, the held-out pieces and each draw's training
pieces with replacement, the held-out ones shared by both comparisons, so the gap between them
has its own interval. The out-of-fold scores are computed once; a resample reweighs them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lofi.core.errors import EvaluationError
from lofi.data.window_features import FEATURE_NAMES, PITCH_CLASSES
from lofi.tools.features import Material, feature_table
from lofi.tools.two_sample import (
    bootstrap_overlaps,
    group_weights,
    labels,
    out_of_fold_scores,
    weighted_aucs,
)

GENERATED, HUMAN = "generated_vs_held_out", "training_vs_held_out"
CONFIDENCE = 0.95
BOOTSTRAP = 200  # resamples per interval
HUMAN_DRAWS = 5  # random draws of training pieces for the human baseline
TREES = 100  # the forest's trees: enough for a two-sample test, quick on 2 cores
SEPARATING_MARGIN = 0.1  # a feature separates when its overlap is this far below the human one
SEPARATING_SHIFT = 0.5  # ... and its means differ by this share of its pooled spread, at least
TOO_FEW = "too few windows to tell, add songs or pieces"


@dataclass(frozen=True)
class Estimate:
    """A figure and its bootstrap interval (NaN bounds when it had no resamples)."""

    value: float
    low: float
    high: float

    @classmethod
    def of(
        cls, columns: np.ndarray, lowest: float = -math.inf, highest: float = math.inf
    ) -> Estimate:
        """Column 0 is the sample's figure, the others its resamples.

        The interval is the resamples' percentile interval moved so that their median is the
        sample's figure: drawing pieces with replacement repeats windows, which biases an
        overlapped area low; the resamples' spread is what the interval keeps. It is clipped
        to the figure's range (`lowest`, `highest`).
        """
        rest = columns[1:][np.isfinite(columns[1:])]
        value = float(columns[0])
        if rest.size == 0 or not math.isfinite(value):
            return cls(value, math.nan, math.nan)
        tail = 100 * (1 - CONFIDENCE) / 2
        low, mid, high = np.percentile(rest, [tail, 50, 100 - tail])
        return cls(
            value,
            float(max(lowest, value - (mid - low))),
            float(min(highest, value + (high - mid))),
        )

    @property
    def width(self) -> float:
        """How wide the interval is (NaN without one)."""
        return self.high - self.low

    def text(self, signed: bool = False) -> str:
        """`0.95 [0.90, 0.99]`, the sign shown when `signed`."""
        form = "{:+.2f}" if signed else "{:.2f}"
        if not math.isfinite(self.value):
            return "n/a"
        if not math.isfinite(self.width):
            return form.format(self.value)
        return f"{form.format(self.value)} [{form.format(self.low)}, {form.format(self.high)}]"

    def to_json(self) -> dict[str, float | None]:
        """value, low and high; non-finite ones as null."""
        return {
            k: (v if math.isfinite(v) else None)
            for k, v in (("value", self.value), ("low", self.low), ("high", self.high))
        }


# The features a musician reads, in their words: (feature, what it is, how its value reads).
READABLE: tuple[tuple[str, str, str], ...] = (
    ("notes_per_beat", "density", "{:.1f} notes/beat"),
    ("short_notes", "notes shorter than 0.3 beat", "{:.0%}"),
    ("held_notes", "notes held 2 beats or more", "{:.0%}"),
    ("silence", "rests (time with nothing sounding)", "{:.0%}"),
    ("top_step", "top-line moves by step (1–2 semitones)", "{:.0%}"),
    ("top_big_leap", "top-line leaps of 8 semitones or more", "{:.0%}"),
    ("range", "range within the window", "{:.0f} semitones"),
    ("notes_on_one", "notes on beat 1", "{:.0%}"),
    ("notes_per_onset", "voicing: notes struck together", "{:.1f}"),
    ("polyphony", "voicing: notes sounding at once", "{:.1f}"),
    ("register_mean", "register: mean pitch (in C)", "{}"),
    ("velocity_mean", "loudness: mean velocity", "{:.0f}"),
)


def _reading(form: str, value: float) -> str:
    if "{}" in form:  # a pitch, in the key moved to C: its note name
        return form.format(f"{PITCH_CLASSES[round(value) % 12]}{round(value) // 12 - 1}")
    return form.format(value)


@dataclass(frozen=True)
class Separation:
    """How one readable feature sounds in the songs and in the held-out pieces."""

    feature: str
    label: str
    songs: float
    pieces: float
    overlap: float  # songs against held-out pieces
    human_overlap: float  # training against held-out pieces
    spread: float = math.inf  # the feature's standard deviation over both sides' windows

    @property
    def separates(self) -> bool:
        """Whether the songs differ here clearly more than the pieces among themselves.

        Their distributions overlap clearly less than the pieces' own, and the means the
        words name differ by half a spread or more (a shape alone is not said in words).
        """
        shifted = abs(self.songs - self.pieces) >= SEPARATING_SHIFT * self.spread
        return self.overlap < self.human_overlap - SEPARATING_MARGIN and shifted

    def words(self) -> str:
        """`density: songs 6.1 notes/beat, pieces 2.8 notes/beat`."""
        form = next(f for name, _, f in READABLE if name == self.feature)
        return (
            f"{self.label}: songs {_reading(form, self.songs)}, "
            f"pieces {_reading(form, self.pieces)}"
        )


@dataclass(frozen=True)
class WindowComparison:
    """Songs against held-out pieces, and the human baseline, at one window length.

    Attributes:
        bars: the window's length.
        windows: rows per side: generated, held_out, training (mean per human draw).
        groups: songs, held-out pieces and training pieces (mean per draw) with a window.
        auc: per comparison (GENERATED, HUMAN), each classifier's cross-validated ROC AUC.
        mean_overlap: per comparison, the overlapped area averaged over the features.
        overlap: per comparison, each feature's overlapped area.
        gap: the forest's AUC of the songs minus the human one (0: as real as the pieces).
        overlap_ratio: the songs' mean overlap over the human one (1: as real).
        readable: the readable features, the most separating first.
        features: the window rows of the songs and the held-out pieces.
        gap_resamples: the gap under each bootstrap resample (column 0: the sample), so two
            styles' gaps measured with one seed compare pair-wise (lofi.tools.bench_pack).
    """

    bars: int
    windows: dict[str, float]
    groups: dict[str, float]
    auc: dict[str, dict[str, Estimate]]
    mean_overlap: dict[str, Estimate]
    overlap: dict[str, dict[str, float]]
    gap: Estimate
    overlap_ratio: Estimate
    readable: tuple[Separation, ...]
    features: dict[str, np.ndarray] = field(repr=False, compare=False)
    gap_resamples: np.ndarray = field(
        default_factory=lambda: np.zeros(0), repr=False, compare=False
    )

    @property
    def decided(self) -> bool:
        """Whether the gap is larger than its interval is wide (else: too few windows)."""
        return math.isfinite(self.gap.width) and self.gap.width <= abs(self.gap.value)

    @property
    def verdict(self) -> str:
        """The gap with its interval, or that there are too few windows to tell."""
        if not self.decided:
            return TOO_FEW
        return f"gap {self.gap.text(signed=True)}"

    @property
    def separating(self) -> tuple[Separation, ...]:
        """The readable features that tell the songs from the pieces, most telling first."""
        return tuple(s for s in self.readable if s.separates)

    def to_json(self) -> dict[str, Any]:
        """The comparison as JSON-ready data (the feature rows as their means)."""
        return {
            "bars": self.bars,
            "windows": self.windows,
            "groups": self.groups,
            "auc": {
                side: {name: e.to_json() for name, e in v.items()} for side, v in self.auc.items()
            },
            "mean_overlap": {side: e.to_json() for side, e in self.mean_overlap.items()},
            "gap": self.gap.to_json(),
            "overlap_ratio": self.overlap_ratio.to_json(),
            "decided": self.decided,
            "verdict": self.verdict,
            "overlap": {
                side: {k: (v if math.isfinite(v) else None) for k, v in values.items()}
                for side, values in self.overlap.items()
            },
            "separating": [s.words() for s in self.separating],
            "readable": {
                s.feature: {
                    "songs": s.songs,
                    "pieces": s.pieces,
                    "overlap": s.overlap,
                    "human_overlap": s.human_overlap,
                    "words": s.words(),
                }
                for s in self.readable
            },
            "feature_means": {
                name: dict(zip(FEATURE_NAMES, rows.mean(axis=0).tolist(), strict=True))
                for name, rows in self.features.items()
                if len(rows)
            },
        }


def _tables(materials: Sequence[Material], bars: int) -> list[tuple[str, np.ndarray]]:
    """Each material's window rows (materials without a window left out)."""
    found = []
    for m in materials:
        rows, _ = feature_table([m], bars)
        if len(rows):
            found.append((m.name, rows))
    return found


def human_draw(
    tables: list[tuple[str, np.ndarray]], rows: int, pieces: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random training pieces, as many as the songs, with as many windows as theirs.

    Pieces are taken in random order until both counts are reached (or the pieces run out);
    when their windows are more than `rows` (long pieces), a random `rows` of them stay, at
    least one of every piece taken.
    """
    taken: list[tuple[str, np.ndarray]] = []
    count = 0
    for i in rng.permutation(len(tables)):
        taken.append(tables[int(i)])
        count += len(taken[-1][1])
        if count >= rows and len(taken) >= pieces:
            break
    names = np.concatenate([[name] * len(block) for name, block in taken])
    stacked = np.vstack([block for _, block in taken])
    if len(stacked) > rows:
        starts = np.cumsum([0] + [len(block) for _, block in taken[:-1]])
        first = np.array(
            [s + rng.integers(len(b)) for s, (_, b) in zip(starts, taken, strict=True)]
        )
        rest = rng.permutation(np.setdiff1d(np.arange(len(stacked)), first))
        keep = np.sort(np.concatenate([first, rest[: max(0, rows - len(first))]]))
        stacked, names = stacked[keep], names[keep]
    return stacked, np.asarray(names, dtype=str)


def _side(
    a: np.ndarray,
    ga: np.ndarray,
    wa: np.ndarray,
    b: np.ndarray,
    gb: np.ndarray,
    wb: np.ndarray,
    seed: int,
    trees: int,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per classifier the AUC under each bootstrap column; each feature's overlap likewise."""
    y = labels(len(a), len(b))
    weights = np.vstack([wa, wb])
    scores = out_of_fold_scores(a, ga, b, gb, seed, trees)
    aucs = {name: weighted_aucs(y, s, weights) for name, s in scores.items()}
    return aucs, bootstrap_overlaps(a, b, wa, wb)


def _too_few(name: str, bars: int, found: int, remedy: str) -> EvaluationError:
    return EvaluationError(
        f"only {found} of the {name} have a {bars}-bar window with notes (2 needed); {remedy}"
    )


def compare_windows(
    songs: Sequence[Material],
    held: Sequence[Material],
    train: Sequence[Material],
    bars: int,
    seed: int = 1,
    draws: int = HUMAN_DRAWS,
    boots: int = BOOTSTRAP,
    trees: int = TREES,
) -> WindowComparison:
    """Songs and the human baseline against the held-out pieces in windows of `bars` bars.

    Args:
        songs: the generated songs (their compared parts).
        held: the held-out pieces.
        train: the training pieces the human baseline draws from.
        bars: the window's length.
        seed: seeds the draws, the resamples, the folds and the forest.
        draws: random draws of training pieces for the human baseline.
        boots: bootstrap resamples per interval (0: no intervals).
        trees: the forest's trees.

    Raises:
        EvaluationError: when a side has too few windows to compare.
    """
    rng = np.random.default_rng([seed, bars])
    g, gg = feature_table(songs, bars)
    h, gh = feature_table(held, bars)
    pools = _tables(train, bars)
    shorter = "or use shorter windows (--windows 1,2)"
    for name, found, remedy in (
        ("songs", len(set(gg.tolist())), f"add songs or make them longer, {shorter}"),
        ("held-out pieces", len(set(gh.tolist())), f"hold out a larger share, {shorter}"),
        ("training pieces", len(pools), f"use a larger corpus, {shorter}"),
    ):
        if found < 2:
            raise _too_few(name, bars, found, remedy)
    wg, wh = group_weights(gg, boots, rng), group_weights(gh, boots, rng)
    auc_g, overlap_g = _side(g, gg, wg, h, gh, wh, seed, trees)
    human_auc: list[dict[str, np.ndarray]] = []
    human_overlap, train_rows, train_groups = [], [], []
    for d in range(max(1, draws)):
        t, gt = human_draw(pools, len(g), len(set(gg.tolist())), rng)
        auc_t, overlap_t = _side(t, gt, group_weights(gt, boots, rng), h, gh, wh, seed + d, trees)
        human_auc.append(auc_t)
        human_overlap.append(overlap_t)
        train_rows.append(len(t))
        train_groups.append(len(set(gt.tolist())))
    auc_h = {name: np.mean([a[name] for a in human_auc], axis=0) for name in auc_g}
    overlap_h = np.mean(human_overlap, axis=0)
    mean_g, mean_h = np.nanmean(overlap_g, axis=0), np.nanmean(overlap_h, axis=0)
    names = list(FEATURE_NAMES)
    readable = [
        Separation(
            feature,
            label,
            float(g[:, names.index(feature)].mean()),
            float(h[:, names.index(feature)].mean()),
            float(overlap_g[names.index(feature), 0]),
            float(overlap_h[names.index(feature), 0]),
            float(np.concatenate([g[:, names.index(feature)], h[:, names.index(feature)]]).std()),
        )
        for feature, label, _ in READABLE
    ]
    readable.sort(key=lambda s: s.overlap - s.human_overlap)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = mean_g / mean_h
    return WindowComparison(
        bars=bars,
        windows={
            "generated": float(len(g)),
            "held_out": float(len(h)),
            "training": float(np.mean(train_rows)),
        },
        groups={
            "songs": float(len(set(gg.tolist()))),
            "held_out": float(len(set(gh.tolist()))),
            "training": float(np.mean(train_groups)),
        },
        auc={
            GENERATED: {name: Estimate.of(v, 0.0, 1.0) for name, v in auc_g.items()},
            HUMAN: {name: Estimate.of(v, 0.0, 1.0) for name, v in auc_h.items()},
        },
        mean_overlap={
            GENERATED: Estimate.of(mean_g, 0.0, 1.0),
            HUMAN: Estimate.of(mean_h, 0.0, 1.0),
        },
        overlap={
            GENERATED: dict(zip(FEATURE_NAMES, overlap_g[:, 0].tolist(), strict=True)),
            HUMAN: dict(zip(FEATURE_NAMES, overlap_h[:, 0].tolist(), strict=True)),
        },
        gap=Estimate.of(auc_g["forest"] - auc_h["forest"], -1.0, 1.0),
        overlap_ratio=Estimate.of(ratio),
        readable=tuple(readable),
        features={"generated": g, "held_out": h},
        gap_resamples=auc_g["forest"] - auc_h["forest"],
    )
