"""Every default and limit a user, the CLI, the pages or the engine can see, in one place.

Each group is a frozen dataclass with one shared instance (``GENERATION``, ``TRAINING``,
``MIX``); units are in the field names or their comments. The CLI's
defaults and help texts, the pages' widgets and the engine's config classes all read these
instances, so changing a number here changes it everywhere.

Musical and file-format constants (sample rate, ticks per beat, token bins, format versions)
live in :mod:`lofi.core.constants`; where files live is :mod:`lofi.core.paths`. The settings a
user chooses for a track are declared in :mod:`lofi.core.declared_settings`, re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lofi.core.declared_settings import SETTINGS as SETTINGS
from lofi.core.declared_settings import USER_SETTINGS as USER_SETTINGS
from lofi.core.declared_settings import Setting as Setting
from lofi.core.declared_settings import Span as Span


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
    held_chords: bool = _default("held_chords")
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
    # stereo one, 3 the stereo one rebalanced (lighter bass, airier hats); the fields below
    # are the named settings of versions 2 and 3.
    mix_version: int = 3
    mix_versions: tuple[int, ...] = (1, 2, 3)
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
