"""From models and settings to a Song: chord loops, a melody over them, bass and drums."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lofi.compose.accompanist import BassSampler, CompSampler, chords_by_step
from lofi.compose.around_loop import (
    LoopPart,
    in_blocks,
    loop_harmony,
    melody_likelihood,
    normalised,
    tiled,
    tiled_events,
    tune_returns,
)
from lofi.compose.arrangement import ARRANGEMENT, AS_LEARNED, Arrangement
from lofi.compose.chord_loops import LOOP_BEATS, TONICS, ChordSampler, chord_layout
from lofi.compose.drummer import DrumSampler
from lofi.compose.form import LOOP_BARS, form_plan, main_block_starts
from lofi.compose.grooves import bass_line, comp_chords, drum_bar
from lofi.compose.melody import ChordEvents, MelodySampler, humanize
from lofi.core.constants import BEATS_PER_BAR, POSITIONS_PER_BAR
from lofi.core.types import GenerationConfig, Note, Part, Section, Song
from lofi.encoding.density import density_tokens
from lofi.encoding.tokens import key_shift
from lofi.learn.form import FormModel
from lofi.learn.sampler import StepModel
from lofi.learn.timing import TimingModel


@dataclass(frozen=True)
class SongModels:
    """The part samplers of a style; a part without a model plays the rules in grooves."""

    melody: StepModel
    chords: StepModel
    melody_id: str = ""
    chords_id: str = ""
    drums: StepModel | None = None
    drums_id: str = ""
    form: FormModel | None = None  # None: the fallback rules:form
    form_id: str = ""
    bass: StepModel | None = None  # None: the fallback rules:bass
    bass_id: str = ""
    comping: StepModel | None = None  # None: the fallback rules:comping
    comping_id: str = ""
    timing: TimingModel | None = None  # None: the fallback rules:grid
    timing_id: str = ""


def _move(notes: list[Note], offset: float, pitch_shift: int = 0) -> list[Note]:
    return [Note(n.pitch + pitch_shift, n.onset + offset, n.duration, n.velocity) for n in notes]


def _generators(config: GenerationConfig) -> dict[str, np.random.Generator]:
    """The random generators of the song's parts.

    With part seeds, each part draws from generators of its own seed only, so a new seed for
    one part leaves the others note for note (the melody follows the chords it is sampled
    over, the bass their roots). Without, the song's seed drives every part as before part
    seeds existed: melody humanising, comping, bass and drum rules share one generator.
    """
    if config.part_seeds is None:
        rng = np.random.default_rng(config.seed)
        chords, melody, groove = (np.random.default_rng(s) for s in rng.integers(0, 2**63, 3))
        # The learned parts' generators leave the rules' generator untouched.
        return {
            "chords": chords,
            "melody": melody,
            "humanize": groove,
            "comping": groove,
            "bass": groove,
            "drums": groove,
            "learned_drums": np.random.default_rng((config.seed, 0xD2)),
            "learned_comping": np.random.default_rng((config.seed, 0xC0)),
            "learned_bass": np.random.default_rng((config.seed, 0xBA)),
        }
    seed = config.seed_of
    return {
        "chords": np.random.default_rng((seed("chords"), 1)),
        "comping": np.random.default_rng((seed("chords"), 2)),
        "melody": np.random.default_rng((seed("melody"), 1)),
        "humanize": np.random.default_rng((seed("melody"), 2)),
        "bass": np.random.default_rng((seed("bass"), 1)),
        "drums": np.random.default_rng((seed("drums"), 1)),
        "learned_drums": np.random.default_rng((seed("drums"), 0xD2)),
        "learned_comping": np.random.default_rng((seed("chords"), 0xC0)),
        "learned_bass": np.random.default_rng((seed("bass"), 0xBA)),
    }


def compose(
    config: GenerationConfig,
    models: SongModels,
    arrangement: Arrangement = ARRANGEMENT,
    loop: LoopPart | None = None,
) -> Song:
    """Writes a whole song. The same config, models and arrangement always give the same song.

    The form plan (lofi.compose.form) gives the sections and, per 4-bar block of the main
    section, which chord loop plays and whether its tune is new, repeated or varied. A
    user's `loop` is one part note for note through the whole track; the models compose
    the others around it, hearing it (lofi.compose.around_loop).
    """
    rngs = _generators(config)
    chord_rng, melody_rng = rngs["chords"], rngs["melody"]
    mode = config.key.mode
    loop_beats = LOOP_BARS * BEATS_PER_BAR
    plan = form_plan(config.bars, models.form, config.seed, arrangement.form == "rules")
    sections = plan.sections
    intro, main, _outro = sections
    starts = main_block_starts(config.bars, main)
    end = config.bars * BEATS_PER_BAR
    given_starts: list[float] = []  # where the loop plays, in the A sections
    if loop is None or loop.in_a_sections:
        own = loop_harmony(loop.loop, LOOP_BEATS) if loop is not None else None
        harmony, blocks = chord_layout(config, models.chords, arrangement, plan, chord_rng, own)
        if loop is not None:
            tokens = dict(zip(starts, plan.blocks, strict=True))
            given_starts = [
                float(bar * BEATS_PER_BAR)
                for bar in range(0, config.bars, LOOP_BARS)
                if tokens.get(bar, plan.letters[0])[0] == plan.letters[0]
            ]
    else:
        blocks = [(plan.blocks[i], float(bar * BEATS_PER_BAR)) for i, bar in enumerate(starts)]
        if loop.is_chords:
            harmony = loop_harmony(loop.loop, end)
        else:  # the chord model hears the user's melody; its loop repeats with the melody
            chords = ChordSampler(models.chords, mode, chord_rng, config.sampling)
            chords.heard = melody_likelihood(loop.loop, chords.names)
            heard = chords.loop(int(loop.loop.beats), TONICS[mode], ())
            harmony = tiled_events(heard, loop.loop.beats, end)

    # The timing feel is one training piece: its swing, balance and each part's density.
    feel, timing_rng = None, np.random.default_rng((config.seed, 0x71))
    if arrangement.timing == "style" and models.timing is not None:
        feel = models.timing.draw(timing_rng)
    densities = models.timing.densities(feel) if models.timing and feel is not None else {}
    shift = -key_shift(config.key)
    sampler = MelodySampler(models.melody, melody_rng, config.sampling, shift, arrangement)
    sampler.context = density_tokens(models.melody.vocab, densities.get("melody"))
    melody: list[Note] = []
    tunes: dict[str, list[Note]] = {}  # the tune each chord loop last introduced
    origins: dict[str, float] = {}  # where it was introduced
    half = loop_beats / 2
    main_end = (main.start_bar + main.bars) * BEATS_PER_BAR
    for token, start in blocks:
        letter, mark = token[0], token[1:]
        stop = min(start + loop_beats, main_end)
        if loop is not None and not loop.is_chords:
            break  # the user's melody is the tune
        if (
            mark in ("", "+")
            or letter not in tunes
            or not tune_returns(loop, origins[letter], start)  # over other chords of the loop
        ):
            notes = sampler.phrase(start, stop, harmony)
            tunes[letter], origins[letter] = _move(notes, -start), start
        elif mark == "~":  # a variation: same opening, a new answer
            kept = [n for n in tunes[letter] if n.onset < half]
            notes = _move(kept, start) + sampler.phrase(start + half, stop, harmony)
        else:
            notes = [n for n in _move(tunes[letter], start) if n.onset < stop]
        melody += notes

    given: list[Note] = []  # the user's notes, where they play
    if loop is not None and loop.in_a_sections:
        given = [
            n
            for n in in_blocks(loop.loop.notes, loop.loop.beats, given_starts, LOOP_BEATS)
            if n.onset < end
        ]
    elif loop is not None:
        given = tiled(loop.loop.notes, loop.loop.beats, end)
    if loop is not None and not loop.is_chords:
        melody = normalised(given, loop.loop)  # the comping hears the user's tune
    melody_notes = [humanize(rngs["humanize"], n, shift, arrangement) for n in melody]
    bars = models.timing.comping_bars(feel) if models.timing and feel is not None else ()
    as_learned = arrangement.rhythm == AS_LEARNED
    chord_notes, bass_line_notes = _accompaniment(
        config, models, harmony, shift, rngs, as_learned, densities, melody, bars, loop
    )
    bass_in = intro.bars * BEATS_PER_BAR * arrangement.bass_entry
    bass_notes = [n for n in bass_line_notes if n.onset >= bass_in]
    if models.timing is not None and feel is not None:
        chord_notes, melody_notes, bass_notes = models.timing.balanced(
            models.timing.place(
                (chord_notes, melody_notes, bass_notes),
                timing_rng,
                config.bars * POSITIONS_PER_BAR,
                feel,
            ),
            feel,
        )
    if loop is not None:  # the user's notes stay where they were played
        if loop.in_a_sections:  # the comping plays the other chord loops
            chord_notes = [
                n
                for n in chord_notes
                if not any(a <= n.onset < a + LOOP_BEATS for a in given_starts)
            ] + given
        elif loop.is_chords:
            chord_notes = given
        else:
            melody_notes = given
    if as_learned:
        chord_notes, melody_notes, bass_notes = (
            untangled(chord_notes),
            untangled(melody_notes),
            untangled(bass_notes),
        )
    drums = _drums(config, models, sections, rngs["drums"], rngs["learned_drums"], arrangement)
    parts = (
        Part("chords", tuple(chord_notes)),
        Part("melody", tuple(melody_notes)),
        Part("bass", tuple(bass_notes)),
        Part("drums", tuple(drums), is_drum=True),
    )
    song_chords = tuple((t, b, n) for t, b, n in harmony)
    return Song(config.key, config.bpm, config.bars, parts, sections, song_chords)


def untangled(notes: list[Note]) -> list[Note]:
    """The notes with each one ending by the next onset of its pitch in the part.

    MIDI has one key per pitch and channel: a note struck again while it still sounds would
    have its second strike silenced by the first one's note-off.
    """
    order = sorted(range(len(notes)), key=lambda i: (notes[i].onset, notes[i].pitch))
    result = list(notes)
    last: dict[int, int] = {}
    for i in order:
        n = notes[i]
        j = last.get(n.pitch)
        if j is not None and result[j].onset + result[j].duration > n.onset:
            kept = round(max(n.onset - result[j].onset, 0.0), 4)
            prev = result[j]
            result[j] = Note(prev.pitch, prev.onset, kept, prev.velocity)
        last[n.pitch] = i
    return [n for n in result if n.duration > 0]


def _accompaniment(
    config: GenerationConfig,
    models: SongModels,
    harmony: ChordEvents,
    shift: int,
    rngs: dict[str, np.random.Generator],
    as_learned: bool,
    densities: dict[str, int],
    melody: list[Note],
    bars: tuple[int, ...],
    loop: LoopPart | None = None,
) -> tuple[list[Note], list[Note]]:
    """Comping and bass: the style's models at the feel's densities, else the rules.

    The comping model hears the tune (`melody`, in the normalised key) and the feel's
    accompaniment bar by bar (`bars`) if it learned to.
    """
    end = float(config.bars * BEATS_PER_BAR)
    steps = chords_by_step(harmony, config.bars * POSITIONS_PER_BAR)
    if loop is not None and loop.is_chords and not loop.in_a_sections:
        comping = []  # the user's chords play instead
    elif models.comping is None:
        comping = comp_chords(rngs["comping"], harmony, shift, 1.0)
    else:
        sampler = CompSampler(
            models.comping, rngs["learned_comping"], config.sampling, shift, as_learned
        )
        sampler.context = density_tokens(models.comping.vocab, densities.get("chords"))
        comping = sampler.part(steps, end, melody, bars)
    if models.bass is None:
        return comping, bass_line(rngs["bass"], harmony, shift)
    bass = BassSampler(models.bass, rngs["learned_bass"], config.sampling, shift, as_learned)
    bass.context = density_tokens(models.bass.vocab, densities.get("bass"))
    return comping, bass.line(end, steps)


def _drums(
    config: GenerationConfig,
    models: SongModels,
    sections: tuple[Section, ...],
    groove_rng: np.random.Generator,
    learned_rng: np.random.Generator,
    arrangement: Arrangement,
) -> list[Note]:
    """Learned drums bar after bar when the style has a drum model, else the groove rules."""
    main = sections[1]
    drums: list[Note] = []
    if models.drums is not None:
        as_learned = arrangement.rhythm == AS_LEARNED
        sampler = DrumSampler(models.drums, learned_rng, config.sampling, as_learned=as_learned)
        for bar in range(config.bars):
            energy = arrangement.drum_energy(bar, sections)
            if energy is not None:
                energy *= config.energy  # the learned drums keep their own swing
            drums += sampler.bar(bar * BEATS_PER_BAR, energy, arrangement.cymbal_floor)
        return drums
    pattern = 0
    for bar in range(config.bars):
        energy = arrangement.drum_energy(bar, sections)
        if energy is None:
            continue
        if bar % 4 == 0:
            pattern = int(groove_rng.integers(0, 5))
        fill = (bar - main.start_bar) % 8 == 7
        start = bar * BEATS_PER_BAR
        drums += drum_bar(groove_rng, start, pattern, energy, fill, config.swing, config.energy)
    return drums
