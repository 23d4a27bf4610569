"""Every default and limit a user, the CLI, the pages or the engine can see, in one place.

Each group is a frozen dataclass with one shared instance (``GENERATION``, ``TRAINING``,
``MIX``); units are in the field names or their comments. The CLI's
defaults and help texts, the pages' widgets and the engine's config classes all read these
instances, so changing a number here changes it everywhere.

Musical and file-format constants (sample rate, ticks per beat, token bins, format versions)
live in :mod:`lofi.core.constants`; where files live is :mod:`lofi.core.paths`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lofi.core.errors import ConfigError

N = TypeVar("N", int, float)


@dataclass(frozen=True, slots=True)
class Span(Generic[N]):
    """An inclusive range of allowed values."""

    low: N
    high: N

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.low:g}–{self.high:g}"


Value = float | int | bool


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting a user chooses for a track, declared once.

    The shell's `generate` flag (`flag`), the Studio's widget (`label`, `widget`, `step`,
    shown divided by `unit`), both their help texts, the recipe's field (`recipe`, a dotted
    path in recipe.json), its JSON schema and its range check are all made from this.
    """

    name: str  # the config field, the shell's option and the Studio's widget key
    label: str
    help: str
    default: Value
    span: Span[int] | Span[float] | None = None  # the values a request or recipe may hold
    recipe: str = ""  # where recipe.json keeps it, e.g. "sampling.temperature"
    step: float = 0.0  # the Studio slider's step (0: the widget's own)
    widget: Span[int] | Span[float] | None = None  # the Studio's narrower range, if any
    unit: float = 1.0  # the Studio shows value / unit (Hz as kHz)
    group: str = "advanced"  # where the Studio draws it: main, feel or advanced
    exclusive_low: bool = False  # the span's low end itself is not allowed

    @property
    def flag(self) -> str:
        """The shell's option, e.g. --tape-wow."""
        return "--" + self.name.replace("_", "-")

    @property
    def kind(self) -> type:
        """bool, int or float: what the setting holds."""
        return type(self.default)

    def allows(self, value: object) -> bool:
        """Whether `value` is of the setting's kind and within its span."""
        if self.kind is bool:
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.kind is int and value != int(value):
            return False
        if self.span is None:
            return True
        low_ok = value > self.span.low if self.exclusive_low else value >= self.span.low
        return bool(low_ok and value <= self.span.high)

    def check(self, value: object) -> None:
        """The one range check: ConfigError naming the setting, its value and its range."""
        if not self.allows(value):
            shown = f"{value:g}" if isinstance(value, int | float) else repr(value)
            where = (
                f"outside {self.span}" if self.span is not None else f"not a {self.kind.__name__}"
            )
            if self.exclusive_low and self.span is not None:
                where = f"outside ({self.span.low:g}, {self.span.high:g}]"
            raise ConfigError(f"{self.label.lower()} {shown} is {where}")


