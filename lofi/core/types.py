"""Framework-free core types. Nothing here imports music21, TensorFlow, FluidSynth or pedalboard."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from lofi.core.errors import ConfigError
from lofi.core.parts import all_tracks, tracks
from lofi.core.settings import GENERATION

PITCH_CLASS_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_NAME_TO_PC = {
    "C": 0,
    "B#": 0,
    "C#": 1,
    "DB": 1,
    "D": 2,
    "D#": 3,
    "EB": 3,
    "E": 4,
    "FB": 4,
    "F": 5,
    "E#": 5,
    "F#": 6,
    "GB": 6,
    "G": 7,
    "G#": 8,
    "AB": 8,
    "A": 9,
    "A#": 10,
    "BB": 10,
    "B": 11,
    "CB": 11,
}


@dataclass(frozen=True, slots=True)
class Note:
    """One note. Times are in quarter notes (beats) from the start of the piece."""

    pitch: int
    onset: float
    duration: float
    velocity: int

    @property
    def end(self) -> float:
        """The beat the note stops sounding on."""
        return self.onset + self.duration

    def __reduce__(self) -> tuple[type, tuple[int, float, float, int]]:
        # Plain constructor arguments unpickle several times faster than slot state.
        return (Note, (self.pitch, self.onset, self.duration, self.velocity))


@dataclass(frozen=True, slots=True)
class Key:
    """A major or minor key; its name reads like 'A-minor'."""

    tonic: int  # pitch class 0–11
    mode: str  # "major" or "minor"

    def __post_init__(self) -> None:
        if self.mode not in ("major", "minor") or not 0 <= self.tonic < 12:
            raise ConfigError(f"not a key: tonic {self.tonic}, mode {self.mode!r}")

    @property
    def relative_major(self) -> int:
        """Pitch class of the major key sharing this key's notes."""
        return self.tonic if self.mode == "major" else (self.tonic + 3) % 12

    @property
    def name(self) -> str:
        """'C-major', 'Eb-minor': the form Key.parse reads back."""
        return f"{PITCH_CLASS_NAMES[self.tonic]}-{self.mode}"

    @classmethod
    def parse(cls, text: str) -> Key:
        """Reads 'A-minor', 'Eb major', 'f#m', 'C'."""
        m = re.fullmatch(r"\s*([A-Ga-g])([#b]?)[\s_-]*(major|minor|maj|min|m)?\s*", text)
        if not m:
            raise ConfigError(f"unknown key {text!r}; use a name like A-minor or Eb-major")
        name = (m.group(1) + m.group(2)).upper()
        mode = "minor" if m.group(3) in ("minor", "min", "m") else "major"
        return cls(_NAME_TO_PC[name], mode)

    @classmethod
    def all(cls) -> list[Key]:
        """All 24 keys: the minor ones first, each mode from C upwards."""
        return [cls(pc, mode) for mode in ("minor", "major") for pc in range(12)]


@dataclass(frozen=True, slots=True)
class ChordSpan:
    """The pitch classes sounding over one beat, weighted by how long and how loud each sounds."""

    onset: float
    duration: float
    weights: tuple[float, ...]  # 12 weights, pitch class C..B: beats × velocity / 127
    bass: int | None  # lowest pitch class, if any

    def __reduce__(self) -> tuple[type, tuple[float, float, tuple[float, ...], int | None]]:
        return (ChordSpan, (self.onset, self.duration, self.weights, self.bass))


@dataclass(frozen=True, slots=True)
class Piece:
    """A parsed corpus file."""

    name: str
    content_hash: str
    key: Key
    tempo_bpm: float
    notes: tuple[Note, ...]  # every pitched note, drums excluded
    melody: tuple[Note, ...]  # a monophonic top line
    beats: tuple[ChordSpan, ...]  # one per beat
    length_beats: float


@dataclass(frozen=True, slots=True)
class Part:
    """One instrument of a song. Drums use General MIDI drum numbers as pitches."""

    name: str  # "melody", "chords", "bass" or "drums"
    notes: tuple[Note, ...]
    is_drum: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """A stretch of a song in whole bars (intro, main, outro)."""

    name: str  # "intro", "main", "outro"
    start_bar: int
    bars: int


@dataclass(frozen=True, slots=True)
class Song:
    """A composed song: every part's notes, its sections and its chord symbols."""

    key: Key
    bpm: float
    bars: int
    parts: tuple[Part, ...]
    sections: tuple[Section, ...]
    chords: tuple[tuple[float, float, str], ...]  # (onset beat, beats, symbol) in the song's key

    def part(self, name: str) -> Part:
        """The part of that name; KeyError when the song has none."""
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class SamplingConfig:
    """How the samplers pick each token: temperature, top-k, top-p, staying in key."""

    temperature: float = GENERATION.temperature
    top_k: int = GENERATION.top_k  # 0: off
    top_p: float = GENERATION.top_p  # 1.0: off
    stay_in_key: bool = GENERATION.stay_in_key
    held_chords: bool = GENERATION.held_chords  # the learned piano's texture (lofi.compose.pianist)
    density: float = GENERATION.density  # 1.0: the melody model's own note density
    register_low: int = GENERATION.register_low  # sounding MIDI pitch range of the melody;
    register_high: int = GENERATION.register_high  # 0–127: the model's own register


@dataclass(frozen=True, slots=True)
class GenerationConfig:
    """What one song asks for: seed, key, tempo, length and sampling."""

    seed: int = GENERATION.seed
    key: Key = field(default_factory=lambda: Key.parse(GENERATION.key))
    bpm: float = GENERATION.bpm
    bars: int = GENERATION.bars
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    swing: float = GENERATION.swing  # the drums' swing (0.5: straight)
    energy: float = GENERATION.energy  # how hard and busy the drums play (1: the default)
    # (track, seed) for each track of lofi.core.parts: each part draws from its own
    # generator, so one part can be made again while the others stay note for note.
    # None: the song's seed drives every part, as before part seeds (older recipes make the
    # same tracks).
    part_seeds: tuple[tuple[str, int], ...] | None = None

    def seed_of(self, part: str) -> int:
        """The part's own seed (derived from the song's seed when none was given)."""
        seeds = dict(self.part_seeds or ())
        return seeds[part] if part in seeds else _part_seed(self.seed, part)


def part_seeds_for(seed: int) -> tuple[tuple[str, int], ...]:
    """A seed per part, drawn from the song's seed (the same seed gives the same ones)."""
    return tuple((part, _part_seed(seed, part)) for part in tracks())


def _part_seed(seed: int, part: str) -> int:
    return int(hashlib.sha256(f"{seed}:{part}".encode()).hexdigest()[:15], 16)


def with_part_seeds(config: GenerationConfig) -> GenerationConfig:
    """`config` with a seed per part (derived from its seed when it has none)."""
    if config.part_seeds is not None:
        return config
    return replace(config, part_seeds=part_seeds_for(config.seed))


def reseed_part(config: GenerationConfig, part: str, seed: int) -> GenerationConfig:
    """`config` with a new seed for `part`; every other part keeps its seed."""
    if part not in all_tracks():
        raise ConfigError(f"unknown part {part!r}; the parts are {', '.join(all_tracks())}")
    seeds = dict(with_part_seeds(config).part_seeds or ())
    seeds[part] = seed
    return replace(config, part_seeds=tuple((p, seeds[p]) for p in all_tracks() if p in seeds))
