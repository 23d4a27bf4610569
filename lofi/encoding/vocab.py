"""Token vocabularies of the part models, saved as versioned JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lofi.core.constants import (
    CHORD_DURATION_BINS,
    DRUM_STEPS_PER_BAR,
    DRUM_TIMING_BINS,
    DURATION_BINS,
    FORMAT_VERSION,
    MELODY_PITCH_MAX,
    MELODY_PITCH_MIN,
    POSITIONS_PER_BAR,
    VELOCITY_CENTRES,
)
from lofi.core.errors import VocabularyError
from lofi.encoding.chords import CONTEXT_NAMES, SYMBOL_NAMES

BOS = "<s>"
REST = "rest"
MODE_TOKENS = ("<major>", "<minor>")


@dataclass(frozen=True)
class Vocabulary:
    """Token names per model input; `outputs` names the inputs the model also predicts."""

    kind: str  # "melody" or "chords"
    inputs: dict[str, tuple[str, ...]]
    outputs: tuple[str, ...]

    def size(self, field: str) -> int:
        """How many tokens the input `field` has."""
        return len(self.inputs[field])

    def index(self, field: str, token: str) -> int:
        """The token's index in the input `field`; ValueError when it is not there."""
        return self.inputs[field].index(token)

    def to_json(self) -> dict[str, object]:
        """The vocab.json content, with the format version."""
        return {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "inputs": {k: list(v) for k, v in self.inputs.items()},
            "outputs": list(self.outputs),
        }

    def save(self, path: Path) -> None:
        """Writes the vocabulary as JSON to `path`, as `load` reads it back."""
        path.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path, kind: str | None = None) -> Vocabulary:
        """Reads vocab.json; VocabularyError if unreadable, of another version or kind."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError, RecursionError) as exc:
            raise VocabularyError(f"cannot read vocabulary {path}: {exc}") from exc
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            raise VocabularyError(
                f"{path} has vocabulary format {version}, this version of LoFi Studio reads "
                f"format {FORMAT_VERSION}; retrain the model with `python -m lofi train`"
            )
        try:
            vocab = cls(
                kind=str(data["kind"]),
                inputs={str(k): tuple(v) for k, v in data["inputs"].items()},
                outputs=tuple(data["outputs"]),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise VocabularyError(
                f"{Path(path).name} is damaged or hand-edited ({exc!r}); retrain the model"
            ) from exc
        if kind is not None and vocab.kind != kind:
            raise VocabularyError(f"{path} is a {vocab.kind} vocabulary, expected {kind}")
        try:
            expected = vocabulary(vocab.kind)
        except VocabularyError as exc:
            raise VocabularyError(f"{path}: {exc}") from exc
        if vocab != expected:
            raise VocabularyError(
                f"{path} does not match this version's {vocab.kind} vocabulary "
                f"(sizes {[len(v) for v in vocab.inputs.values()]} vs "
                f"{[len(v) for v in expected.inputs.values()]}); retrain the model"
            )
        return vocab


def _fmt(x: float) -> str:
    return f"{x:g}"


def melody_vocabulary() -> Vocabulary:
    """Pitches (with rest), duration and velocity bins, the chords and 16 bar positions."""
    pitches = (BOS, REST, *(str(p) for p in range(MELODY_PITCH_MIN, MELODY_PITCH_MAX + 1)))
    return Vocabulary(
        kind="melody",
        inputs={
            "pitch": pitches,
            "duration": (BOS, *(_fmt(d) for d in DURATION_BINS)),
            "velocity": (BOS, *(str(v) for v in VELOCITY_CENTRES)),
            "chord": CONTEXT_NAMES,
            "position": tuple(str(i) for i in range(POSITIONS_PER_BAR)),
        },
        outputs=("pitch", "duration", "velocity"),
    )


def chord_vocabulary() -> Vocabulary:
    """Chords (with the two mode tokens), chord duration bins and 4 beat positions."""
    return Vocabulary(
        kind="chords",
        inputs={
            "chord": (*MODE_TOKENS, *SYMBOL_NAMES),
            "duration": (BOS, *(_fmt(d) for d in CHORD_DURATION_BINS)),
            "position": tuple(str(i) for i in range(4)),
        },
        outputs=("chord", "duration"),
    )


def drum_vocabulary() -> Vocabulary:
    """Kit masks over 6 pieces (64), velocity bins or none, timing bins, sixteenth step."""
    return Vocabulary(
        kind="drums",
        inputs={
            "hits": (BOS, *(str(m) for m in range(64))),
            "velocity": (BOS, "-", *(str(v) for v in VELOCITY_CENTRES)),
            "timing": (BOS, *(_fmt(t) for t in DRUM_TIMING_BINS)),
            "position": tuple(str(i) for i in range(DRUM_STEPS_PER_BAR)),
        },
        outputs=("hits", "velocity", "timing"),
    )


MODEL_KINDS: tuple[str, ...] = ("melody", "chords")  # kinds encoded from a Piece alone
PART_KINDS: tuple[str, ...] = ("melody", "chords", "drums")  # every part a style can learn


def vocabulary(kind: str) -> Vocabulary:
    """The current vocabulary of a part kind; VocabularyError for an unknown kind."""
    if kind == "melody":
        return melody_vocabulary()
    if kind == "chords":
        return chord_vocabulary()
    if kind == "drums":
        return drum_vocabulary()
    raise VocabularyError(f"unknown model kind {kind!r}; use {', '.join(PART_KINDS)}")
