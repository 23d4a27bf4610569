"""Fits a style's loop critic (lofi.models.critic) from its piano and its training pieces.

The style's piano draws `loops` 4-bar loops as a song draws them (a fresh stream each, in
major and minor alike); per window length a random forest (scikit-learn) learns to tell
their windows from those of the corpus' training pieces. A song's piano then plays, of
several loops it draws, the one the critic takes most for a piece: the loops the model
draws that sound like the pack, not a rule about what the pack sounds like.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from lofi.compose.form import LOOP_BARS
from lofi.compose.pianist import IntervalPianoSampler, piano_sampler
from lofi.core.constants import BEATS_PER_BAR
from lofi.core.errors import ConfigError
from lofi.core.types import Note, Piece, SamplingConfig
from lofi.data.corpus import Corpus
from lofi.data.split import training_part
from lofi.data.window_features import min_notes, note_windows, unisons_merged, windows_of
from lofi.encoding.tokens import key_shift
from lofi.learn.presets import CRITIC_LOOPS
from lofi.models.critic import (
    CRITIC_FEATURES,
    CRITIC_FILE,
    WINDOWS,
    Forest,
    LoopCritic,
    write_critic,
)
from lofi.models.loading import load_part
from lofi.models.sampler import StepModel
from lofi.models.style import read_style

TREES = 100
MIN_LEAF = 3  # as the evaluation's forest


def draw_loops(piano: StepModel, count: int, seed: int) -> list[list[Note]]:
    """`count` loops of the piano (normalised key, from beat 0), half in each mode.

    Each plays a texture at the pack's odds, as the pieces it is set against have them.
    """
    rng = np.random.default_rng(seed)
    loops = []
    sampling = SamplingConfig(held_chords=False)
    for i in range(count):
        sampler = piano_sampler(piano, ("major", "minor")[i % 2], rng, sampling)
        if not isinstance(sampler, IntervalPianoSampler):
            raise ConfigError("a loop critic needs the voice-led piano (stream version 2 or later)")
        loops.append(sampler.decode(sampler.bars(LOOP_BARS)))
    return loops


def piece_windows(pieces: tuple[Piece, ...], bars: int) -> np.ndarray:
    """The critic's feature rows (CRITIC_FEATURES) of every piece's windows."""
    blocks = [
        note_windows(unisons_merged(p.notes), p.length_beats, key_shift(p.key), bars, True)
        for p in pieces
    ]
    return np.vstack([np.zeros((0, len(CRITIC_FEATURES))), *blocks])


def repeated_halves(pieces: tuple[Piece, ...]) -> float:
    """The share of the pieces' loops whose bars 3–4 repeat bars 1–2 note for note.

    A piece's loop is its first 4 bars (the pieces with fewer are left out). A pack of loops
    holds many a 2-bar idea played twice; a song's new loop does it as often.
    """
    half = LOOP_BARS // 2 * BEATS_PER_BAR
    repeats = loops = 0
    for piece in pieces:
        windows = windows_of(unisons_merged(piece.notes), piece.length_beats, LOOP_BARS)
        if not windows or len(windows[0]) < min_notes(LOOP_BARS):
            continue
        first = sorted(_relative(n, 0.0) for n in windows[0] if n.onset < half)
        second = sorted(_relative(n, half) for n in windows[0] if n.onset >= half)
        repeats += first == second
        loops += 1
    return repeats / loops if loops else 0.0


def _relative(note: Note, start: float) -> tuple[int, float, float]:
    return (note.pitch, round(note.onset - start, 3), round(note.duration, 3))


def fit_critic(
    pieces: tuple[Piece, ...],
    piano: StepModel,
    seed: int = 0,
    loops: int = CRITIC_LOOPS,
    trees: int = TREES,
) -> LoopCritic:
    """A critic of the piano's loops against the windows of `pieces`.

    Raises:
        ConfigError: if the pieces have no window of some length to learn from.
    """
    drawn = draw_loops(piano, loops, seed)
    forests = {}
    for bars in WINDOWS:
        human = piece_windows(pieces, bars)
        if len(human) < 2:
            raise ConfigError(f"the pieces have {len(human)} full {bars}-bar windows; need 2")
        beats = LOOP_BARS * BEATS_PER_BAR
        model = np.vstack([note_windows(n, beats, 0, bars, True) for n in drawn])
        x = np.vstack([model, human])
        y = np.r_[np.zeros(len(model)), np.ones(len(human))]
        forest = RandomForestClassifier(
            n_estimators=trees,
            min_samples_leaf=MIN_LEAF,
            class_weight="balanced",
            random_state=seed,
            n_jobs=1,
        ).fit(x, y)
        forests[bars] = flattened(forest)
    about = {
        "windows": list(WINDOWS),
        "features": list(CRITIC_FEATURES),
        "loops": loops,
        "pieces": len(pieces),
        "trees": trees,
        "seed": seed,
        "repeated_halves": round(repeated_halves(pieces), 4),
    }
    return LoopCritic(forests, about)


def flattened(forest: RandomForestClassifier) -> Forest:
    """The fitted forest's trees as one set of node arrays (lofi.models.critic.Forest)."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("f", "t", "l", "r", "s")}
    roots, offset = [], 0
    for estimator in forest.estimators_:
        tree = estimator.tree_
        leaf = tree.children_left < 0
        counts = tree.value[:, 0, :]
        parts["f"].append(np.where(leaf, -1, tree.feature))
        parts["t"].append(tree.threshold)
        parts["l"].append(np.where(leaf, -1, tree.children_left + offset))
        parts["r"].append(np.where(leaf, -1, tree.children_right + offset))
        parts["s"].append(counts[:, 1] / counts.sum(axis=1))
        roots.append(offset)
        offset += tree.node_count
    return Forest(
        np.concatenate(parts["f"]).astype(np.int32),
        np.concatenate(parts["t"]).astype(np.float64),
        np.concatenate(parts["l"]).astype(np.int32),
        np.concatenate(parts["r"]).astype(np.int32),
        np.concatenate(parts["s"]).astype(np.float64),
        np.array(roots, dtype=np.int32),
    )


def train_critic(
    style: Path, corpus: Corpus, held_out: float, loops: int = CRITIC_LOOPS, command: str = ""
) -> Path:
    """Fits the critic of the style in `style` on `corpus`' training part: STYLE/critic.npz.

    Raises:
        ConfigError: if the style has no learned piano, or the pieces no window to learn.
    """
    loaded = read_style(style)
    if "piano" not in loaded.parts:
        raise ConfigError(f"the style in {style} learned no piano: a loop critic judges its loops")
    piano = load_part(loaded.models["piano"], "piano").model
    pieces = training_part(corpus, held_out).pieces
    critic = fit_critic(pieces, piano, loops=loops)
    about = {
        **critic.about,
        "corpus": corpus.name,
        "corpus_sha256": corpus.content_hash,
        "held_out": held_out,
        "command": command,
    }
    path = Path(style) / CRITIC_FILE
    partial = path.with_suffix(".partial")
    write_critic(partial, LoopCritic(critic.forests, about))
    partial.replace(path)
    return path
