"""The cross-corpus table: a style per corpus against every corpus' held-out pieces.

Each style is trained on its corpus' training part. A style that learned its corpus scores a lower
AUC (is harder to tell apart) against its own held-out pieces than against the others'.

Five views of the same songs: `evaluate`'s AUC (4-bar windows of every pitched part); the
same AUC against held-out parts of one size; the AUC of the melody line alone (the song's
melody against the pieces' top line); the mean overlapped area of the features, which still
ranks the corpora where the AUCs are all near 1; and the attribution: a classifier that
learned to tell the corpora's held-out pieces apart names the corpus each style's windows
sound like. An AUC compares a style with one corpus at a time, against that corpus' own
spread and size; the attribution asks all of them at once.

A two-sample test tells sets apart better the more pieces it learns from, so a column of 4
held-out pieces scores lower against every row than one of 144. The size-matched AUC compares
each style with draws of the same number of held-out pieces from every corpus. Beside the
styles, each view measures the corpora's own training pieces the same way: how close an
imitation of the training part could come, given the split.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lofi.core.errors import EvaluationError, StyleError
from lofi.data.corpus import Corpus, load_corpus
from lofi.data.window_features import WINDOW_BARS
from lofi.learn.style_training import train_style
from lofi.learn.train import TrainConfig
from lofi.models.loading import load_song_models
from lofi.models.style import STYLE_FILE, read_style
from lofi.tools.evaluate import GENERATED, HUMAN, evaluate_songs, generate_songs
from lofi.tools.features import Material, feature_table, from_piece, from_song
from lofi.tools.two_sample import classifier_auc, classifiers, feature_overlaps

MATRIX_HELD_OUT = 0.4  # the smallest bundled corpus (blupi, 10 files) keeps 4 pieces out
MATRIX_PARTS = ("melody", "chords", "bass", "comping")  # the pitched parts the windows see
# `train style`'s own defaults: the table measures the styles a user would train (smaller
# ones, 64 units and 8 short epochs, ranked their own corpus first in one row of four).
STYLE_CONFIG = TrainConfig(kind="melody")
MATCHED_DRAWS = 8  # random draws of a larger held-out part, each the smallest part's size

Report = Callable[[str], object]


@dataclass(frozen=True)
class MatrixReport:
    """AUCs of generated-vs-held-out windows: `auc[trained_on][evaluated_against]`.

    Each cell is the better of the two classifiers' cross-validated ROC AUC (0.5: cannot be
    told apart); `human` holds each corpus' baseline: its training pieces against its
    held-out pieces (one draw, 4-bar windows, as many windows as a style's songs have).
    """

    corpora: tuple[str, ...]
    auc: dict[str, dict[str, float]]
    human: dict[str, float]
    melody_auc: dict[str, dict[str, float]]  # the melody line alone
    overlap: dict[str, dict[str, float]]  # mean overlapped area, every pitched part (1 = same)
    attribution: dict[str, dict[str, float]]  # mean probability of each corpus, per style
    pieces: dict[str, dict[str, int]]
    styles: dict[str, str]
    matched_auc: dict[str, dict[str, float]] = field(default_factory=dict)  # held-out parts
    # of one size; view → row → column: each corpus' training pieces in place of its style
    reference: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def diagonal_lowest(self, table: str = "auc", reference: bool = False) -> dict[str, bool]:
        """Per row, whether the style (`reference`: the training part) is closest to its corpus.

        Closest is the lowest AUC, or the highest overlap or attribution.
        """
        values = self.reference[table] if reference else self._table(table)
        sign = -1.0 if table in HIGHER_IS_CLOSER else 1.0
        return {
            row: all(
                sign * round(values[row][row], 3) < sign * round(v, 3)  # as the table shows
                for c, v in values[row].items()
                if c != row
            )
            for row in self.corpora
        }

    def _table(self, table: str) -> dict[str, dict[str, float]]:
        values: dict[str, dict[str, float]] = getattr(self, table)
        return values

    def markdown(self, table: str = "auc") -> str:
        """One table as Markdown: rows trained-on, columns evaluated-against.

        Below the styles, in italics, the same figures for each corpus' training pieces.
        """
        head = "| trained on ↓ · evaluated against → | " + " | ".join(self.corpora) + " |"
        lines = [head, "|---" * (len(self.corpora) + 1) + "|"]
        rows = [(row, row, self._table(table)) for row in self.corpora]
        rows += [
            (f"*training pieces of {row}*", row, self.reference.get(table, {}))
            for row in self.corpora
        ]
        for title, row, values in rows:
            if row not in values:
                continue
            cells = [
                f"**{values[row][c]:.3f}**" if c == row else f"{values[row][c]:.3f}"
                for c in self.corpora
            ]
            lines.append(f"| {title} | " + " | ".join(cells) + " |")
        if table == "auc":
            human = [f"{self.human[c]:.3f}" for c in self.corpora]
            lines.append("| *human: training vs held-out* | " + " | ".join(human) + " |")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Every table, the baselines, the styles and the settings, as JSON."""
        return {
            "corpora": list(self.corpora),
            "auc": self.auc,
            "human": self.human,
            "matched_auc": self.matched_auc,
            "melody_auc": self.melody_auc,
            "overlap": self.overlap,
            "attribution": self.attribution,
            "reference": self.reference,
            "pieces": self.pieces,
            "styles": self.styles,
            "diagonal_lowest": {t: self.diagonal_lowest(t) for t in TABLES},
            "reference_diagonal_lowest": {
                t: self.diagonal_lowest(t, reference=True) for t in TABLES if t in self.reference
            },
            "settings": self.settings,
        }

    def write_json(self, path: Path) -> None:
        """Writes `to_json` to `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1))


TABLES = ("auc", "matched_auc", "melody_auc", "overlap", "attribution")
HIGHER_IS_CLOSER = ("overlap", "attribution")


def melody_only(material: Material) -> Material:
    """The melody line alone: a song's melody part, a piece's top line."""
    return Material(
        material.name, material.key, material.melody, material.melody, material.beats, ()
    )


def melody_auc(songs: Sequence[Material], held: Sequence[Material], seed: int) -> float:
    """The better classifier's AUC of song melodies against held-out top lines."""
    a = feature_table(melody_only(m) for m in songs)
    b = feature_table(melody_only(m) for m in held)
    if len(a[0]) == 0 or len(b[0]) == 0:
        return float("nan")
    return max(classifier_auc(*a, *b, seed).values())


def attribution(
    held: Mapping[str, Sequence[Material]], songs: Mapping[str, Sequence[Material]], seed: int
) -> dict[str, dict[str, float]]:
    """Per style, the mean probability the corpora's classifier gives each corpus.

    The forest of the two-sample test (classes weighted equally, whatever their size) learns
    the corpus of every held-out window; each style's windows then get its probabilities.
    """
    names = list(held)
    tables = [feature_table(held[n])[0] for n in names]
    x = np.vstack(tables)
    y = np.concatenate([np.full(len(t), i) for i, t in enumerate(tables)])
    forest = classifiers(seed)["forest"].fit(x, y)
    shares: dict[str, dict[str, float]] = {}
    for row, materials in songs.items():
        rows = feature_table(materials)[0]
        probs = (
            forest.predict_proba(rows).mean(axis=0) if len(rows) else np.full(len(names), np.nan)
        )
        order = list(forest.classes_)
        shares[row] = {n: float(probs[order.index(i)]) for i, n in enumerate(names)}
    return shares


Table = tuple[np.ndarray, np.ndarray]  # window features and the piece or song of each


def matched_parts(
    held: Mapping[str, Sequence[Material]], seed: int, draws: int = MATCHED_DRAWS
) -> dict[str, list[Table]]:
    """Each corpus' held-out pieces as parts of one size: the smallest part's piece count.

    The smallest part is used whole; every larger one as `draws` random draws of that many
    pieces, the same for every row.
    """
    size = min(len(m) for m in held.values())
    rng = np.random.default_rng(seed)
    parts: dict[str, list[Table]] = {}
    for name, materials in held.items():
        picks = (
            [range(size)]
            if len(materials) == size
            else [sorted(rng.choice(len(materials), size, replace=False)) for _ in range(draws)]
        )
        parts[name] = [feature_table(materials[int(i)] for i in pick) for pick in picks]
    return parts


def matched_auc(table: Table, parts: Sequence[Table], seed: int) -> float:
    """The better classifier's AUC against each draw of a held-out part, averaged.

    A draw whose windows come from fewer than two pieces is left out; NaN if all are.
    """
    values = []
    for part in parts:
        try:
            values.append(max(classifier_auc(*table, *part, seed).values()))
        except EvaluationError:
            continue
    return float(np.mean(values)) if values else float("nan")


def _auc(a: Table, b: Table, seed: int) -> float:
    if len(a[0]) == 0 or len(b[0]) == 0:
        return float("nan")
    return max(classifier_auc(*a, *b, seed).values())


def reference_rows(
    train: Mapping[str, Sequence[Material]],
    held: Mapping[str, Sequence[Material]],
    matched: Mapping[str, Sequence[Table]],
    seed: int,
) -> dict[str, dict[str, dict[str, float]]]:
    """Every view's figures with each corpus' training pieces in place of its style's songs.

    A column whose held-out part is the smallest one is its own single matched draw: its
    size-matched AUC is its AUC, measured once.
    """
    tables = {name: feature_table(held[name]) for name in held}
    smallest = min(len(m) for m in held.values())
    views: dict[str, dict[str, dict[str, float]]] = {"attribution": attribution(held, train, seed)}
    for row, materials in train.items():
        own = feature_table(materials)
        cells = {}
        for col in held:
            auc = _auc(own, tables[col], seed)
            cells[col] = {
                "auc": auc,
                "matched_auc": auc
                if len(held[col]) == smallest
                else matched_auc(own, matched[col], seed),
                "melody_auc": melody_auc(materials, held[col], seed),
                "overlap": float(np.nanmean(feature_overlaps(own[0], tables[col][0]))),
            }
        for view in ("auc", "matched_auc", "melody_auc", "overlap"):
            views.setdefault(view, {})[row] = {col: cells[col][view] for col in held}
    return views


def folder_name(corpus: str) -> str:
    """The style folder's name for a corpus: its name, or a folder's name and path hash."""
    path = Path(corpus)
    if path.name == corpus:
        return corpus
    digest = hashlib.sha256(str(path.expanduser().resolve()).encode()).hexdigest()[:8]
    return f"{path.name}-{digest}"


def style_for(
    corpus: Corpus, folder: Path, config: TrainConfig, held_out: float, report: Report
) -> Path:
    """A style of `corpus` in `folder`, reused or trained (as `train style` would).

    Reused when it was trained on this very corpus and split, trained otherwise. A folder
    holding another style is never overwritten.

    Raises:
        StyleError: the folder holds a style of another corpus or split.
    """
    if (folder / STYLE_FILE).is_file():
        style = read_style(folder)
        if style.corpus_hash == corpus.content_hash and style.training.get("held_out") == held_out:
            report(f"{corpus.name}: reusing the style in {folder}")
            return folder
        raise StyleError(
            f"{folder} holds a style of another corpus or split; remove it or choose another "
            "--styles-dir"
        )
    started = time.perf_counter()
    train_style(corpus, folder, config, MATRIX_PARTS, "evaluate --matrix", report, held_out)
    report(f"{corpus.name}: trained in {time.perf_counter() - started:.0f} s")
    return folder


def cross_corpus(
    names: Sequence[str],
    root: Path,
    songs: int = 8,
    bars: int = 32,
    seed: int = 1,
    held_out: float = MATRIX_HELD_OUT,
    config: TrainConfig = STYLE_CONFIG,
    report: Report = print,
) -> MatrixReport:
    """Trains (or reuses) a style per corpus in root/NAME and fills the AUC table.

    Raises:
        CorpusError, StyleError, EvaluationError: a corpus is missing, a folder holds another
            style, or a held-out part is too small to compare.
    """
    from lofi.data.split import split_pieces

    corpora = {name: load_corpus(name) for name in names}
    parts = {name: split_pieces(c, held_out) for name, c in corpora.items()}
    held = {name: [from_piece(p) for p in parts[name][1]] for name in names}
    matched = matched_parts(held, seed)
    auc: dict[str, dict[str, float]] = {}
    same_size: dict[str, dict[str, float]] = {}
    melody: dict[str, dict[str, float]] = {}
    overlap: dict[str, dict[str, float]] = {}
    human: dict[str, float] = {}
    pieces: dict[str, dict[str, int]] = {}
    styles: dict[str, str] = {}
    generated: dict[str, list[Material]] = {}
    for row, corpus in corpora.items():
        folder = style_for(corpus, root / folder_name(row), config, held_out, report)
        styles[row] = str(folder)
        made = generate_songs(load_song_models(folder), songs, seed, bars)
        materials = generated[row] = [from_song(s, f"song-{i}") for i, s in enumerate(made)]
        songs_table = feature_table(materials)
        auc[row], melody[row], overlap[row], same_size[row] = {}, {}, {}, {}
        for col, target in corpora.items():
            result = evaluate_songs(
                target, made, seed, held_out, windows=(WINDOW_BARS,), draws=1, boots=0
            )
            auc[row][col] = max(result.auc[GENERATED].values())
            same_size[row][col] = matched_auc(songs_table, matched[col], seed)
            overlap[row][col] = result.mean_overlap[GENERATED]
            melody[row][col] = melody_auc(materials, held[col], seed)
            human[col] = max(result.auc[HUMAN].values())
            pieces[col] = dict(result.pieces)
            report(
                f"  {row} → {col}: AUC {auc[row][col]:.3f} (size-matched "
                f"{same_size[row][col]:.3f}), melody line {melody[row][col]:.3f}, overlap "
                f"{overlap[row][col]:.3f}"
            )
    heard = attribution(held, generated, seed)
    for row in names:
        report(f"  {row} heard as: " + ", ".join(f"{c} {v:.2f}" for c, v in heard[row].items()))
    report("the corpora's own training pieces, measured the same way")
    train = {name: [from_piece(p) for p in parts[name][0]] for name in names}
    reference = reference_rows(train, held, matched, seed)
    return MatrixReport(
        corpora=tuple(names),
        auc=auc,
        human=human,
        melody_auc=melody,
        overlap=overlap,
        attribution=heard,
        pieces=pieces,
        styles=styles,
        matched_auc=same_size,
        reference=reference,
        settings={
            "songs": songs,
            "bars": bars,
            "seed": seed,
            "held_out": held_out,
            "matched_pieces": min(len(m) for m in held.values()),
            "matched_draws": MATCHED_DRAWS,
            "parts": list(MATRIX_PARTS),
            "epochs": config.epochs,
            "max_steps": config.max_steps,
            "size": config.size.to_json(),
        },
    )
