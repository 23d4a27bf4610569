"""A song whose pitched texture is the learned piano: loops by the form plan, bass and drums.

The piano model plays chords, tune and left hand together (lofi.compose.pianist); its top
line is the melody track and the rest the chords track, so each keeps its instrument and
stem. The harmony a listener hears in the piano, analysed per beat, is what the bass plays
under; the drums are the style's (learned or the grooves).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lofi.compose.accompanist import BassSampler, chords_by_step
from lofi.compose.arrangement import AS_LEARNED, Arrangement
from lofi.compose.form import LOOP_BARS, FormPlan, form_plan
from lofi.compose.grooves import bass_line
from lofi.compose.pianist import IntervalPianoSampler, piano_sampler
from lofi.compose.piano_loops import block_spans, piano_blocks
from lofi.core.constants import BEATS_PER_BAR, POSITIONS_PER_BAR
from lofi.core.types import GenerationConfig, Note, Part, Song
from lofi.data.analysis import beat_spans, skyline
from lofi.encoding.chord_inference import infer_chords
from lofi.encoding.density import density_bin, density_tokens
from lofi.encoding.tokens import key_shift
from lofi.models.critic import LoopCritic
from lofi.models.sampler import StepModel

ChordEvents = list[tuple[float, float, str]]


def block_tokens(plan: FormPlan, bars: int) -> list[str]:
    """The form token of every 4-bar block: the plan's in the main section, else loop A again."""
    main = plan.sections[1]
    first = plan.letters[0]
    tokens: list[str] = []
    blocks = iter(plan.blocks)
    for bar in range(0, bars, LOOP_BARS):
        in_main = main.start_bar <= bar < main.start_bar + main.bars
        token = next(blocks, first + "=") if in_main else first + "="
        if not any(t[0] == token[0] for t in tokens):
            token = token[0]  # a letter's first block draws its loop
        tokens.append(token)
    return tokens


def heard_harmony(notes: list[Note], song_bars: int, config: GenerationConfig) -> ChordEvents:
    """The chord the analysis hears on each beat of the piano (sounding key), as events."""
    beats = song_bars * BEATS_PER_BAR
    shift = key_shift(config.key)
    symbols = infer_chords(beat_spans(notes, beats), shift, config.key.mode == "minor")
    return [(float(i), 1.0, s) for i, s in enumerate(symbols)]


def piano_part(
    config: GenerationConfig,
    model: StepModel,
    plan: FormPlan,
    rng: np.random.Generator,
    as_learned: bool = True,
    chord_tones: Callable[[float], np.ndarray] | None = None,
    critic: LoopCritic | None = None,
    choices: int = 1,
) -> list[Note]:
    """The piano's notes at sounding pitch, loop by loop along the form plan.

    `chord_tones` (beat → weight per pitch class, normalised key) weighs the top notes of a
    voice-led piano by the chords of a user's loop under it; with the style's `critic` each
    new loop is the one of `choices` drawn it takes most for a piece (lofi.models.critic).
    """
    sampler = piano_sampler(model, config.key.mode, rng, config.sampling, as_learned)
    if isinstance(sampler, IntervalPianoSampler):
        sampler.chord_tones = chord_tones
    spans = block_spans(config.bars, LOOP_BARS)
    tokens = block_tokens(plan, config.bars)
    blocks = [(t, a, b) for t, (a, b) in zip(tokens, spans, strict=True)]
    shift = -key_shift(config.key)
    notes = piano_blocks(sampler, blocks, LOOP_BARS, critic, choices)
    return [Note(n.pitch + shift, n.onset, n.duration, n.velocity) for n in notes]


def split_texture(notes: list[Note]) -> tuple[list[Note], list[Note]]:
    """(top line, the rest): the piano's tune and its chords and left hand."""
    top = skyline(notes)
    taken = {(n.pitch, n.onset) for n in top}
    rest = [n for n in notes if (n.pitch, n.onset) not in taken]
    tune = [n for n in notes if (n.pitch, n.onset) in taken]
    return tune, rest


def compose_piano(
    config: GenerationConfig,
    piano: StepModel,
    bass: StepModel | None,
    form: object,
    arrangement: Arrangement,
    rngs: dict[str, np.random.Generator],
) -> tuple[list[Note], list[Note], list[Note], ChordEvents, FormPlan]:
    """(tune, chords, bass, harmony heard, plan) of a piano song; drums are the caller's.

    The bass plays under the chords the piano's notes sound, as busy as the piano's left
    hand (its lowest line's onsets per bar, the bass model's density input).
    """
    from lofi.models.form import FormModel

    model = form if isinstance(form, FormModel) else None
    plan = form_plan(config.bars, model, config.seed, arrangement.form == "rules")
    as_learned = arrangement.rhythm == AS_LEARNED
    notes = piano_part(config, piano, plan, rngs["piano"], as_learned)
    harmony = heard_harmony(notes, config.bars, config)
    end = float(config.bars * BEATS_PER_BAR)
    shift = -key_shift(config.key)
    if bass is None:
        line = bass_line(rngs["bass"], harmony, shift)
    else:
        sampler = BassSampler(bass, rngs["learned_bass"], config.sampling, shift, as_learned)
        left_hand = density_bin(skyline(notes, lowest=True))
        sampler.context = density_tokens(bass.vocab, left_hand)
        line = sampler.line(end, chords_by_step(harmony, config.bars * POSITIONS_PER_BAR))
    intro = plan.sections[0]
    bass_in = intro.bars * BEATS_PER_BAR * arrangement.bass_entry
    tune, chords = split_texture(notes)
    return tune, chords, [n for n in line if n.onset >= bass_in], harmony, plan


def piano_song(
    config: GenerationConfig,
    tune: list[Note],
    chords: list[Note],
    bass: list[Note],
    drums: list[Note],
    harmony: ChordEvents,
    plan: FormPlan,
) -> Song:
    """The Song of a piano texture, its bass and drums."""
    parts = (
        Part("chords", tuple(chords)),
        Part("melody", tuple(tune)),
        Part("bass", tuple(bass)),
        Part("drums", tuple(drums), is_drum=True),
    )
    return Song(config.key, config.bpm, config.bars, parts, plan.sections, tuple(harmony))
