"""Token vocabularies of the part models, saved as versioned JSON."""

from __future__ import annotations

import functools
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from lofi.core.constants import (
    BASS_PITCH_MAX,
    BASS_PITCH_MIN,
    CHORD_DURATION_BINS,
    COMP_MAX_NOTES,
    COMP_MAX_SPAN,
    COMP_OCTAVES,
    COMP_STEPS_PER_BAR,
    DRUM_STEPS_PER_BAR,
    DRUM_TIMING_BINS,
    DURATION_BINS,
    FORMAT_VERSION,
    LEGACY_MELODY_PITCH_MAX,
    MELODY_PITCH_MAX,
    MELODY_PITCH_MIN,
    POSITIONS_PER_BAR,
    VELOCITY_CENTRES,
)
from lofi.core.errors import VocabularyError
from lofi.core.parts import part_names
from lofi.encoding.chord_context import FAMILIES, ROOTS
from lofi.encoding.chords import CONTEXT_NAMES, SYMBOL_NAMES
from lofi.encoding.dynamics import ABSOLUTE_TOKENS, RELATIVE_TOKENS, is_relative

BOS = "<s>"
REST = "rest"
NONE = "-"  # a step where nothing is struck
MODE_TOKENS = ("<major>", "<minor>")
# The part's onsets per bar in its piece, binned (lofi.encoding.density): an input of the
# melody, bass and comping models. Their vocabularies from before it (without the input)
# still load, and their models play as they did.
DENSITY = "density"
DENSITY_EDGES = (1.0, 2.0, 3.0, 4.5, 6.0, 8.0, 11.0)
DENSITY_TOKENS = tuple(f"d{i}" for i in range(len(DENSITY_EDGES) + 1))
# The tune's pitch sounding at a comping step, in semitones above the step chord's root in
# MIDI octave -1 (lofi.encoding.comping.ceiling_inputs): an input of the comping model, so
# it voices under the melody instead of across it. Earlier comping vocabularies still load.
CEILING = "ceiling"
# A tune above C6 is clipped to it: the comping only needs to know it is high.
CEILING_TOKENS = (
    NONE,
    *(str(i) for i in range(MELODY_PITCH_MIN - 12, LEGACY_MELODY_PITCH_MAX + 1)),
)
# The comping's onsets in the step's own bar, binned as DENSITY: an input of the comping
# model, which a song takes bar by bar from its timing feel's piece (lofi.encoding.density).
BAR_DENSITY = "bar_density"
LATER_INPUTS = (BAR_DENSITY, CEILING, DENSITY)  # inputs added since format 1, newest first


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
        if vocab.kind in part_names() and vocab.kind not in SHIPPED_KINDS:
            return vocab  # a part of its own representation: no earlier forms to hold it to
        try:
            expected = vocabulary(vocab.kind, vocab.inputs.get("voicing"))
        except VocabularyError as exc:
            raise VocabularyError(f"{path}: {exc}") from exc
        if vocab not in earlier_forms(expected) + older_streams(vocab.kind):
            raise VocabularyError(
                f"{path} does not match this version's {vocab.kind} vocabulary "
                f"(sizes {[len(v) for v in vocab.inputs.values()]} vs "
                f"{[len(v) for v in expected.inputs.values()]}); retrain the model"
            )
        return vocab


def without(vocab: Vocabulary, *names: str) -> Vocabulary:
    """The vocabulary without the inputs `names` (as it was before they were added)."""
    inputs = {k: v for k, v in vocab.inputs.items() if k not in names}
    return Vocabulary(vocab.kind, inputs, vocab.outputs)


def absolute(vocab: Vocabulary) -> Vocabulary:
    """The vocabulary as models from before relative loudness hold it.

    Absolute velocity bins (lofi.encoding.dynamics) and, for the melody, pitches up to C6.
    """
    if "velocity" not in vocab.inputs or not is_relative(vocab.inputs["velocity"]):
        return vocab
    inputs = dict(vocab.inputs)
    kept = tuple(t for t in inputs["velocity"] if t not in RELATIVE_TOKENS)
    inputs["velocity"] = (*kept, *ABSOLUTE_TOKENS)
    if vocab.kind == "melody":
        pitches = range(MELODY_PITCH_MIN, LEGACY_MELODY_PITCH_MAX + 1)
        inputs["pitch"] = (*inputs["pitch"][:2], *(str(p) for p in pitches))
    return Vocabulary(vocab.kind, inputs, vocab.outputs)


def earlier_forms(vocab: Vocabulary) -> list[Vocabulary]:
    """The vocabulary and each form older checkpoints hold.

    Newest later inputs dropped first, with relative or absolute loudness.
    """
    return [
        without(form, *LATER_INPUTS[:i])
        for form in (vocab, absolute(vocab))
        for i in range(len(LATER_INPUTS) + 1)
    ]


