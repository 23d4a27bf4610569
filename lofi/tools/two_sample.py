"""Are two sets of feature rows from the same distribution? Classifier AUC and overlapped area."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lofi.core.errors import EvaluationError

MAX_FOLDS = 5
KDE_POINTS = 512
BOOTSTRAP_KDE_POINTS = 256  # the bootstrap's overlaps: a coarser grid, hundreds of times
FOREST_TREES = 200


def classifiers(seed: int, trees: int = FOREST_TREES) -> dict[str, ClassifierMixin]:
    """The two-sample test's classifiers: a linear and a non-linear one."""
    return {
        "logistic": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced")
        ),
        "forest": RandomForestClassifier(
            n_estimators=trees,
            min_samples_leaf=3,
            class_weight="balanced",
            random_state=seed,
            n_jobs=1,
        ),
    }


def out_of_fold_scores(
    a: np.ndarray,
    groups_a: np.ndarray,
    b: np.ndarray,
    groups_b: np.ndarray,
    seed: int = 0,
    trees: int = FOREST_TREES,
) -> dict[str, np.ndarray]:
    """Each row's out-of-fold probability of being from `b`, per classifier (`a` rows first).

    Folds are drawn by group (a piece or a song), so windows of one piece are never on both
    sides of a fold.

    Raises:
        EvaluationError: when either set has fewer than two groups.
    """
    n_groups = min(len(set(groups_a.tolist())), len(set(groups_b.tolist())))
    if n_groups < 2:
        raise EvaluationError(
            f"a two-sample test needs at least two pieces or songs with a full window "
            f"on each side; one side has {n_groups}"
        )
    x = np.vstack([a, b])
    y = labels(len(a), len(b))
    groups = np.r_[[f"a:{g}" for g in groups_a], [f"b:{g}" for g in groups_b]]
    folds = StratifiedGroupKFold(n_splits=min(MAX_FOLDS, n_groups), shuffle=True, random_state=seed)
    result = {}
    for name, model in classifiers(seed, trees).items():
        scores = np.zeros(len(y))
        for train, test in folds.split(x, y, groups):
            fitted = clone(model).fit(x[train], y[train])
            scores[test] = fitted.predict_proba(x[test])[:, 1]
        result[name] = scores
    return result


def labels(n_a: int, n_b: int) -> np.ndarray:
    """0 for the rows of `a`, then 1 for those of `b`."""
    return np.concatenate([np.zeros(n_a, dtype=int), np.ones(n_b, dtype=int)])


def classifier_auc(
    a: np.ndarray,
    groups_a: np.ndarray,
    b: np.ndarray,
    groups_b: np.ndarray,
    seed: int = 0,
    trees: int = FOREST_TREES,
) -> dict[str, float]:
    """Cross-validated ROC AUC of telling rows of `a` from rows of `b`, per classifier.

    The AUC is computed once over every row's out-of-fold probability (`out_of_fold_scores`).
    0.5 means the sets cannot be told apart, 1.0 that they always can.

    Raises:
        EvaluationError: when either set has fewer than two groups.
    """
    y = labels(len(a), len(b))
    scores = out_of_fold_scores(a, groups_a, b, groups_b, seed, trees)
    return {name: float(roc_auc_score(y, s)) for name, s in scores.items()}


