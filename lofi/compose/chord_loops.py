"""The song's chords: chord loops drawn one (chord, beats) event at a time, laid out by form.

The chord model draws a loop per letter of the form plan (lofi.compose.form); a user's chord
loop (lofi.compose.around_loop) can take the first letter, and the model hears it before it
draws the others.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lofi.compose.arrangement import Arrangement
from lofi.compose.form import LOOP_BARS, FormPlan, main_block_starts
from lofi.compose.melody import ChordEvents
from lofi.core.constants import BEATS_PER_BAR, CHORD_DURATION_BINS
from lofi.core.types import GenerationConfig, SamplingConfig
from lofi.encoding.chords import NO_CHORD
from lofi.encoding.vocab import MODE_TOKENS
from lofi.models.sampler import State, StepModel, choose

LOOP_BEATS = LOOP_BARS * BEATS_PER_BAR
# Chords a song may open on (the chord model picks among them); the first rings out last.
TONICS = {
    "major": ("Imaj7", "Imaj9", "I6", "I6/9", "Iadd9", "I"),
    "minor": ("vi7", "vi9", "vi11", "viadd9", "vi"),
}


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
        # Given a melody: how likely its notes from a beat on are under each chord.
        self.heard: Callable[[float], np.ndarray] | None = None

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

    def hear(self, events: ChordEvents) -> None:
        """Steps the model through given chords (the user's), as if it had drawn them."""
        for t, beats, name in events:
            self.model.step(self.tokens, self.state)
            d = 1 + int(np.argmin([abs(beats - b) for b in CHORD_DURATION_BINS]))
            chord = self.names.index(name) if name in self.names else self.names.index(NO_CHORD)
            self.tokens = {"chord": chord, "duration": d, "position": int(t + beats) % 4}

    def _sample(
        self, beats: int, first: tuple[str, ...] | None, avoid: tuple[str, ...]
    ) -> ChordEvents:
        events: ChordEvents = []
        t = 0.0
        while t < beats:
            probs = self.model.step(self.tokens, self.state)
            if self.heard is not None:
                weighted = probs["chord"] * self.heard(t)
                probs = {**probs, "chord": weighted / weighted.sum()}
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


def shifted(events: ChordEvents, offset: float) -> ChordEvents:
    """The events `offset` beats later."""
    return [(t + offset, b, n) for t, b, n in events]


def chord_layout(
    config: GenerationConfig,
    chord_model: StepModel,
    arrangement: Arrangement,
    plan: FormPlan,
    chord_rng: np.random.Generator,
    given: ChordEvents | None = None,
) -> tuple[ChordEvents, list[tuple[str, float]]]:
    """The chord loops the model draws per form letter, laid out; the main blocks' starts.

    A `given` chord loop (the user's) is the first letter's; the model hears it first.
    """
    mode = config.key.mode
    chords = ChordSampler(chord_model, mode, chord_rng, config.sampling)
    loops: dict[str, ChordEvents] = {}
    for i, letter in enumerate(plan.letters):
        if given is not None and i == 0:
            loops[letter] = given
            chords.hear(given)
            continue
        tonic = arrangement.open_on_tonic
        first = TONICS[mode] if tonic and i == 0 else None
        loops[letter] = chords.loop(LOOP_BEATS, first, TONICS[mode] if tonic and i else ())
    harmony: ChordEvents = []
    blocks: list[tuple[str, float]] = []  # (form token, start beat) per main block
    starts = main_block_starts(config.bars, plan.sections[1])
    for bar in range(0, config.bars, LOOP_BARS):
        start = float(bar * BEATS_PER_BAR)
        token = plan.blocks[len(blocks)] if bar in starts else plan.letters[0]
        harmony += shifted(loops[token[0]], start)
        if bar in starts:
            blocks.append((token, start))
    end = config.bars * BEATS_PER_BAR
    harmony = [(t, min(b, end - t), n) for t, b, n in harmony if t < end]
    if arrangement.close_on_tonic and given is None:  # the last chord rings out on the tonic
        last_t = harmony[-1][0]
        harmony[-1] = (last_t, end - last_t, TONICS[mode][0])
    return harmony, blocks