# Every setting a user chooses for a track, in the order the shell's help lists them.
USER_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "seed",
        "Seed",
        "random seed: the same seed makes the same song",
        7,
        Span(0, 2**63 - 1),
        "seed",
        widget=Span(0, 2**31 - 1),
        group="main",
    ),
    Setting(
        "bpm",
        "Tempo (BPM)",
        "tempo in beats per minute",
        78.0,
        Span(60.0, 100.0),
        "bpm",
        step=1.0,
        group="main",
    ),
    Setting(
        "bars",
        "Length (bars)",
        "length in 4/4 bars, intro and outro included",
        48,
        Span(8, 256),
        "bars",
        step=4,
        group="main",
    ),
    Setting(
        "temperature",
        "Temperature",
        "how adventurous the melody and chords are: lower "
        "is safer and more repetitive, higher is wilder (the sampling temperature)",
        0.9,
        Span(0.05, 3.0),
        "sampling.temperature",
        step=0.05,
    ),
    Setting(
        "top_k",
        "Top-k",
        "only the k likeliest next notes are ever drawn; 0 lets every note be drawn",
        0,
        Span(0, 10_000),
        "sampling.top_k",
        widget=Span(0, 100),
    ),
    Setting(
        "top_p",
        "Top-p",
        "nucleus sampling: only the likeliest notes making up this "
        "share of the odds are drawn; 1 is off",
        0.95,
        Span(0.0, 1.0),
        "sampling.top_p",
        step=0.01,
        exclusive_low=True,
    ),
    Setting(
        "stay_in_key",
        "Stay in key",
        "melody notes only from the song's scale",
        True,
        None,
        "sampling.stay_in_key",
    ),
    Setting(
        "register_low",
        "Melody register low",
        "the lowest sounding MIDI pitch the melody may use (0: the model's own register)",
        0,
        Span(0, 127),
        "sampling.register_low",
    ),
    Setting(
        "register_high",
        "Melody register high",
        "the highest sounding MIDI pitch the melody may use (127: the model's own register)",
        127,
        Span(0, 127),
        "sampling.register_high",
    ),
    Setting(
        "swing",
        "Swing",
        "how late the off-beat sixteenths fall: 0.50 is straight, 0.58 "
        "a lazy lofi shuffle, 0.70 a heavy swing",
        0.58,
        Span(0.5, 0.75),
        "feel.swing",
        step=0.01,
        group="feel",
    ),
    Setting(
        "energy",
        "Energy",
        "how hard and busy the drums play: lower is laid-back and "
        "soft, higher hits harder with more ghost notes and pushed kicks",
        1.0,
        Span(0.4, 1.6),
        "feel.energy",
        step=0.1,
        group="feel",
    ),
    Setting(
        "tape_wow",
        "Tape wobble",
        "the pitch wow and flutter of a worn cassette: 0 is "
        "steady, 1 the usual lofi wobble, more is seasick",
        1.0,
        Span(0.0, 2.5),
        "feel.tape_wow",
        step=0.1,
        group="feel",
    ),
    Setting(
        "lowpass_hz",
        "Brightness (kHz)",
        "where the low-pass filter cuts the highs, in "
        "Hz: lower is darker and more muffled, higher is crisper",
        9500.0,
        Span(1500.0, 18000.0),
        "feel.lowpass_hz",
        step=0.5,
        unit=1000.0,
        group="feel",
    ),
    Setting(
        "density",
        "Melody density",
        "how many notes the melody plays against what its "
        "model learned: 1 is as learned, 0.5 about half as many (longer notes, more "
        "rests), 2 busier",
        1.0,
        Span(0.25, 4.0),
        "sampling.density",
        step=0.05,
        group="feel",
    ),
    Setting(
        "width",
        "Stereo width",
        "how wide the chords and melody spread: 0 keeps each instrument as it is, 1 the "
        "usual lofi width; the bass and the kick stay in the middle",
        1.0,
        Span(0.0, 2.0),
        "mix.width",
        step=0.1,
        group="mix",
    ),
    Setting(
        "reverb_db",
        "Plate reverb (dB)",
        "the shared plate the keys, melody and drums are sent to: -30 is off, 0 the usual "
        "room, more is washier",
        0.0,
        Span(-30.0, 12.0),
        "mix.reverb_db",
        step=1.0,
        group="mix",
    ),
    Setting(
        "ducking",
        "Duck under the kick",
        "the keys and the rain and vinyl dip a little at every kick (sidechain)",
        True,
        None,
        "mix.ducking",
        group="mix",
    ),
    Setting(
        "saturation_db",
        "Tape saturation (dB)",
        "how hard the master drives the tape: 0 is clean, more is warmer and grittier",
        4.0,
        Span(0.0, 18.0),
        "mix.saturation_db",
        step=1.0,
        group="mix",
    ),
    Setting(
        "dusty",
        "Dusty (12-bit, 26 kHz)",
        "the master through a vintage sampler's bit depth and sample rate",
        False,
        None,
        "mix.dusty",
        group="mix",
    ),
)
SETTINGS: dict[str, Setting] = {s.name: s for s in USER_SETTINGS}


def _default(name: str) -> Any:
    return SETTINGS[name].default


def _span(name: str) -> Any:
    return SETTINGS[name].span