def older_streams(kind: str) -> list[Vocabulary]:
    """Earlier versions of a kind's whole token stream that its sampler still plays."""
    if kind != "piano":
        return []
    from lofi.encoding.piano import piano_vocabulary  # piano.py builds on this module
    from lofi.encoding.piano_intervals import interval_vocabulary

    return [interval_vocabulary(textures=False), piano_vocabulary()]


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
            "velocity": (BOS, *RELATIVE_TOKENS),
            "chord": CONTEXT_NAMES,
            "position": tuple(str(i) for i in range(POSITIONS_PER_BAR)),
            DENSITY: DENSITY_TOKENS,
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


def bass_vocabulary() -> Vocabulary:
    """The melody's token schema over the bass register, conditioned on chord root and family."""
    melody = melody_vocabulary()
    return Vocabulary(
        kind="bass",
        inputs={
            "pitch": (BOS, REST, *(str(p) for p in range(BASS_PITCH_MIN, BASS_PITCH_MAX + 1))),
            "duration": melody.inputs["duration"],
            "velocity": melody.inputs["velocity"],
            "root": ROOTS,
            "quality": FAMILIES,
            "position": melody.inputs["position"],
            DENSITY: DENSITY_TOKENS,
        },
        outputs=melody.outputs,
    )


@functools.lru_cache(maxsize=4096)
def check_voicing(token: str) -> tuple[int, ...]:
    """The semitones of a voicing token ("4.7.11.14"): rising, lowest in the first octave.

    Raises:
        VocabularyError: if the token is not a voicing this version can play.
    """
    try:
        intervals = tuple(int(x) for x in token.split("."))
    except ValueError:
        raise VocabularyError(f"{token!r} is not a voicing (semitones joined by dots)") from None
    rising = all(a < b for a, b in itertools.pairwise(intervals))
    if (
        not intervals
        or len(intervals) > COMP_MAX_NOTES
        or not rising
        or not 0 <= intervals[0] < 12
        or intervals[-1] > COMP_MAX_SPAN
    ):
        raise VocabularyError(f"{token!r} is not a voicing this version can play")
    return intervals


def comping_vocabulary(voicings: tuple[str, ...] | list[str]) -> Vocabulary:
    """The accompaniment's per-sixteenth tokens over the given learned voicings.

    A step is a voicing from the corpus' shapes (or none), its octave, length and loudness,
    conditioned on the chord's root and family.
    """
    for token in voicings:
        check_voicing(token)
    if len(set(voicings)) != len(voicings) or not voicings:
        raise VocabularyError("a comping vocabulary needs distinct voicings, at least one")
    melody = melody_vocabulary()
    return Vocabulary(
        kind="comping",
        inputs={
            "voicing": (BOS, NONE, *voicings),
            "octave": (BOS, NONE, *(str(o) for o in COMP_OCTAVES)),
            "duration": (BOS, NONE, *melody.inputs["duration"][1:]),
            "velocity": (BOS, NONE, *melody.inputs["velocity"][1:]),
            "root": ROOTS,
            "quality": FAMILIES,
            "position": tuple(str(i) for i in range(COMP_STEPS_PER_BAR)),
            DENSITY: DENSITY_TOKENS,
            CEILING: CEILING_TOKENS,
            BAR_DENSITY: DENSITY_TOKENS,
        },
        outputs=("voicing", "octave", "duration", "velocity"),
    )


MODEL_KINDS: tuple[str, ...] = ("melody", "chords")  # kinds encoded from a Piece alone


# The kinds whose vocabularies this module makes (and Vocabulary.load holds to their forms).
SHIPPED_KINDS = ("melody", "chords", "drums", "bass", "piano", "comping")


def vocabulary(kind: str, voicings: tuple[str, ...] | None = None) -> Vocabulary:
    """The vocabulary of a model kind; comping's voicings are learned from its corpus."""
    if kind == "melody":
        return melody_vocabulary()
    if kind == "chords":
        return chord_vocabulary()
    if kind == "drums":
        return drum_vocabulary()
    if kind == "bass":
        return bass_vocabulary()
    if kind == "piano":
        from lofi.encoding.piano_intervals import interval_vocabulary  # builds on this module

        return interval_vocabulary()
    if kind == "comping":
        if voicings is None:
            raise VocabularyError("a comping vocabulary is learned from a corpus' voicings")
        return comping_vocabulary([v for v in voicings if v not in (BOS, NONE)])
    raise VocabularyError(f"unknown model kind {kind!r}; use {', '.join((*part_names(), 'piano'))}")
