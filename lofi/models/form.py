"""The form model: section lengths and where material repeats or varies, learned per corpus.

Each piece is cut into 4-bar blocks. A block is compared with every earlier block by its
harmony (cosine of the per-beat pitch-class weights) and its top line (shared onset+pitch
pairs): the same harmony makes the same letter, and the top line marks how it returns —
``=`` repeated, ``~`` varied, ``+`` a new tune over the same chords; a block like no earlier
one opens a new letter. Unique blocks before the first and after the last returning letter
are the intro and outro. The blocks between are read as phrases of four blocks (a form
string such as ``A A= B A=``); the model is a smoothed categorical distribution over the
opening phrase, another over later phrases, and one over intro and outro lengths, stored
as form.json beside the style's part models with the corpus hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from lofi.core.errors import CheckpointError
from lofi.core.types import Piece

FORM_FILE = "form.json"
FORM_FORMAT_VERSION = 1
BLOCK_BEATS = 16  # 4 bars of 4/4
PHRASE_BLOCKS = 4
EDGE_BARS = (0, 4, 8)  # intro and outro lengths the model knows
SAME_HARMONY = 0.9  # mean per-beat cosine at which two blocks share a letter
REPEATED, VARIED = 0.75, 0.35  # top-line overlap for "=" and "~"; below: "+"
SMOOTHING = 1.0  # pseudo-phrases spread evenly over every possible phrase
MIN_PHRASES = 4  # fewer opening phrases than this: the corpus is too short to learn a form
FALLBACK_FORM = "rules:form"  # the fixed plan of lofi.compose.form.rules_form
MARKS = ("", "=", "~", "+")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TOKEN = re.compile(r"[A-Z][=~+]?")


def _block_features(piece: Piece) -> tuple[np.ndarray, list[set[tuple[int, int]]]]:
    blocks = int(piece.length_beats // BLOCK_BEATS)
    harmony = np.zeros((blocks * BLOCK_BEATS, 12))
    for span in piece.beats:
        beat = int(span.onset)
        if 0 <= beat < len(harmony):
            harmony[beat] = span.weights
    tunes: list[set[tuple[int, int]]] = [set() for _ in range(blocks)]
    for note in piece.melody:
        b = int(note.onset // BLOCK_BEATS)
        if b < blocks:
            tunes[b].add((round((note.onset - b * BLOCK_BEATS) * 4), note.pitch))
    return harmony.reshape(blocks, BLOCK_BEATS, 12), tunes


def _harmony_similarity(harmony: np.ndarray) -> np.ndarray:
    """Blocks × blocks: the mean over beats of the cosine of the pitch-class weights.

    Two silent beats agree; a silent and a sounding one do not.
    """
    norms = np.linalg.norm(harmony, axis=2)
    unit = harmony / np.maximum(norms, 1e-12)[..., None]
    cos = np.einsum("ibk,jbk->ijb", unit, unit)
    silent = norms == 0
    cos = np.where(silent[:, None, :] & silent[None, :, :], 1.0, cos)
    return np.asarray(cos.mean(axis=2))


def _tune_similarity(a: set[tuple[int, int]], b: set[tuple[int, int]]) -> float:
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def block_labels(piece: Piece) -> list[tuple[int, str]]:
    """One (letter number, mark) per whole 4-bar block.

    The letter names the block's harmony, the mark how it returns (see the module).
    """
    harmony, tunes = _block_features(piece)
    same = _harmony_similarity(harmony) >= SAME_HARMONY
    labels: list[tuple[int, str]] = []
    for i in range(len(tunes)):
        best: tuple[float, int] | None = None
        for j in range(i):
            if same[i, j]:
                tune = _tune_similarity(tunes[i], tunes[j])
                if best is None or tune > best[0]:
                    best = (tune, j)
        if best is None:
            labels.append((max((n for n, _ in labels), default=-1) + 1, ""))
        else:
            mark = "=" if best[0] >= REPEATED else "~" if best[0] >= VARIED else "+"
            labels.append((labels[best[1]][0], mark))
    return labels


def _edges(tokens: Sequence[tuple[int, str]]) -> tuple[int, int]:
    """Blocks of intro and outro: unique letters before the first / after the last return."""
    counts = Counter(t[0] for t in tokens)
    if not any(c > 1 for c in counts.values()):
        return 0, 0
    limit = len(EDGE_BARS) - 1
    intro = 0
    while intro < min(limit, len(tokens)) and counts[tokens[intro][0]] == 1:
        intro += 1
    outro = 0
    while outro < min(limit, len(tokens) - intro) and counts[tokens[-1 - outro][0]] == 1:
        outro += 1
    return intro, outro


def canonical(tokens: Sequence[tuple[int, str]]) -> str:
    """A phrase's form string, letters renamed in order of first appearance: `A A= B A=`."""
    names: dict[int, str] = {}
    out = []
    for number, mark in tokens:
        out.append(names.setdefault(number, LETTERS[len(names)]) + mark)
    return " ".join(out)


def piece_phrases(piece: Piece) -> tuple[int, int, list[str]]:
    """Intro bars, outro bars and the form strings of the piece's whole phrases."""
    tokens = block_labels(piece)
    intro, outro = _edges(tokens)
    main = tokens[intro : len(tokens) - outro]
    phrases = [
        canonical(main[i : i + PHRASE_BLOCKS])
        for i in range(0, len(main) - PHRASE_BLOCKS + 1, PHRASE_BLOCKS)
    ]
    return intro * 4, outro * 4, phrases


