"""The lofi chord vocabulary: key-relative symbols, their templates and their voicings.

Symbols are relative to the major key (C major after normalisation); a minor piece moved to
A minor uses the same symbols (its tonic chord i7 is vi7 here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NO_CHORD = "N"

# Intervals above the root, in semitones.
QUALITIES: dict[str, tuple[int, ...]] = {
    "maj7": (0, 4, 7, 11),
    "maj9": (0, 4, 7, 11, 14),
    "m7": (0, 3, 7, 10),
    "m9": (0, 3, 7, 10, 14),
    "7": (0, 4, 7, 10),
    "9": (0, 4, 7, 10, 14),
    "ø7": (0, 3, 6, 10),
    "°7": (0, 3, 6, 9),
    "7sus4": (0, 5, 7, 10),
    "6": (0, 4, 7, 9),
}


@dataclass(frozen=True, slots=True)
class ChordSymbol:
    """A chord of the vocabulary: its name (Roman numeral in C), root and quality."""

    name: str
    root: int  # pitch class above C
    quality: str

    @property
    def intervals(self) -> tuple[int, ...]:
        """Semitones above the root of each chord tone."""
        return QUALITIES[self.quality]

    @property
    def pitch_classes(self) -> frozenset[int]:
        """The chord's pitch classes (0 = C)."""
        return frozenset((self.root + i) % 12 for i in self.intervals)


_SPEC = (
    ("Imaj7", 0, "maj7"),
    ("Imaj9", 0, "maj9"),
    ("I6", 0, "6"),
    ("I7", 0, "7"),
    ("i7", 0, "m7"),
    ("bIImaj7", 1, "maj7"),
    ("bII7", 1, "7"),
    ("ii7", 2, "m7"),
    ("ii9", 2, "m9"),
    ("II7", 2, "7"),
    ("iiø7", 2, "ø7"),
    ("bIIImaj7", 3, "maj7"),
    ("iii7", 4, "m7"),
    ("III7", 4, "7"),
    ("IVmaj7", 5, "maj7"),
    ("IVmaj9", 5, "maj9"),
    ("iv7", 5, "m7"),
    ("IV7", 5, "7"),
    ("#ivø7", 6, "ø7"),
    ("V7", 7, "7"),
    ("V9", 7, "9"),
    ("v7", 7, "m7"),
    ("V7sus4", 7, "7sus4"),
    ("bVImaj7", 8, "maj7"),
    ("bVI7", 8, "7"),
    ("vi7", 9, "m7"),
    ("vi9", 9, "m9"),
    ("VI7", 9, "7"),
    ("bVIImaj7", 10, "maj7"),
    ("bVII7", 10, "7"),
    ("viiø7", 11, "ø7"),
    ("vii°7", 11, "°7"),
)

VOCABULARY: tuple[ChordSymbol, ...] = tuple(ChordSymbol(n, r, q) for n, r, q in _SPEC)
SYMBOL_NAMES: tuple[str, ...] = (NO_CHORD, *(s.name for s in VOCABULARY))
_BY_NAME = {s.name: s for s in VOCABULARY}

# Only the plain 7th chords (and 6, sus) are matched from audio-free analysis: a 9th is
# a colour the sampler may pick, but a corpus rarely shows all five notes in one beat.
_MATCHABLE = tuple(s for s in VOCABULARY if s.quality not in ("maj9", "m9", "9"))
_TEMPLATES = np.array(
    [[1.0 if pc in s.pitch_classes else 0.0 for pc in range(12)] for s in _MATCHABLE]
)
_TEMPLATES_NORM = _TEMPLATES / np.linalg.norm(_TEMPLATES, axis=1, keepdims=True)
_ROOTS = np.array([s.root for s in _MATCHABLE])
# Diatonic chords of C major / A minor win close calls.
_DIATONIC = {"Imaj7", "ii7", "iii7", "IVmaj7", "V7", "vi7", "viiø7"}
_PRIOR = np.array([0.04 if s.name in _DIATONIC else 0.0 for s in _MATCHABLE])


def symbol(name: str) -> ChordSymbol:
    """The vocabulary chord of that name; KeyError for a name outside the vocabulary."""
    return _BY_NAME[name]


def match_chord(weights: np.ndarray, bass: int | None, min_weight: float = 0.25) -> str:
    """Names the vocabulary chord nearest to a beat's pitch-class weights (cosine similarity).

    Args:
        weights: 12 pitch-class weights (beats sounding) in normalised key.
        bass: the lowest pitch class, which gets a bonus as the root.
        min_weight: below this total, the beat has no chord.
    """
    w = np.asarray(weights, dtype=float)
    total = float(w.sum())
    if total < min_weight or np.count_nonzero(w > 1e-6) < 2:
        return NO_CHORD
    scores = _TEMPLATES_NORM @ (w / np.linalg.norm(w)) + _PRIOR
    if bass is not None:
        scores = scores + 0.08 * (bass == _ROOTS)
    return _MATCHABLE[int(np.argmax(scores))].name


def voicing(name: str, shift: int, previous: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """A lofi voicing: root and 7th in the left hand, 3rd, 5th (and 9th) an octave up.

    Keeps thirds out of the low register and, given the previous voicing, picks the octave
    nearest to it so the hands move little.

    Args:
        name: a vocabulary symbol (not N).
        shift: semitones from C major to the song's relative major.
        previous: the last voicing.
    """
    sym = _BY_NAME[name]
    iv = sym.intervals
    upper = [12 + i for i in iv[1:3]] + ([12 + iv[4]] if len(iv) > 4 else [])
    shape = [0, iv[3], *upper]
    pc = (sym.root + shift) % 12
    candidates = [tuple(sorted(r + i for i in shape)) for r in (pc + 36, pc + 48) if 43 <= r <= 57]
    target = sum(previous) / len(previous) if previous else 62.0
    return min(candidates, key=lambda c: abs(sum(c) / len(c) - target))