def group_weights(groups: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap weights over groups: (rows, draws), each column one resample of the groups.

    Every column draws as many groups as there are, with replacement; a row weighs as often
    as its group was drawn. Column 0 is the sample itself (every group once).
    """
    names, index = np.unique(groups, return_inverse=True)
    counts = np.ones((len(names), draws + 1))
    if len(names):
        drawn = rng.integers(0, len(names), size=(draws, len(names)))
        for d in range(draws):
            counts[:, d + 1] = np.bincount(drawn[d], minlength=len(names))
    weights: np.ndarray = np.asarray(counts[index])
    return weights


def weighted_aucs(y: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The ROC AUC of `scores` for labels `y` under each column of `weights` (ties count half).

    A weighted Mann–Whitney statistic: sklearn's roc_auc_score once per column is slower by
    the number of columns.
    """
    order = np.argsort(scores, kind="mergesort")
    s, yy, w = scores[order], y[order], weights[order]
    # rows of equal score form one block; a positive beats the negatives of lower blocks
    _, start = np.unique(s, return_index=True)
    block = np.cumsum(np.isin(np.arange(len(s)), start)) - 1
    neg = np.where(yy[:, None] == 0, w, 0.0)
    pos = np.where(yy[:, None] == 1, w, 0.0)
    neg_block = np.zeros((block.max() + 1 if len(s) else 0, w.shape[1]))
    np.add.at(neg_block, block, neg)
    below = np.cumsum(neg_block, axis=0) - neg_block  # negatives in lower blocks
    wins = (pos * (below[block] + 0.5 * neg_block[block])).sum(axis=0)
    total = pos.sum(axis=0) * neg.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: np.ndarray = np.where(total > 0, wins / np.where(total > 0, total, 1), np.nan)
    return result


def _bandwidth(values: np.ndarray, span: float) -> float:
    """Silverman's rule, floored so a constant feature still has a narrow bump."""
    std = float(values.std())
    iqr = float(np.subtract(*np.percentile(values, [75, 25])))
    spread = min(std, iqr / 1.349) if iqr > 0 else std
    rule = 0.9 * spread * len(values) ** -0.2
    return float(max(rule, 1e-3 * max(span, 1.0)))


def _density(values: np.ndarray, grid: np.ndarray, h: float) -> np.ndarray:
    # A 1-D Gaussian KDE in a few lines of numpy: scipy's gaussian_kde refuses constant data.
    z = (grid[:, None] - values[None, :]) / h
    density: np.ndarray = np.exp(-0.5 * z**2).sum(axis=1) / (len(values) * h * np.sqrt(2 * np.pi))
    return density


def overlapped_area(x: np.ndarray, y: np.ndarray) -> float:
    """The area under the smaller of the two sets' kernel density estimates (Yang & Lerch 2020).

    1 for identical distributions, 0 for disjoint ones; NaN when a set is empty.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size == 0 or y.size == 0:
        return float("nan")
    lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
    hx, hy = _bandwidth(x, hi - lo), _bandwidth(y, hi - lo)
    pad = 4 * max(hx, hy)
    grid = np.linspace(lo - pad, hi + pad, KDE_POINTS)
    area = np.trapezoid(np.minimum(_density(x, grid, hx), _density(y, grid, hy)), grid)
    return float(min(area, 1.0))


def feature_overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The overlapped area of each feature column of `a` and `b`."""
    return np.array([overlapped_area(a[:, j], b[:, j]) for j in range(a.shape[1])])


def _kernels(values: np.ndarray, grid: np.ndarray, h: float) -> np.ndarray:
    """The Gaussian bump of every value on the grid: (grid points, values)."""
    z = (grid[:, None] - values[None, :]) / h
    kernels: np.ndarray = np.exp(-0.5 * z**2) / (h * np.sqrt(2 * np.pi))
    return kernels


def bootstrap_overlaps(
    a: np.ndarray, b: np.ndarray, weights_a: np.ndarray, weights_b: np.ndarray
) -> np.ndarray:
    """The overlapped area of each feature under each bootstrap column: (features, columns).

    Each side's kernel density is the weighted sum of its rows' bumps (bandwidths from the
    sample itself), so a resample costs one matrix product per feature instead of a new KDE.
    """
    columns = weights_a.shape[1]
    result = np.full((a.shape[1], columns), np.nan)
    if len(a) == 0 or len(b) == 0:
        return result
    wa = weights_a / np.maximum(weights_a.sum(axis=0, keepdims=True), 1e-12)
    wb = weights_b / np.maximum(weights_b.sum(axis=0, keepdims=True), 1e-12)
    for j in range(a.shape[1]):
        x, y = a[:, j], b[:, j]
        lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
        hx, hy = _bandwidth(x, hi - lo), _bandwidth(y, hi - lo)
        pad = 4 * max(hx, hy)
        grid = np.linspace(lo - pad, hi + pad, BOOTSTRAP_KDE_POINTS)
        dx = _kernels(x, grid, hx) @ wa
        dy = _kernels(y, grid, hy) @ wb
        area = np.trapezoid(np.minimum(dx, dy), grid, axis=0)
        result[j] = np.minimum(area, 1.0)
    return result