@lru_cache(maxsize=1)
def phrase_space() -> tuple[str, ...]:
    """Every form string of one opening phrase: the smoothing's support."""
    plans: list[list[str]] = [["A"]]
    for _ in range(PHRASE_BLOCKS - 1):
        grown = []
        for plan in plans:
            used = sorted({t[0] for t in plan})
            grown.append([*plan, LETTERS[len(used)]])
            grown += [[*plan, u + m] for u in used for m in MARKS[1:]]
        plans = grown
    return tuple(" ".join(p) for p in plans)


@dataclass(frozen=True)
class FormModel:
    """Counts of what the corpus does; `sample_*` draw from their smoothed distributions."""

    corpus: str
    corpus_hash: str
    pieces: int
    opening: dict[str, int]
    later: dict[str, int]
    intro_bars: dict[int, int]
    outro_bars: dict[int, int]
    smoothing: float = SMOOTHING

    def phrase_probabilities(self, opening: bool) -> dict[str, float]:
        """Each phrase's smoothed probability (opening phrases, or later ones)."""
        counts = self.opening if opening else self.later
        space = phrase_space()
        total = sum(counts.values()) + self.smoothing
        probs = {plan: self.smoothing / len(space) / total for plan in space}
        for plan, n in counts.items():
            probs[plan] = probs.get(plan, 0.0) + n / total
        return probs

    def sample_phrase(self, rng: np.random.Generator, opening: bool) -> list[str]:
        """One phrase's tokens, e.g. ["A", "A=", "B", "A="]."""
        probs = self.phrase_probabilities(opening)
        plans = sorted(probs)
        p = np.array([probs[k] for k in plans])
        return plans[int(rng.choice(len(plans), p=p / p.sum()))].split(" ")

    def sample_edge(self, rng: np.random.Generator, which: str) -> int:
        """Bars of the intro (`which` "intro") or the outro."""
        counts = self.intro_bars if which == "intro" else self.outro_bars
        total = sum(counts.values()) + self.smoothing
        p = np.array(
            [(counts.get(b, 0) + self.smoothing / len(EDGE_BARS)) / total for b in EDGE_BARS]
        )
        return EDGE_BARS[int(rng.choice(len(EDGE_BARS), p=p / p.sum()))]

    def to_json(self) -> dict[str, Any]:
        """What form.json holds."""
        return {
            "format_version": FORM_FORMAT_VERSION,
            "corpus": self.corpus,
            "corpus_hash": self.corpus_hash,
            "pieces": self.pieces,
            "block_beats": BLOCK_BEATS,
            "phrase_blocks": PHRASE_BLOCKS,
            "smoothing": self.smoothing,
            "opening": dict(sorted(self.opening.items())),
            "later": dict(sorted(self.later.items())),
            "intro_bars": {str(k): v for k, v in sorted(self.intro_bars.items())},
            "outro_bars": {str(k): v for k, v in sorted(self.outro_bars.items())},
        }


def fit_form(pieces: Iterable[Piece], corpus: str = "", corpus_hash: str = "") -> FormModel:
    """Counts every piece's intro, outro and phrases (see the module)."""
    opening: Counter[str] = Counter()
    later: Counter[str] = Counter()
    intro: Counter[int] = Counter()
    outro: Counter[int] = Counter()
    used = 0
    for piece in pieces:
        head, tail, phrases = piece_phrases(piece)
        if not phrases:
            continue
        used += 1
        intro[head] += 1
        outro[tail] += 1
        opening[phrases[0]] += 1
        later.update(phrases[1:])
    return FormModel(
        corpus, corpus_hash, used, dict(opening), dict(later), dict(intro), dict(outro)
    )


def too_short(model: FormModel) -> str | None:
    """Why the corpus cannot teach a form, or None when it can."""
    phrases = sum(model.opening.values())
    if phrases < MIN_PHRASES:
        return (
            f"{phrases} of its pieces hold a whole {PHRASE_BLOCKS * BLOCK_BEATS // 4}-bar phrase "
            f"after their intro (at least {MIN_PHRASES} needed)"
        )
    return None


def write_form(model: FormModel, path: Path) -> None:
    """Writes form.json atomically."""
    from lofi.models.checkpoint import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(model.to_json(), indent=1) + "\n").encode())


def read_form(path: Path) -> FormModel:
    """Reads form.json.

    Raises:
        CheckpointError: if the file is missing, of another format or broken.
    """
    try:
        data = json.loads(Path(path).read_text())
        if data.get("format_version") != FORM_FORMAT_VERSION:
            raise CheckpointError(
                f"{path} is form format {data.get('format_version')}; this version reads "
                f"{FORM_FORMAT_VERSION}: train the style again"
            )
        later = {str(k): int(v) for k, v in data["later"].items()}
        opening = {str(k): int(v) for k, v in data["opening"].items()}
        if not all(_is_phrase(k) for k in (*opening, *later)):
            raise CheckpointError(f"{path} holds a phrase that is not a form string")
        return FormModel(
            corpus=str(data["corpus"]),
            corpus_hash=str(data["corpus_hash"]),
            pieces=int(data["pieces"]),
            opening=opening,
            later=later,
            intro_bars={int(k): int(v) for k, v in data["intro_bars"].items()},
            outro_bars={int(k): int(v) for k, v in data["outro_bars"].items()},
            smoothing=float(data["smoothing"]),
        )
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"cannot read the form model {path}: {exc!r}") from exc


def _is_phrase(text: str) -> bool:
    tokens = text.split(" ")
    return len(tokens) == PHRASE_BLOCKS and all(_TOKEN.fullmatch(t) for t in tokens)


def form_sha256(path: Path) -> str:
    """The form file's hash, its identity in a recipe."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
