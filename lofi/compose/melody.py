"""The melody: sampled note by note from the melody model over the song's chords.

Its register, density, lengths and velocities are the model's; the user's explicit options
(`SamplingConfig.density`, `register_low`/`register_high`) and the arrangement's named
fields are the only changes made to what the model proposes.
"""

from __future__ import annotations

import math

import numpy as np

from lofi.compose.arrangement import AS_LEARNED, Arrangement
from lofi.core.constants import DURATION_BINS, POSITIONS_PER_BAR
from lofi.core.types import Note, SamplingConfig
from lofi.encoding.chords import NO_CHORD, context_name
from lofi.encoding.dynamics import velocity_of
from lofi.encoding.vocab import BOS, REST
from lofi.models.sampler import State, StepModel, choose, draw, plays

DIATONIC = frozenset({0, 2, 4, 5, 7, 9, 11})  # C major = A natural minor
ChordEvents = list[tuple[float, float, str]]


def chord_at(harmony: ChordEvents, t: float) -> str:
    """The chord sounding at beat `t` (NO_CHORD outside the harmony)."""
    for onset, beats, name in harmony:
        if onset <= t < onset + beats:
            return name
    return NO_CHORD


def duration_weights(arrangement: Arrangement, density: float) -> np.ndarray | None:
    """Factors on the duration head (index 0 is the start token), or None for none.

    `density` above 1 favours short lengths by ``beats ** -log2(density)``, below 1 long ones.
    """
    weights = np.ones(1 + len(DURATION_BINS))
    if arrangement.sixteenth_weight != 1.0:
        weights[1:] *= [arrangement.sixteenth_weight if d < 0.5 else 1.0 for d in DURATION_BINS]
    if density != 1.0:
        weights[1:] *= np.power(np.array(DURATION_BINS), -math.log2(density))
    return None if np.all(weights == 1.0) else weights


class MelodySampler:
    """Samples the melody over given harmony from the melody model, one note or rest a step.

    Only the stay-in-key and register masks and the density weights (the user's options)
    and the arrangement's named fields change what the model proposes.
    """

    def __init__(
        self,
        model: StepModel,
        rng: np.random.Generator,
        s: SamplingConfig,
        shift: int,
        arrangement: Arrangement,
    ) -> None:
        self.model = model
        self.rng = rng
        self.sampling = s
        self.state: State = model.initial_state()
        vocab = model.vocab
        self.pitches = vocab.inputs["pitch"]
        self.chord_names = vocab.inputs["chord"]
        self.prev = {"pitch": 0, "duration": 0, "velocity": 0}
        low = max(arrangement.melody_low, s.register_low)
        high = min(arrangement.melody_high, s.register_high)
        ok = []
        for tok in self.pitches:
            if tok == BOS:
                ok.append(False)
            elif tok == REST:
                ok.append(True)
            else:
                p = int(tok)
                in_range = low <= p + shift <= high
                ok.append(in_range and (not s.stay_in_key or p % 12 in DIATONIC))
        self.pitch_mask = np.array(ok)
        self.vel_mask = np.arange(vocab.size("velocity")) > 0
        self.durations = duration_weights(arrangement, s.density)
        # Fewer or more rests with the density: a rest is 1/density times as likely.
        self.rests: np.ndarray | None = None
        if s.density != 1.0:
            self.rests = np.where(np.array([t == REST for t in self.pitches]), 1 / s.density, 1.0)
        self.as_learned = arrangement.rhythm == AS_LEARNED
        self.rest = self.pitches.index(REST) if REST in self.pitches else -1
        self.context: dict[str, int] = {}  # piece-level inputs fed every step (density)

    def _pitch(self, probs: np.ndarray) -> int:
        """A rest or a pitch; as learned, a rest comes at the model's odds (and the density's)."""
        s = self.sampling
        if not self.as_learned or self.rest < 0:
            return choose(probs, self.rng, s.temperature, s.top_k, s.top_p, self.pitch_mask)
        if not plays(probs, self.rest, self.pitch_mask, self.rng):
            return self.rest
        sounding = self.pitch_mask.copy()
        sounding[self.rest] = False
        return choose(probs, self.rng, s.temperature, s.top_k, s.top_p, sounding)

    def phrase(self, start: float, end: float, harmony: ChordEvents) -> list[Note]:
        """Samples notes from `start` to `end` beats (normalised key) over `harmony`."""
        notes: list[Note] = []
        t = start
        while t < end - 1e-6:
            chord = chord_at(harmony, t)
            tokens = {
                **self.prev,
                "chord": self.chord_names.index(context_name(chord)),
                "position": round(t * 4) % POSITIONS_PER_BAR,
                **self.context,
            }
            probs = self.model.step(tokens, self.state)
            s = self.sampling
            pitch = probs["pitch"] if self.rests is None else probs["pitch"] * self.rests
            p = self._pitch(pitch)
            fits = np.array([False] + [t + d <= end + 1e-6 for d in DURATION_BINS])
            lengths = (
                probs["duration"] if self.durations is None else probs["duration"] * self.durations
            )
            if self.as_learned:
                d = draw(lengths, self.rng, fits)
                v = draw(probs["velocity"], self.rng, self.vel_mask)
            else:
                d = choose(lengths, self.rng, s.temperature, s.top_k, s.top_p, fits)
                v = choose(
                    probs["velocity"], self.rng, s.temperature, s.top_k, s.top_p, self.vel_mask
                )
            beats = DURATION_BINS[d - 1] if fits.any() else end - t
            if self.pitches[p] != REST:
                velocity = velocity_of(self.model.vocab.inputs["velocity"][v])
                notes.append(Note(int(self.pitches[p]), t, beats, velocity))
            self.prev = {"pitch": p, "duration": d, "velocity": v}
            t += beats
        return notes


def humanize(rng: np.random.Generator, note: Note, shift: int, arrangement: Arrangement) -> Note:
    """The arrangement's named timing, velocity and legato rules on one melody note."""
    a = arrangement
    onset = max(note.onset + rng.normal(0.0, a.timing_jitter), 0.0)
    loud = note.velocity * a.melody_velocity_scale + rng.normal(0.0, a.velocity_jitter)
    velocity = int(np.clip(round(loud), 1, 127))
    return Note(note.pitch + shift, round(onset, 4), round(note.duration * a.legato, 4), velocity)
