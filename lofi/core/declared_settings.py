"""The settings a user chooses for a track, each declared once: default, range, help, flag.

The shell's `generate` options, the Studio's widgets, the recipe's JSON schema and the one
range check are all made from these declarations (lofi.core.settings re-exports them beside
the other defaults and limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

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
        "held_chords",
        "Held chords",
        "the learned piano plays the pack's held-chord loops; off, it plays whatever texture "
        "the pack has at the pack's odds: held chords, broken chords or sparse stabs",
        True,
        None,
        "sampling.held_chords",
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
