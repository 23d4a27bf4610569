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


def classifiers(seed: int) -> dict[str, ClassifierMixin]:
    """The two-sample test's classifiers: a linear and a non-linear one."""
    return {
        "logistic": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced")
        ),
        "forest": RandomForestClassifier(
            n_estimators=200,
            min_samples_leaf=3,
            class_weight="balanced",
            random_state=seed,
            n_jobs=1,
        ),
    }


def classifier_auc(
    a: np.ndarray, groups_a: np.ndarray, b: np.ndarray, groups_b: np.ndarray, seed: int = 0
) -> dict[str, float]:
    """Cross-validated ROC AUC of telling rows of `a` from rows of `b`, per classifier.

    Folds are drawn by group (a piece or a song), so windows of one piece are never on both
    sides of a fold; the AUC is computed once over every row's out-of-fold probability.
    0.5 means the sets cannot be told apart, 1.0 that they always can.

    Raises:
        EvaluationError: when either set has fewer than two groups.
    """
    n_groups = min(len(set(groups_a.tolist())), len(set(groups_b.tolist())))
    if n_groups < 2:
        raise EvaluationError(
            f"a two-sample test needs at least two pieces or songs with a full 4-bar window "
            f"on each side; one side has {n_groups}"
        )
    x = np.vstack([a, b])
    y = np.r_[np.zeros(len(a), dtype=int), np.ones(len(b), dtype=int)]
    groups = np.r_[[f"a:{g}" for g in groups_a], [f"b:{g}" for g in groups_b]]
    folds = StratifiedGroupKFold(n_splits=min(MAX_FOLDS, n_groups), shuffle=True, random_state=seed)
    result = {}
    for name, model in classifiers(seed).items():
        scores = np.zeros(len(y))
        for train, test in folds.split(x, y, groups):
            fitted = clone(model).fit(x[train], y[train])
            scores[test] = fitted.predict_proba(x[test])[:, 1]
        result[name] = float(roc_auc_score(y, scores))
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