@dataclass(frozen=True, slots=True)
class GenerationSettings:
    """What a new track is made with unless the user says otherwise, and what is allowed.

    The defaults and ranges of the user's settings are their declarations' (USER_SETTINGS).
    """

    seed: int = _default("seed")
    key: str = "A-minor"  # any name `Key.parse` reads
    bpm: float = _default("bpm")
    bpm_range: Span[float] = _span("bpm")  # noqa: RUF009 (a frozen Span, safely shared)
    bars: int = _default("bars")
    bars_range: Span[int] = _span("bars")  # noqa: RUF009 (a frozen Span, safely shared)
    bars_step: int = 4  # the studio's length slider moves by four-bar phrases
    temperature: float = _default("temperature")
    top_k: int = _default("top_k")
    top_p: float = _default("top_p")
    stay_in_key: bool = _default("stay_in_key")
    swing: float = _default("swing")
    energy: float = _default("energy")
    density: float = _default("density")
    register_low: int = _default("register_low")
    register_high: int = _default("register_high")
    register_span: int = 12  # the narrowest register a user may ask for, in semitones
    seed_max: int = 2**31 - 1  # the studio's seed field and dice


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    """Defaults and allowed ranges of a training run (CLI, training page and TrainConfig)."""

    corpus: str = "default"  # the three Debian game corpora together
    epochs: int = 30  # most epochs; early stopping usually ends sooner
    epochs_range: Span[int] = Span(1, 500)
    seq_len: int = 32  # steps (tokens) per training window
    seq_len_range: Span[int] = Span(2, 512)
    batch_size: int = 64  # windows per batch
    batch_size_range: Span[int] = Span(1, 4096)
    learning_rate: float = 1e-3  # Adam
    learning_rate_range: Span[float] = Span(1e-5, 1e-1)
    validation_split: float = 0.1  # share of pieces held out
    validation_split_range: Span[float] = Span(0.01, 0.9)
    patience: int = 4  # epochs without a better validation loss before stopping
    seed: int = 0  # the split and the initial weights
    units: int = 128  # LSTM units per layer
    units_range: Span[int] = Span(4, 1024)
    units_step: int = 8  # the training page's LSTM-units field
    layers: int = 1  # LSTM layers
    layers_range: Span[int] = Span(1, 4)
    embedding: int = 24  # embedding width per input; chord and position inputs get half
    dropout: float = 0.4  # after each LSTM layer
    # Share of training steps whose previous tokens the network does not see (their whole
    # embeddings dropped), so it learns to continue from its own imperfect output too.
    token_dropout: float = 0.0
    max_steps: int = 0  # cap on steps per epoch; 0 is none (tests and smoke runs set it)
    held_out: float = 0.2  # share of a corpus' pieces a style never sees (evaluate's held-out)
    # Fine-tuning (a style started from another's weights). A new corpus is far from the
    # base's music and gives few steps, so it learns at the full rate (3e-4 only tied a style
    # trained from scratch in the same epochs, bench_style) with more dropout than the base.
    finetune_learning_rate: float = 1e-3  # Adam
    finetune_dropout: float = 0.65  # after each LSTM layer; at least the base's
    # An epoch of a small corpus (20 files: one batch) repeats its windows up to this many
    # steps, so the epochs and patience above mean as much training as on a large one.
    min_steps_per_epoch: int = 20
    progress_points: int = 20  # step lines written to progress.jsonl per epoch


