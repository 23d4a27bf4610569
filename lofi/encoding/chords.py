"""The lofi chord vocabulary: key-relative symbols, their templates and their voicings.

Symbols are roman numerals relative to the major key (C major after normalisation); a minor
piece moved to A minor uses the same symbols (its tonic chord i7 is vi7 here). Every root
carries every quality: triads, sixths, sevenths, ninths, elevenths, thirteenths, sus chords
and altered dominants, so the analysis can name what lofi players actually play.
"""

from __future__ import annotations

from dataclasses import dataclass

NO_CHORD = "N"

# Intervals above the root, in semitones, ascending; the third element is always the fifth.
QUALITIES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "°": (0, 3, 6),
    "+": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14),
    "6/9": (0, 4, 7, 9, 14),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "7": (0, 4, 7, 10),
    "ø7": (0, 3, 6, 10),
    "°7": (0, 3, 6, 9),
    "7sus4": (0, 5, 7, 10),
    "maj9": (0, 4, 7, 11, 14),
    "m9": (0, 3, 7, 10, 14),
    "9": (0, 4, 7, 10, 14),
    "11": (0, 5, 7, 10, 14),  # the dominant eleventh as played: 9sus4, no third
    "m11": (0, 3, 7, 10, 14, 17),
    "13": (0, 4, 7, 10, 14, 21),
    "7b9": (0, 4, 7, 10, 13),
    "7#9": (0, 4, 7, 10, 15),
    "7#5": (0, 4, 8, 10),  # the altered dominant with a raised fifth
}
# Qualities written with a lower-case numeral (the suffix drops the "m").
_MINOR = {"m": "", "°": "°", "m6": "6", "madd9": "add9", "m7": "7", "ø7": "ø7", "°7": "°7"}
_MINOR |= {"m9": "9", "m11": "11"}
DEGREES = ("I", "bII", "II", "bIII", "III", "IV", "#IV", "V", "bVI", "VI", "bVII", "VII")


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
    def fifth(self) -> int:
        """Semitones from the root to the fifth (diminished, perfect or augmented)."""
        return self.intervals[2]

    @property
    def pitch_classes(self) -> frozenset[int]:
        """The chord's pitch classes (0 = C)."""
        return frozenset((self.root + i) % 12 for i in self.intervals)


def chord_name(root: int, quality: str) -> str:
    """The roman-numeral name of `quality` on `root` (semitones above C): ii7, V7b9, bVImaj7."""
    degree = DEGREES[root % 12]
    if quality in _MINOR:
        return degree.lower() + _MINOR[quality]
    return degree + quality


VOCABULARY: tuple[ChordSymbol, ...] = tuple(
    ChordSymbol(chord_name(r, q), r, q) for r in range(12) for q in QUALITIES
)
SYMBOL_NAMES: tuple[str, ...] = (NO_CHORD, *(s.name for s in VOCABULARY))
_BY_NAME = {s.name: s for s in VOCABULARY}

# The coarser chord context the melody model is conditioned on: 32 seventh-chord classes
# (its inputs keep this list so melody checkpoints stay valid as the chord vocabulary grows).
CONTEXT_NAMES: tuple[str, ...] = (
    NO_CHORD,
    "Imaj7",
    "Imaj9",
    "I6",
    "I7",
    "i7",
    "bIImaj7",
    "bII7",
    "ii7",
    "ii9",
    "II7",
    "iiø7",
    "bIIImaj7",
    "iii7",
    "III7",
    "IVmaj7",
    "IVmaj9",
    "iv7",
    "IV7",
    "#ivø7",
    "V7",
    "V9",
    "v7",
    "V7sus4",
    "bVImaj7",
    "bVI7",
    "vi7",
    "vi9",
    "VI7",
    "bVIImaj7",
    "bVII7",
    "viiø7",
    "vii°7",
)
# The ninths among them were never analysed in training data, so nothing maps onto them.
_CONTEXT_TARGETS = tuple(
    _BY_NAME[n] for n in CONTEXT_NAMES[1:] if _BY_NAME[n].quality not in ("maj9", "m9", "9")
)


def symbol(name: str) -> ChordSymbol:
    """The vocabulary chord of that name; KeyError for a name outside the vocabulary."""
    return _BY_NAME[name]


def _context(name: str) -> str:
    sym = _BY_NAME[name]

    def score(c: ChordSymbol) -> tuple[float, int, int]:
        shared = len(sym.pitch_classes & c.pitch_classes)
        jaccard = shared / len(sym.pitch_classes | c.pitch_classes)
        return (2.0 * (c.root == sym.root) + jaccard, -abs(c.root - sym.root), -len(c.intervals))

    return max(_CONTEXT_TARGETS, key=score).name


_CONTEXT_OF = {NO_CHORD: NO_CHORD} | {s.name: _context(s.name) for s in VOCABULARY}


def context_name(name: str) -> str:
    """The melody model's chord class of a symbol: the nearest analysable seventh chord.

    On the same root where one exists: m9 → m7, 7b9 → 7, sus4 → 7sus4, 13 → 7.
    """
    return _CONTEXT_OF[name]


def voicing(name: str, shift: int, previous: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """A lofi voicing: root and 7th (or 6th, else 5th) in the left hand, the rest an octave up.

    Keeps thirds out of the low register; a six-note chord drops its fifth, a triad doubles
    its root on top, a tension more than two octaves up comes down one. Given the previous
    voicing, picks the octave nearest to it so the hands move little.

    Args:
        name: a vocabulary symbol (not N).
        shift: semitones from C major to the song's relative major.
        previous: the last voicing.
    """
    sym = _BY_NAME[name]
    iv = sym.intervals
    left = next((i for i in iv if i in (9, 10, 11)), sym.fifth)
    rest = [i for i in iv[1:] if i != left]
    if len(rest) > 3:
        rest.remove(sym.fifth)
    upper = [12 + i if i < 17 else i for i in rest]
    if len(upper) < 2:
        upper.append(24)
    shape = [0, left, *upper]
    pc = (sym.root + shift) % 12
    candidates = [tuple(sorted(r + i for i in shape)) for r in (pc + 36, pc + 48) if 43 <= r <= 57]
    target = sum(previous) / len(previous) if previous else 62.0
    return min(candidates, key=lambda c: abs(sum(c) / len(c) - target))
