"""The learned bass and accompaniment: their models sampled step by step over the song's chords.

Both read the chord under each step as its root and quality family (lofi.encoding.
chord_context) and work in the normalised key; the notes are moved into the song's key last.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lofi.compose.player import Player
from lofi.core.constants import BASS_PITCH_MAX, BASS_PITCH_MIN, DURATION_BINS, POSITIONS_PER_BAR
from lofi.core.types import Note
from lofi.encoding.chord_context import chord_context, root_of
from lofi.encoding.chords import NO_CHORD, symbol
from lofi.encoding.comping import STEP, ceiling_inputs, step_notes
from lofi.encoding.density import bar_density_tokens
from lofi.encoding.dynamics import velocity_of
from lofi.encoding.vocab import BAR_DENSITY, BOS, CEILING, DENSITY, REST
from lofi.models.sampler import StepModel

DIATONIC = np.array([pc in (0, 2, 4, 5, 7, 9, 11) for pc in range(12)])  # C major
ChordEvents = list[tuple[float, float, str]]


def chords_by_step(harmony: ChordEvents, steps: int) -> list[str]:
    """The chord symbol sounding on each sixteenth from beat 0 (N where none is)."""
    names = [NO_CHORD] * steps
    for onset, beats, name in harmony:
        first = round(onset / STEP)
        for s in range(max(first, 0), min(first + round(beats / STEP), steps)):
            names[s] = name
    return names


def _context(model: StepModel, name: str) -> dict[str, int]:
    root, quality = chord_context(name)
    return {
        "root": model.vocab.index("root", root),
        "quality": model.vocab.index("quality", quality),
    }


class BassSampler(Player):
    """A bass line note by note; with stay-in-key only the key's and the chord's notes."""

    def _setup(self) -> None:
        model, shift = self.model, self.shift
        self.prev = {"pitch": 0, "duration": 0, "velocity": 0}
        tokens = model.vocab.inputs["pitch"]
        self.rest: np.ndarray = np.array([t == REST for t in tokens])
        self.rest_index = int(np.argmax(self.rest)) if self.rest.any() else -1
        pitches = np.array([int(t) if t not in (BOS, REST) else -1 for t in tokens])
        sounding = pitches + shift
        self.classes = np.where(pitches >= 0, pitches % 12, -1)
        self.in_range: np.ndarray = np.asarray(
            (pitches >= 0) & (sounding >= BASS_PITCH_MIN) & (sounding <= BASS_PITCH_MAX)
        )
        self.not_bos = np.arange(model.vocab.size("velocity")) > 0

    def _pitch_mask(self, name: str) -> np.ndarray:
        if not self.sampling.stay_in_key:
            return self.in_range | self.rest  # type: ignore[no-any-return]
        allowed = DIATONIC.copy()
        if name != NO_CHORD:
            allowed[list(symbol(name).pitch_classes)] = True
        mask: np.ndarray = (self.in_range & allowed[self.classes]) | self.rest
        return mask

    def line(self, end: float, step_chords: list[str]) -> list[Note]:
        """Samples from beat 0 to `end` over the chord of each sixteenth; sounding pitches."""
        notes: list[Note] = []
        t = 0.0
        while t < end - 1e-6:
            name = step_chords[min(round(t / STEP), len(step_chords) - 1)]
            position = round(t * 4) % POSITIONS_PER_BAR
            tokens = {**self.prev, **_context(self.model, name), "position": position}
            probs = self.model.step({**tokens, **self.context}, self.state)
            mask = self._pitch_mask(name)
            p = (
                self._sound(probs["pitch"], self.rest_index, mask)
                if self.rest_index >= 0
                else self._choose(probs["pitch"], mask)
            )
            fits = np.array([False] + [t + d <= end + 1e-6 for d in DURATION_BINS])
            d = self._rhythm(probs["duration"], fits)
            v = self._rhythm(probs["velocity"], self.not_bos)
            beats = DURATION_BINS[d - 1] if fits.any() else end - t
            token = self.model.vocab.inputs["pitch"][p]
            if token != REST:
                velocity = velocity_of(self.model.vocab.inputs["velocity"][v])
                notes.append(Note(int(token) + self.shift, round(t, 4), beats, velocity))
            self.prev = {"pitch": p, "duration": d, "velocity": v}
            t += beats
        return notes


class CompSampler(Player):
    """The accompaniment step by step: strike or not; if so voicing, octave, length, loudness."""

    def _setup(self) -> None:
        outputs = self.model.vocab.outputs
        self.none = dict.fromkeys(outputs, 1)
        self.prev = dict.fromkeys(outputs, 0)
        self.struck = {n: np.arange(self.model.vocab.size(n)) > 1 for n in outputs}

    def part(
        self,
        step_chords: list[str],
        end: float,
        melody: Sequence[Note] = (),
        bars: tuple[int, ...] = (),
    ) -> list[Note]:
        """Every step of the song; notes end by `end` beats, in sounding pitches.

        `melody` is the song's tune in the normalised key, `bars` the density bin of each bar
        (a feel's piece's): a model with those inputs voices under the tune and plays as
        busily as each bar asks (lofi.encoding.comping.ceiling_inputs, lofi.encoding.density).
        """
        notes: list[Note] = []
        vocab = self.model.vocab
        outputs = vocab.outputs
        per_step = {
            CEILING: ceiling_inputs(vocab, melody, step_chords),
            BAR_DENSITY: bar_density_tokens(
                vocab, bars, self.context.get(DENSITY), len(step_chords)
            ),
        }
        inputs = {k: v for k, v in per_step.items() if v is not None}
        for step, name in enumerate(step_chords):
            position = step % POSITIONS_PER_BAR
            tokens = {**self.prev, **_context(self.model, name), "position": position}
            tokens.update({k: int(v[step]) for k, v in inputs.items()})
            probs = self.model.step({**tokens, **self.context}, self.state)
            voicing = self._sound(probs["voicing"], 1, np.arange(len(probs["voicing"])) > 0)
            if voicing == 1:
                self.prev = dict(self.none)
                continue
            chosen = {"voicing": voicing}
            for head in outputs[1:]:
                chosen[head] = self._rhythm(probs[head], self.struck[head])
            self.prev = chosen
            for n in step_notes(self.model.vocab, chosen, step * STEP, root_of(name)):
                pitch = int(np.clip(n.pitch + self.shift, 0, 127))
                notes.append(
                    Note(pitch, n.onset, round(min(n.duration, end - n.onset), 4), n.velocity)
                )
        return notes
