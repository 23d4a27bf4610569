"""The learned piano: one multi-voice stream sampled token by token.

The model (lofi.encoding.piano) plays every voice at once: held chords, the tune on top and
the left hand under them. The samplers here draw its tokens under the stream's grammar; a
version-3 stream plays one texture through the song: held chords, unless its user asks
otherwise. lofi.compose.piano_loops makes a song's loops of them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import SamplingConfig
from lofi.encoding.piano import (
    BAR,
    PIANO_PITCH_MAX,
    PIANO_PITCH_MIN,
    PIANO_VELOCITIES,
    TICKS_PER_BEAT,
    Cursor,
    decode_tokens,
)
from lofi.encoding.piano_intervals import (
    HELD_TEXTURE,
    LEGATO,
    UNKNOWN_TEXTURE,
    IntervalCursor,
    decode_interval_tokens,
    is_interval_vocabulary,
)
from lofi.encoding.vocab import BOS, MODE_TOKENS
from lofi.models.sampler import State, StepModel, choose, draw

MAX_TOKENS_PER_BAR = 240  # a runaway bar is closed (80 notes: far beyond any piece's bar)


class PianoSampler:
    """Samples the piano stream (version 1) in the normalised key; `feed` plays tokens into it."""

    decode = staticmethod(decode_tokens)

    def restart(self) -> None:
        """Version 1 plays on from the stream so far (its songs keep their notes)."""

    def __init__(
        self,
        model: StepModel,
        mode: str,
        rng: np.random.Generator,
        sampling: SamplingConfig,
        as_learned: bool = True,
    ):
        self.model = model
        self.as_learned = as_learned
        self.rng = rng
        self.sampling = sampling
        names = model.vocab.inputs["token"]
        self.names = names
        self.index = {t: i for i, t in enumerate(names)}
        kinds = np.array([t[0] if t not in (BOS, BAR) else t for t in names])
        self.is_bar: np.ndarray = kinds == BAR
        self.is_pos: np.ndarray = kinds == "p"
        self.is_note: np.ndarray = kinds == "n"
        self.is_dur: np.ndarray = kinds == "d"
        self.is_vel: np.ndarray = kinds == "v"
        self.number = np.array(
            [int(t[1:]) if k in ("p", "n", "v") else -1 for t, k in zip(names, kinds, strict=True)]
        )
        self.mode = MODE_TOKENS.index(f"<{mode}>")
        self.state = model.initial_state()
        self.prev = 0  # BOS
        self.cursor: Cursor | IntervalCursor = Cursor()
        self._masks: dict[tuple[object, ...], np.ndarray] = {}
        self._prepare(kinds)

    def _prepare(self, kinds: np.ndarray) -> None:
        """What a later stream version reads of its tokens (`kinds`: each token's letter)."""

    def _inputs(self) -> dict[str, int]:
        return {"token": self.prev, "mode": self.mode, **self.cursor.inputs()}

    def _mask(self) -> np.ndarray:
        """The tokens the grammar allows next, made once per state it depends on.

        A hand-kept cache, a third of the time of building the mask at every token; the
        arrays it returns are shared and never written to.
        """
        key = self._mask_key()
        mask = self._masks.get(key)
        if mask is None:
            mask = self._masks[key] = self._grammar()
        return mask

    def _mask_key(self) -> tuple[object, ...]:
        """What `_grammar` reads: the last token's kind, and the cursor after an onset's end."""
        kind = self.names[self.prev][0]
        if kind in ("p", "n", "d"):
            return (kind,)
        return (kind == "v", self.cursor.struck, self.cursor.last if kind == "v" else None)

    def _grammar(self) -> np.ndarray:
        """The tokens the grammar allows next: bar, position, note, duration, velocity."""
        kind = self.names[self.prev]
        if kind.startswith("p"):
            return self.is_note
        if kind.startswith("n"):
            return self.is_dur
        if kind.startswith("d"):
            return self.is_vel
        later: np.ndarray = self.is_pos & (self.number > self.cursor.struck)
        mask: np.ndarray = self.is_bar | later
        if kind.startswith("v"):  # another note of this onset, above the last
            mask = mask | (self.is_note & (self.number > self.cursor.last))
        return mask

    def _advance(self, index: int) -> None:
        self.cursor.advance(self.names[index])
        self.prev = index

    def _draw(self, probs: np.ndarray, mask: np.ndarray) -> int:
        """The next token: the rhythm as learned, the pitches shaped by the sampling settings.

        As learned (the arrangement's rhythm), whether another note sounds, where the next
        onset falls and each note's length and loudness are drawn at the model's own odds
        (temperature, top-k and top-p cut the long held notes first); the pitch of a note
        is then drawn among the notes with the settings.
        """
        s = self.sampling
        if not self.as_learned:
            return choose(probs, self.rng, s.temperature, s.top_k, s.top_p, mask)
        index = draw(probs, self.rng, mask)
        if self.is_note[index]:
            index = choose(probs, self.rng, s.temperature, s.top_k, s.top_p, mask & self.is_note)
        return index

    def _heard(self, probs: np.ndarray) -> np.ndarray:
        """The model's odds; versions 2 and 3 weigh a top note by the chord a user's loop plays."""
        return probs

    def feed(self, tokens: list[str]) -> None:
        """Plays `tokens` into the model's state, as if it had drawn them."""
        for token in tokens:
            self.model.step(self._inputs(), self.state)
            self._advance(self.index[token])

    def bars(self, count: int) -> list[str]:
        """Draws `count` bars of tokens, each ending with its closing `bar`."""
        out: list[str] = []
        in_bar = 0
        while count > 0:
            probs = self.model.step(self._inputs(), self.state)
            mask = self._mask()
            if in_bar >= MAX_TOKENS_PER_BAR and (mask & self.is_bar).any():
                mask = self.is_bar
            index = self._draw(self._heard(probs["token"]), mask)
            self._advance(index)
            out.append(self.names[index])
            in_bar += 1
            if self.names[index] == BAR:
                count -= 1
                in_bar = 0
        return out


class IntervalPianoSampler(PianoSampler):
    """Samples the voice-led piano stream (versions 2 and 3, lofi.encoding.piano_intervals)."""

    decode = staticmethod(decode_interval_tokens)

    def _prepare(self, kinds: np.ndarray) -> None:
        """The voice-led tokens: named and moved top notes, drops, touch and steps."""
        self.is_named: np.ndarray = kinds == "n"
        self.is_move: np.ndarray = kinds == "t"
        self.is_drop: np.ndarray = kinds == "i"
        self.is_note = self.is_named | self.is_move | self.is_drop
        relative = np.array([t[0] == "v" and t[1] in "+-" for t in self.names])
        self.is_touch: np.ndarray = self.is_vel & ~relative
        self.is_step: np.ndarray = self.is_vel & relative
        self.number = np.array(
            [
                int(t[1:]) if k in ("p", "n", "t", "i", "v") and t != LEGATO else 0
                for t, k in zip(self.names, kinds, strict=True)
            ]
        )
        self.cursor = self.voice = IntervalCursor()
        # Under a user's chord loop: beat → weight per pitch class of the chord there
        # (lofi.compose.around_loop.chord_tone_weights), and the beat the loop starts at.
        self.chord_tones: Callable[[float], np.ndarray] | None = None
        self.origin = 0.0
        # Version 3: the texture (held chords, or drawn at the pack's odds once a song) that
        # each of its streams plays first (SamplingConfig.held_chords).
        self.textures: tuple[str, ...] = self.model.vocab.inputs.get("texture", ())
        self.is_texture: np.ndarray = kinds == "x"
        self.texture: str | None = None
        self.texture_input = 0
        if self.textures:
            self._name_texture()

    def _inputs(self) -> dict[str, int]:
        inputs = super()._inputs()
        return {**inputs, "texture": self.texture_input} if self.textures else inputs

    def _name_texture(self) -> None:
        """Plays the stream's texture token first (held chords, or drawn once at its odds)."""
        self.texture_input = self.textures.index(UNKNOWN_TEXTURE)
        if self.texture is None and self.sampling.held_chords:
            self.texture = HELD_TEXTURE
        if self.texture is None:
            probs = self.model.step(self._inputs(), self.state)
            self.texture = self.names[draw(probs["token"], self.rng, self.is_texture)]
            self._advance(self.index[self.texture])
        else:
            self.feed([self.texture])
        self.texture_input = self.textures.index(self.texture)

    def _heard(self, probs: np.ndarray) -> np.ndarray:
        """The odds with the top note's weighed by the chord under it (under a user's loop)."""
        if self.chord_tones is None or self.names[self.prev][0] != "p":
            return probs
        voice = self.voice
        beat = self.origin + voice.bar * BEATS_PER_BAR + voice.position / TICKS_PER_BEAT
        tones = self.chord_tones(beat)
        pitch = np.where(self.is_named, self.number, voice.top + self.number)
        weighed: np.ndarray = np.where(
            self.is_named | self.is_move, probs * tones[np.mod(pitch, 12)], probs
        )
        return weighed

    def restart(self) -> None:
        """A fresh stream: each loop is drawn from the start, as each piece was learned."""
        self.state = self.model.initial_state()
        self.prev = 0  # BOS
        self.cursor = self.voice = IntervalCursor()
        if self.textures:
            self._name_texture()

    def snapshot(self) -> tuple[State, int, IntervalCursor]:
        """Where the stream is: to draw from here again (`restore`) without replaying it."""
        return self.state.copy(), self.prev, copy.copy(self.voice)

    def restore(self, snapshot: tuple[State, int, IntervalCursor]) -> None:
        """Goes back to a `snapshot`, as if the tokens after it had never been drawn."""
        state, self.prev, voice = snapshot
        self.state = state.copy()
        self.cursor = self.voice = copy.copy(voice)

    def _drops(self) -> np.ndarray:
        mask: np.ndarray = self.is_drop & (self.voice.last - self.number >= PIANO_PITCH_MIN)
        return mask

    def _mask_key(self) -> tuple[object, ...]:
        """What `_grammar` reads of the last token's kind and of where the voice is."""
        kind = self.names[self.prev][0]
        voice = self.voice
        if kind == "p":
            return (kind, voice.fresh, None if voice.fresh else voice.top)
        if kind in ("n", "t", "i"):
            return ("n", voice.last)
        if kind == "d":
            return (kind, voice.touched, voice.loudness if voice.touched else None)
        return (kind == "v", voice.struck, voice.last if kind == "v" else None)

    def _grammar(self) -> np.ndarray:
        """The grammar: position, top note (named or moved), drops under it, length, loudness."""
        kind = self.names[self.prev][0]
        voice = self.voice
        if kind == "p":
            if voice.fresh:
                return self.is_named
            top = voice.top + self.number
            moves: np.ndarray = self.is_move & (top >= PIANO_PITCH_MIN) & (top <= PIANO_PITCH_MAX)
            return moves
        if kind in ("n", "t", "i"):
            more: np.ndarray = self.is_dur | self._drops()
            return more
        if kind == "d":  # the stream's first run names its touch, the others step from it
            if not voice.touched:
                return self.is_touch
            step = voice.loudness + self.number
            steps: np.ndarray = self.is_step & (step >= 0) & (step < len(PIANO_VELOCITIES))
            return steps
        mask: np.ndarray = self.is_bar | (self.is_pos & (self.number > voice.struck))
        if kind == "v":
            mask = mask | self._drops()
        return mask


def piano_sampler(
    model: StepModel,
    mode: str,
    rng: np.random.Generator,
    sampling: SamplingConfig,
    as_learned: bool = True,
) -> PianoSampler:
    """The sampler of the piano stream version the model learned."""
    if is_interval_vocabulary(model.vocab):
        return IntervalPianoSampler(model, mode, rng, sampling, as_learned)
    return PianoSampler(model, mode, rng, sampling, as_learned)