@dataclass(frozen=True, slots=True)
class MixSettings:
    """Effect levels and instrument volumes the studio and the CLI start from."""

    effect_levels_db: tuple[tuple[str, float], ...] = (("rain", -24.0), ("vinyl", -28.0))
    effect_off_db: float = -60.0  # the studio's effect sliders: at this level an effect is off
    effect_max_db: float = 0.0
    instrument_gain_db_range: Span[float] = Span(-24.0, 6.0)
    tail_s: float = 2.0  # seconds rendered after the song's last event (release, room)
    tape_wow: float = _default("tape_wow")  # the tape's wobble, times the default; 0: none
    lowpass_hz: float = _default("lowpass_hz")  # the master's low-pass
    # The mix (lofi.audio.placement): version 1 is the mono mix of older recipes, 2 the
    # stereo one; the fields below are version 2's named settings.
    mix_version: int = 2
    mix_versions: tuple[int, ...] = (1, 2)
    # Their defaults and ranges are their declarations' (USER_SETTINGS).
    width: float = _default("width")  # the parts' stereo spread, times the mix's own
    width_range: Span[float] = _span("width")  # noqa: RUF009 (a frozen Span, safely shared)
    reverb_db: float = _default("reverb_db")  # the shared plate's return
    reverb_db_range: Span[float] = _span("reverb_db")  # noqa: RUF009 (a frozen Span)
    reverb_off_db: float = -30.0  # at this level the plate is off
    ducking: bool = _default("ducking")  # the keys and the beds dip under the kick
    saturation_db: float = _default("saturation_db")  # the master's tape drive: 0 is clean
    saturation_db_range: Span[float] = _span("saturation_db")  # noqa: RUF009 (a frozen Span)
    dusty: bool = _default("dusty")  # the master's bit and sample-rate reduction

    def effect_levels(self) -> dict[str, float]:
        """The default effect levels in dB, by effect name (a fresh dict)."""
        return dict(self.effect_levels_db)


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """What a stranger's file, a hand-edited recipe or the CLI may ask of the machine.

    Wider than the studio's sliders (those are comfortable ranges, these are safe ones).
    """

    soundfont_bytes: int = 512 * 1024**2  # one SoundFont a user brings
    effect_bytes: int = 200 * 1024**2  # one effect WAV a user brings
    midi_bytes: int = 5 * 1024**2  # one score file (MIDI or MusicXML)
    midi_tracks: int = 256  # tracks a MIDI header may declare
    score_measures: int = 8_000  # <measure> elements over all parts of a MusicXML score
    mxl_unpacked_bytes: int = 32 * 1024**2  # a compressed MusicXML file, unpacked
    piece_beats: int = 20_000  # where a piece's last note may end (2.8 h at 120 BPM)
    piece_notes: int = 200_000
    loop_bars: int = 64  # the longest loop a track is built around, in 4/4 bars
    loop_notes: int = 8_000  # notes in one loop (a dense piano bar holds some 60)
    parse_memory_bytes: int = 3 * 1024**3  # address-space cap of a child parsing a score
    parse_cpu_s: int = 60  # CPU seconds for one score
    parse_wall_s: float = 120.0  # wall seconds for one score
    effect_seconds: float = 600.0  # longest effect bed a WAV may declare
    effect_rate_hz: Span[int] = Span(8_000, 192_000)
    decode_memory_bytes: int = 2 * 1024**3  # address-space cap of a child decoding a WAV
    decode_cpu_s: int = 30
    decode_wall_s: float = 60.0
    gain_db: Span[float] = Span(-60.0, 12.0)  # a part's volume in a request or recipe
    effect_db: Span[float] = Span(-80.0, 12.0)  # an effect bed's level (-inf: off)
    recipe_bytes: int = 256 * 1024
    session_bytes: int = 400 * 1024**2  # one studio session's takes (pinned ones excepted)
    sessions_max_bytes: int = 4 * 1024**3  # generated tracks of every studio session
    sessions_max_age_s: float = 7 * 86_400.0  # tracks untouched this long are removed
    # Totals. Uploads past these are refused (a user's files are never removed to make
    # room); the caches and the studio's player audio lose their least recently used.
    upload_files: int = 2_000  # score files in one corpus upload, archive members included
    soundfonts_total_bytes: int = 4 * 1024**3  # every SoundFont users brought
    effects_total_bytes: int = 1024**3  # every effect bed users brought
    corpora_total_bytes: int = 2 * 1024**3  # every uploaded corpus
    parse_cache_bytes: int = 1024**3  # parsed pieces kept to skip parsing again
    studio_static_bytes: int = 600 * 1024**2  # the studio players' audio, every session


GENERATION = GenerationSettings()
TRAINING = TrainingSettings()
MIX = MixSettings()
LIMITS = LimitSettings()
