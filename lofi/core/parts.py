"""The parts a song can hold: one registry, read by every layer (framework-free data).

A part is one learned model of the music (the melody, the chord progression, the drums…).
Its entry here says what every layer needs to know without importing it: the track it plays
on (its instrument, stem, mixer channel and seed), its named fallback when a style has no
model of it, and whether old style files predate it. Its implementation (its vocabulary, how
a corpus encodes to its tokens, how it plays given the song so far) is the module its entry
names, `lofi.compose.parts.NAME` unless told otherwise, loaded by lofi.compose.parts for
composing and for training; nothing else lists parts.

Adding a part is one module and one `register(PartSpec(...))` line below. The order of the
lines is the order a song is written in: a part hears the parts before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from lofi.core.errors import ConfigError

FALLBACK_DEFAULT = "style:default"  # the shipped style's model of the part


@dataclass(frozen=True, slots=True)
class PartSpec:
    """What every layer may know of a part without importing its implementation."""

    name: str  # the model kind, checkpoint kind and style.json key
    track: str  # the instrument/stem it plays on; parts sharing one are mixed into it
    fallback: str = ""  # its hand-written part (rules:…); "" for a part a style must have
    later: bool = False  # learned since style format 1: an older style.json plays its rules
    # The parts this one plays instead of (a whole piano texture instead of melody, chords
    # and comping): a style holds either this part or those.
    replaces: tuple[str, ...] = ()
    label: str = ""  # how the pages name it
    also: tuple[str, ...] = ()  # further tracks it plays on (the piano: its top line)
    is_drum: bool = False  # its track plays on the drum channel
    module: str = ""  # its implementation's module; "" is lofi.compose.parts.NAME

    @property
    def implementation(self) -> str:
        """The dotted name of the module holding the part's `PART`."""
        return self.module or f"lofi.compose.parts.{self.name}"

    @property
    def required(self) -> bool:
        """A style without a model (nor the shipped style's) of this part is unusable."""
        return not self.fallback


class PartModel(Protocol):
    """One part's implementation: its representation, its training data and its sampling.

    Implementations live one module per part (lofi.compose.parts.NAME, exported as `PART`).
    The arguments are typed loosely here because lofi.core imports no layer above it: a
    corpus is a `lofi.data.corpus.Corpus`, a vocabulary a `lofi.encoding.vocab.Vocabulary`,
    a model the numpy `StepModel` its checkpoint loads to, and the song so far a
    `lofi.compose.parts.SongSoFar`.
    """

    spec: PartSpec

    def vocabulary(self, corpus: Any) -> Any:
        """The part's vocabulary, fixed or learned from `corpus` (the comping's voicings)."""

    def encode(self, corpus: Any, vocab: Any) -> list[Any]:
        """The corpus' pieces as this part's token sequences (the training data)."""

    def sample(self, song: Any, model: Any) -> Any:
        """The part's notes given the song so far, from its model or (None) its fallback.

        A list of notes on its track, or track → notes for a part on several.
        """


_REGISTRY: dict[str, PartSpec] = {}


def register(spec: PartSpec) -> PartSpec:
    """Adds a part to the registry (its name must be new)."""
    if spec.name in _REGISTRY or not spec.name.isidentifier():
        raise ConfigError(f"part {spec.name!r} is registered already or not a name")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Takes a part out of the registry again (a test's toy part)."""
    _REGISTRY.pop(name, None)


def part_spec(name: str) -> PartSpec:
    """The registered part of that name; ConfigError naming the parts when there is none."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown part {name!r}; the parts are {', '.join(_REGISTRY)}") from None


def part_names() -> tuple[str, ...]:
    """Every registered part, in the order a song is written (and a style trained) in."""
    return tuple(_REGISTRY)


def tracks(parts: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The tracks (instrument, stem, seed) the parts play on, in the song's order.

    Those of a style holding every part but the replacing ones when `parts` is None.
    """
    names = style_parts(()) if parts is None else parts
    held = [_REGISTRY[name] for name in names if name in _REGISTRY]
    return tuple(
        sorted(
            dict.fromkeys(t for spec in held for t in (spec.track, *spec.also)),
            key=_track_order,
        )
    )


def all_tracks() -> tuple[str, ...]:
    """Every track a song of any style can hold."""
    return tracks(part_names())


def parts_of_track(track: str) -> tuple[str, ...]:
    """The parts that play on `track`."""
    return tuple(spec.name for spec in _REGISTRY.values() if track in (spec.track, *spec.also))


def required_parts(learned: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The parts a style must have a model of (no hand-written fallback).

    Of the parts a style with `learned` parts holds (see `style_parts`); of every part
    but the replacing ones when None.
    """
    names = style_parts(learned) if learned is not None else style_parts(())
    return tuple(name for name in names if _REGISTRY[name].required)


def style_parts(learned: tuple[str, ...] | list[str] | set[str]) -> tuple[str, ...]:
    """The parts a style that learned `learned` holds, each by a model or a fallback.

    A part that replaces others is held only when learned, and then the parts it
    replaces are not; every other part is held.
    """
    replaced = {r for name in learned if name in _REGISTRY for r in _REGISTRY[name].replaces}
    return tuple(
        spec.name
        for spec in _REGISTRY.values()
        if spec.name not in replaced and (not spec.replaces or spec.name in learned)
    )


def rules_fallbacks() -> dict[str, str]:
    """Part → its named hand-written fallback, for the parts that have one."""
    return {spec.name: spec.fallback for spec in _REGISTRY.values() if spec.fallback}


def later_parts() -> tuple[str, ...]:
    """Parts learned since style format 1: a style.json naming neither plays their rules."""
    return tuple(spec.name for spec in _REGISTRY.values() if spec.later)


def fallback_names() -> tuple[str, ...]:
    """Every named fallback a style or recipe may give a part."""
    return (FALLBACK_DEFAULT, *dict.fromkeys(rules_fallbacks().values()))


# The song's tracks keep the order of the MIDI files every shipped recipe made; a recipe
# with part seeds (format 3) names at least these.
CORE_TRACKS = ("chords", "melody", "bass", "drums")


def _track_order(track: str) -> int:
    return CORE_TRACKS.index(track) if track in CORE_TRACKS else len(CORE_TRACKS)


def is_drum_track(track: str) -> bool:
    """Whether the track plays on the drum channel."""
    return any(spec.is_drum for spec in _REGISTRY.values() if spec.track == track)


# The registry: one line per part, in the order a song is written.
register(PartSpec("chords", "chords", label="Chords"))
register(PartSpec("melody", "melody", label="Melody"))
register(PartSpec("comping", "chords", "rules:comping", later=True, label="Comping"))
register(PartSpec("piano", "chords", replaces=("chords", "melody", "comping"), also=("melody",)))
register(PartSpec("bass", "bass", "rules:bass", later=True, label="Bass"))
register(PartSpec("drums", "drums", "rules:grooves", label="Drums", is_drum=True))
