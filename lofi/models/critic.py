"""A style's loop critic: how much a piano loop sounds like the pieces the style learned.

Per window length (1, 2 and 4 bars) a random forest tells windows of the corpus' training
pieces from windows of loops the style's own piano drew (lofi.learn.critic fits it, on the
features the evaluation measures and how the register moves from bar to bar:
lofi.data.window_features). The piano draws several loops and plays the one the critic
takes most for a piece (lofi.compose.piano_loops).

The forests are read as plain arrays (numpy only, no pickle: a style may be a user's file).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.errors import StyleError
from lofi.core.types import Note
from lofi.data.window_features import (
    FEATURE_NAMES,
    MOTION_NAMES,
    min_notes,
    window_row,
    windows_of,
)

CRITIC_FILE = "critic.npz"
WINDOWS = (1, 2, 4)  # bars: a loop pack's pieces are 2–4 bars long
MAX_CRITIC_BYTES = 64 * 1024**2  # what a critic file may hold unpacked (the shipped: 2.2 MB)
FLOOR = 0.01  # a forest's share is kept in [FLOOR, 1 - FLOOR]: log-odds stay finite
_ARRAYS = ("feature", "threshold", "left", "right", "share", "roots")
CRITIC_FEATURES = (*FEATURE_NAMES, *MOTION_NAMES)
# What the critics of earlier releases measured (the shipped lofi_v2 style's): still read.
FEATURE_SETS = (list(CRITIC_FEATURES), list(FEATURE_NAMES))


@dataclass(frozen=True)
class Forest:
    """The trees of one forest, flattened: node i of every tree in one set of arrays.

    Attributes:
        feature: the feature a node splits on (-1 at a leaf).
        threshold: a row goes left where its feature is at most this.
        left, right: the children's node indices (-1 at a leaf).
        share: the share of piece windows at a node (what a leaf answers).
        roots: each tree's first node.
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    share: np.ndarray
    roots: np.ndarray

    def log_odds(self, rows: np.ndarray) -> np.ndarray:
        """Each row's log-odds of being a piece's window (the trees' mean share)."""
        # The forest is walked in numpy, every row through every tree at once; the values
        # are compared in float32 as the trees were grown.
        x = np.asarray(rows, dtype=np.float32)
        nodes = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        row = np.arange(len(x))[:, None]
        while True:
            feature = self.feature[nodes]
            inner = feature >= 0
            if not inner.any():
                break
            value = x[row, np.maximum(feature, 0)]
            child = np.where(value <= self.threshold[nodes], self.left[nodes], self.right[nodes])
            nodes = np.where(inner, child, nodes)
        share = np.clip(self.share[nodes].mean(axis=1), FLOOR, 1 - FLOOR)
        odds: np.ndarray = np.log(share / (1 - share))
        return odds


@dataclass(frozen=True)
class LoopCritic:
    """A forest per window length (bars), and how it was trained (`about`)."""

    forests: dict[int, Forest]
    about: dict[str, Any]

    @property
    def repeated_halves(self) -> float:
        """The share of the pieces' loops whose second half repeats the first (0: not learned).

        A song's new loop plays its first half twice as often (lofi.compose.piano_loops).
        """
        return float(self.about.get("repeated_halves", 0.0))

    @property
    def motion(self) -> bool:
        """Whether the forests read the windows' bar-to-bar register motion too."""
        return self.about.get("features") == list(CRITIC_FEATURES)

    def scores(self, loops: Sequence[Sequence[Note]], loop_bars: int) -> np.ndarray:
        """How much each loop (normalised key, from beat 0) sounds like a piece.

        The mean log-odds over each window length's windows, summed over the lengths; a
        window with too few notes to measure counts as the least piece-like.
        """
        total = np.zeros(len(loops))
        beats = loop_bars * BEATS_PER_BAR
        for bars, forest in self.forests.items():
            per = loop_bars // bars
            if per < 1:
                continue
            rows, owners = [], []
            for i, notes in enumerate(loops):
                for w, inside in enumerate(windows_of(notes, beats, bars)):
                    if len(inside) >= min_notes(bars):
                        start = w * bars * BEATS_PER_BAR
                        rows.append(window_row(inside, start, 0, bars, self.motion))
                        owners.append(i)
                    else:
                        total[i] += np.log(FLOOR / (1 - FLOOR)) / per
            if rows:
                np.add.at(total, owners, forest.log_odds(np.array(rows)) / per)
        return total

    def best(self, loops: Sequence[Sequence[Note]], loop_bars: int) -> int:
        """The index of the loop the critic takes most for a piece (the first, on a tie)."""
        return int(np.argmax(self.scores(loops, loop_bars)))


