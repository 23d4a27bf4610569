"""From models and settings to a Song: chord loops, a melody over them, bass and drums."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lofi.compose.arrangement import ARRANGEMENT
from lofi.compose.drummer import DrumSampler
from lofi.compose.grooves import bass_line, comp_chords, drum_bar
from lofi.core.constants import BEATS_PER_BAR, CHORD_DURATION_BINS, DURATION_BINS, POSITIONS_PER_BAR
from lofi.core.types import GenerationConfig, Note, Part, SamplingConfig, Section, Song
from lofi.encoding.chords import NO_CHORD, context_name
from lofi.encoding.tokens import key_shift
from lofi.encoding.vocab import BOS, MODE_TOKENS, REST
from lofi.learn.sampler import State, StepModel, choose

DIATONIC = frozenset({0, 2, 4, 5, 7, 9, 11})  # C major = A natural minor
LOOP_BARS = 4
MELODY_RANGE = (57, 86)  # sounding MIDI pitches: above the chords, below the shrill
# Lofi tunes breathe: sixteenth notes are drawn a third as often as the model proposes.
LAZY = np.array([1.0] + [0.35 if d < 0.5 else 1.0 for d in DURATION_BINS])
# Chords a song may open on (the chord model picks among them); the first rings out last.
TONICS = {
    "major": ("Imaj7", "Imaj9", "I6", "I6/9", "Iadd9", "I"),
    "minor": ("vi7", "vi9", "vi11", "viadd9", "vi"),
}
ChordEvents = list[tuple[float, float, str]]


@dataclass(frozen=True)
class SongModels:
    """The part samplers of a style; a part without a model plays the rules in grooves."""

    melody: StepModel
    chords: StepModel
    melody_id: str = ""
    chords_id: str = ""
    drums: StepModel | None = None
    drums_id: str = ""


class ChordSampler:
    """Samples chord loops from the chord model, one (chord, beats) event at a time."""

    def __init__(self, model: StepModel, mode: str, rng: np.random.Generator, s: SamplingConfig):
        self.model = model
        self.rng = rng
        self.sampling = s
        names = model.vocab.inputs["chord"]
        self.names = names
        self.state = model.initial_state()
        self.tokens = {
            "chord": names.index(MODE_TOKENS[mode == "minor"]),
            "duration": 0,
            "position": 0,
        }
        self.allowed = np.array([n not in (*MODE_TOKENS, NO_CHORD) for n in names])
        self.mode = mode

    def loop(
        self, beats: int, first: tuple[str, ...] | None, avoid: tuple[str, ...]
    ) -> ChordEvents:
        """One loop of chords filling `beats`; the first chord from `first`, not from `avoid`."""
        start = (self.state.copy(), dict(self.tokens))
        best: tuple[ChordEvents, State, dict[str, int]] | None = None
        for _attempt in range(8):  # a loop of one or two chords is drawn again
            self.state, self.tokens = start[0].copy(), dict(start[1])
            events = self._sample(beats, first, avoid)
            if best is None or len({e[2] for e in events}) > len({e[2] for e in best[0]}):
                best = (events, self.state, self.tokens)
            if len({e[2] for e in events}) >= min(3, beats // 4):
                break
        assert best is not None
        events, self.state, self.tokens = best
        return events

    def _sample(
        self, beats: int, first: tuple[str, ...] | None, avoid: tuple[str, ...]
    ) -> ChordEvents:
        events: ChordEvents = []
        t = 0.0
        while t < beats:
            probs = self.model.step(self.tokens, self.state)
            mask = self.allowed.copy()
            if not events:
                if first:
                    mask &= np.array([n in first for n in self.names])
                mask &= np.array([n not in avoid for n in self.names])
            else:
                mask &= np.array([n != events[-1][2] for n in self.names])
            c = choose(
                probs["chord"],
                self.rng,
                self.sampling.temperature,
                self.sampling.top_k,
                self.sampling.top_p,
                mask,
            )
            fits = np.array([False] + [d % 2 == 0 and t + d <= beats for d in CHORD_DURATION_BINS])
            if not fits.any():
                d_index = 1 + CHORD_DURATION_BINS.index(min(CHORD_DURATION_BINS))
                beats_d = beats - t
            else:
                d_index = choose(
                    probs["duration"], self.rng, self.sampling.temperature, 0, 1.0, fits
                )
                beats_d = CHORD_DURATION_BINS[d_index - 1]
            events.append((t, float(beats_d), self.names[c]))
            self.tokens = {"chord": c, "duration": d_index, "position": int(t + beats_d) % 4}
            t += beats_d
        return events


class MelodySampler:
    """Samples the melody over given harmony from the melody model, one note or rest a step."""

    def __init__(
        self, model: StepModel, rng: np.random.Generator, s: SamplingConfig, shift: int
    ) -> None:
        self.model = model
        self.rng = rng
        self.sampling = s
        self.state: State = model.initial_state()
        vocab = model.vocab
        self.pitches = vocab.inputs["pitch"]
        self.chord_names = vocab.inputs["chord"]
        self.prev = {"pitch": 0, "duration": 0, "velocity": 0}
        ok = []
        for tok in self.pitches:
            if tok == BOS:
                ok.append(False)
            elif tok == REST:
                ok.append(True)
            else:
                p = int(tok)
                in_range = MELODY_RANGE[0] <= p + shift <= MELODY_RANGE[1]
                ok.append(in_range and (not s.stay_in_key or p % 12 in DIATONIC))
        self.pitch_mask = np.array(ok)
        self.vel_mask = np.arange(vocab.size("velocity")) > 0

    def phrase(self, start: float, end: float, harmony: ChordEvents) -> list[Note]:
        """Samples notes from `start` to `end` beats (normalised key) over `harmony`."""
        notes: list[Note] = []
        t = start
        while t < end - 1e-6:
            chord = _chord_at(harmony, t)
            tokens = {
                **self.prev,
                "chord": self.chord_names.index(context_name(chord)),
                "position": round(t * 4) % POSITIONS_PER_BAR,
            }
            probs = self.model.step(tokens, self.state)
            s = self.sampling
            p = choose(probs["pitch"], self.rng, s.temperature, s.top_k, s.top_p, self.pitch_mask)
            fits = np.array([False] + [t + d <= end + 1e-6 for d in DURATION_BINS])
            d = choose(probs["duration"] * LAZY, self.rng, s.temperature, s.top_k, s.top_p, fits)
            v = choose(probs["velocity"], self.rng, s.temperature, s.top_k, s.top_p, self.vel_mask)
            beats = DURATION_BINS[d - 1] if fits.any() else end - t
            if self.pitches[p] != REST:
                velocity = int(self.model.vocab.inputs["velocity"][v])
                notes.append(Note(int(self.pitches[p]), t, beats, velocity))
            self.prev = {"pitch": p, "duration": d, "velocity": v}
            t += beats
        return notes


def _chord_at(harmony: ChordEvents, t: float) -> str:
    for onset, beats, name in harmony:
        if onset <= t < onset + beats:
            return name
    return NO_CHORD


def _shifted(events: ChordEvents, offset: float) -> ChordEvents:
    return [(t + offset, b, n) for t, b, n in events]


def _move(notes: list[Note], offset: float, pitch_shift: int = 0) -> list[Note]:
    return [Note(n.pitch + pitch_shift, n.onset + offset, n.duration, n.velocity) for n in notes]


def sections_for(bars: int) -> tuple[Section, ...]:
    """Intro, main and outro: 4-bar intro and outro from 24 bars on, 2-bar ones below."""
    edge = 4 if bars >= 24 else 2
    return (
        Section("intro", 0, edge),
        Section("main", edge, bars - 2 * edge),
        Section("outro", bars - edge, edge),
    )


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
        learned = np.random.default_rng((config.seed, 0xD2))  # the rules' generator untouched
        return {
            "chords": chords,
            "melody": melody,
            "humanize": groove,
            "comping": groove,
            "bass": groove,
            "drums": groove,
            "learned_drums": learned,
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
    }


def compose(config: GenerationConfig, models: SongModels) -> Song:
    """Writes a whole song. The same config and models always give the same song."""
    rngs = _generators(config)
    chord_rng, melody_rng = rngs["chords"], rngs["melody"]
    mode = config.key.mode
    loop_beats = LOOP_BARS * BEATS_PER_BAR
    chords = ChordSampler(models.chords, mode, chord_rng, config.sampling)
    loop_a = chords.loop(loop_beats, TONICS[mode], ())
    loop_b = chords.loop(loop_beats, None, TONICS[mode])
    sections = sections_for(config.bars)
    intro, main, _outro = sections
    harmony: ChordEvents = []
    plan: list[tuple[str, float]] = []  # (loop name, start beat) per main block
    for bar in range(0, config.bars, LOOP_BARS):
        start = float(bar * BEATS_PER_BAR)
        block = bar - main.start_bar
        name = "B" if 0 <= block < main.bars and (block // LOOP_BARS) % 4 == 2 else "A"
        harmony += _shifted(loop_b if name == "B" else loop_a, start)
        if 0 <= block < main.bars:
            plan.append((name, start))
    end = config.bars * BEATS_PER_BAR
    harmony = [(t, min(b, end - t), n) for t, b, n in harmony if t < end]
    # The last chord rings out on the tonic.
    last_t = harmony[-1][0]
    harmony[-1] = (last_t, end - last_t, TONICS[mode][0])

    shift = -key_shift(config.key)
    melody_sampler = MelodySampler(models.melody, melody_rng, config.sampling, shift)
    melody: list[Note] = []
    phrases: dict[str, list[Note]] = {}
    half = loop_beats / 2
    for i, (name, start) in enumerate(plan):
        stop = min(start + loop_beats, main.start_bar * BEATS_PER_BAR + main.bars * BEATS_PER_BAR)
        if name not in phrases:
            notes = melody_sampler.phrase(start, stop, harmony)
            phrases[name] = _move(notes, -start)
        elif i % 2 == 1:  # a variation: same opening, a new answer
            kept = [n for n in phrases[name] if n.onset < half]
            notes = _move(kept, start) + melody_sampler.phrase(start + half, stop, harmony)
        else:
            notes = [n for n in _move(phrases[name], start) if n.onset < stop]
        melody += notes

    melody_notes = [_humanize(rngs["humanize"], n, shift) for n in melody]
    chord_notes = comp_chords(rngs["comping"], harmony, shift, 1.0)
    bass_notes = [n for n in bass_line(rngs["bass"], harmony, shift) if n.onset >= intro.bars * 2]
    drums = _drums(config, models, sections, rngs["drums"], rngs["learned_drums"])
    parts = (
        Part("chords", tuple(chord_notes)),
        Part("melody", tuple(melody_notes)),
        Part("bass", tuple(bass_notes)),
        Part("drums", tuple(drums), is_drum=True),
    )
    song_chords = tuple((t, b, n) for t, b, n in harmony)
    return Song(config.key, config.bpm, config.bars, parts, sections, song_chords)


def _drums(
    config: GenerationConfig,
    models: SongModels,
    sections: tuple[Section, ...],
    groove_rng: np.random.Generator,
    learned_rng: np.random.Generator,
) -> list[Note]:
    """Learned drums bar after bar when the style has a drum model, else the groove rules."""
    arrangement = ARRANGEMENT
    main = sections[1]
    drums: list[Note] = []
    if models.drums is not None:
        sampler = DrumSampler(models.drums, learned_rng, config.sampling)
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


def _humanize(rng: np.random.Generator, note: Note, shift: int) -> Note:
    onset = max(note.onset + rng.normal(0.0, 0.01), 0.0)
    velocity = int(np.clip(round(note.velocity * 0.85 + rng.normal(0.0, 5.0)), 1, 127))
    return Note(note.pitch + shift, round(onset, 4), round(note.duration * 0.95, 4), velocity)
