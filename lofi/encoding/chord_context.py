"""A chord as the bass and accompaniment models see it: its root and its quality family.

Both are a fixed, small vocabulary (13 roots, a few families), whatever chord symbols the
harmony analysis knows, so these models keep their vocabularies when the symbols grow.
"""

from __future__ import annotations

from lofi.encoding.chords import NO_CHORD, symbol

ROOTS: tuple[str, ...] = (NO_CHORD, *(str(pc) for pc in range(12)))
# Triad (third and fifth) and seventh of a chord, extensions left out.
FAMILIES: tuple[str, ...] = (
    NO_CHORD,
    "maj",
    "maj7",
    "6",
    "7",
    "m",
    "m7",
    "m6",
    "mmaj7",
    "ø7",
    "°",
    "°7",
    "sus",
    "7sus",
    "aug",
    "other",
)


def family(intervals: tuple[int, ...] | frozenset[int]) -> str:
    """The quality family of a chord given as semitones above its root."""
    s = {i % 12 for i in intervals}
    third = "maj" if 4 in s else "m" if 3 in s else "sus" if s & {2, 5} else ""
    seventh = "maj7" if 11 in s else "7" if 10 in s else "6" if 9 in s else ""
    if third == "m" and 6 in s and 7 not in s:
        name = {"7": "ø7", "6": "°7", "": "°"}.get(seventh, "other")
    elif third == "maj" and 8 in s and 7 not in s:
        name = "aug" if not seventh else "other"
    elif third == "maj":
        name = seventh or "maj"
    elif third == "m":
        name = {"maj7": "mmaj7", "7": "m7", "6": "m6", "": "m"}[seventh]
    elif third == "sus":
        name = "7sus" if seventh == "7" else "sus" if not seventh else "other"
    else:
        name = "other"
    return name


def chord_context(name: str) -> tuple[str, str]:
    """(root token, family token) of a chord symbol; N for no chord."""
    if name == NO_CHORD:
        return NO_CHORD, NO_CHORD
    sym = symbol(name)
    return str(sym.root % 12), family(sym.intervals)


def root_of(name: str) -> int:
    """The root pitch class above the key's C (0 when there is no chord)."""
    root, _ = chord_context(name)
    return 0 if root == NO_CHORD else int(root)