def write_critic(path: Path, critic: LoopCritic) -> None:
    """Saves the forests as arrays and `about` as JSON in one .npz file."""
    arrays: dict[str, np.ndarray] = {"about": np.array(json.dumps(critic.about, sort_keys=True))}
    for bars, forest in critic.forests.items():
        for name in _ARRAYS:
            arrays[f"{bars}/{name}"] = getattr(forest, name)
    with path.open("wb") as f:
        np.savez_compressed(f, **arrays)  # type: ignore[arg-type]


def read_critic(path: Path) -> LoopCritic:
    """The critic saved at `path`.

    Raises:
        StyleError: if the file is not a loop critic this version reads.
    """
    try:
        with zipfile.ZipFile(path) as archive:  # unpacked sizes first: no zip bomb is read
            if sum(i.file_size for i in archive.infolist()) > MAX_CRITIC_BYTES:
                raise ValueError(f"it unpacks to more than {MAX_CRITIC_BYTES >> 20} MB")
        with np.load(path, allow_pickle=False) as data:
            about = json.loads(str(data["about"]))
            if not set(about["windows"]) <= set(WINDOWS):
                raise ValueError(f"windows {about['windows']} are not among {WINDOWS} bars")
            if about.get("features") not in FEATURE_SETS:
                raise StyleError(f"{path}: the critic measures other features than this version")
            if not 0.0 <= float(about.get("repeated_halves", 0.0)) <= 1.0:
                raise ValueError(f"repeated_halves {about['repeated_halves']} is not a share")
            width = len(about["features"])
            forests = {
                int(bars): _forest({n: data[f"{bars}/{n}"] for n in _ARRAYS}, width)
                for bars in about["windows"]
            }
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise StyleError(f"{path}: not a loop critic this version reads ({exc})") from exc
    return LoopCritic(forests, about)


def _forest(arrays: dict[str, np.ndarray], width: int) -> Forest:
    nodes = len(arrays["feature"])
    if any(len(arrays[n]) != nodes for n in _ARRAYS[:-1]) or not len(arrays["roots"]):
        raise ValueError("the arrays of a forest differ in length")
    links = np.concatenate([arrays["left"], arrays["right"], arrays["roots"]])
    if links.max() >= nodes or links.min() < -1 or arrays["feature"].max() >= width:
        raise ValueError("a node points outside its forest")
    # A walk ends only at leaves: every child must lie after its parent (trees are stored
    # depth-first), so a hostile file cannot make a cycle.
    index = np.arange(nodes)
    inner = arrays["feature"] >= 0
    if np.any(inner & ((arrays["left"] <= index) | (arrays["right"] <= index))):
        raise ValueError("a node's child comes before it")
    return Forest(
        arrays["feature"].astype(np.int32),
        arrays["threshold"].astype(np.float64),
        arrays["left"].astype(np.int32),
        arrays["right"].astype(np.int32),
        arrays["share"].astype(np.float64),
        arrays["roots"].astype(np.int32),
    )


def critic_sha256(path: Path) -> str:
    """The critic file's content hash (recipes name the critic by it)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
