"""The melody part: a tune per form letter over the harmony, repeated or varied by the form."""

from __future__ import annotations

from lofi.compose.around_loop import normalised, tune_returns
from lofi.compose.form import LOOP_BARS
from lofi.compose.melody import MelodySampler, humanize
from lofi.compose.parts.base import LearnedPart, SongSoFar
from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import Note
from lofi.encoding.density import density_tokens
from lofi.models.sampler import StepModel


class MelodyPart(LearnedPart):
    """The tune: sampled phrase by phrase, kept by the form's repeats; a user's melody loop."""

    name = "melody"

    def sample(self, song: SongSoFar, model: StepModel | None) -> list[Note]:
        """The humanised tune; the comping hears it as sampled (`song.heard`)."""
        config, loop, arrangement = song.config, song.loop, song.arrangement
        melody_model = self.needed(model)
        sampler = MelodySampler(
            melody_model, song.rngs["melody"], config.sampling, song.shift, arrangement
        )
        sampler.context = density_tokens(melody_model.vocab, song.densities.get("melody"))
        loop_beats = LOOP_BARS * BEATS_PER_BAR
        main = song.plan.sections[1]
        melody: list[Note] = []
        tunes: dict[str, list[Note]] = {}  # the tune each chord loop last introduced
        origins: dict[str, float] = {}  # where it was introduced
        half = loop_beats / 2
        main_end = (main.start_bar + main.bars) * BEATS_PER_BAR
        for token, start in song.blocks:
            letter, mark = token[0], token[1:]
            stop = min(start + loop_beats, main_end)
            if loop is not None and not loop.is_chords:
                break  # the user's melody is the tune
            if (
                mark in ("", "+")
                or letter not in tunes
                or not tune_returns(loop, origins[letter], start)  # over other chords of the loop
            ):
                notes = sampler.phrase(start, stop, song.harmony)
                tunes[letter], origins[letter] = _move(notes, -start), start
            elif mark == "~":  # a variation: same opening, a new answer
                kept = [n for n in tunes[letter] if n.onset < half]
                notes = _move(kept, start) + sampler.phrase(start + half, stop, song.harmony)
            else:
                notes = [n for n in _move(tunes[letter], start) if n.onset < stop]
            melody += notes
        if loop is not None and not loop.is_chords:  # the comping hears the user's tune
            melody = normalised(song.given[0], loop.loop)
        song.heard["melody"] = melody
        return [humanize(song.rngs["humanize"], n, song.shift, arrangement) for n in melody]


def _move(notes: list[Note], offset: float) -> list[Note]:
    return [Note(n.pitch, n.onset + offset, n.duration, n.velocity) for n in notes]


PART = MelodyPart()
