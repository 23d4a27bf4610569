"""The chords part: the chord model draws a loop per form letter; they lay out the song.

Its output is the harmony every other part plays over (the comping voices it on the chords
track); a user's chord loop is the harmony instead (or its first loop, in the A sections),
and a user's melody loop is heard by the chord model (lofi.compose.around_loop). The
sampler and the layout are lofi.compose.chord_loops.
"""

from __future__ import annotations

from lofi.compose.around_loop import loop_harmony, melody_likelihood, tiled_events
from lofi.compose.chord_loops import LOOP_BEATS, TONICS, ChordSampler, chord_layout
from lofi.compose.parts.base import LearnedPart, SongSoFar
from lofi.core.types import Note
from lofi.models.sampler import StepModel


class ChordsPart(LearnedPart):
    """The chord progression; no notes of its own (the comping plays it)."""

    name = "chords"

    def sample(self, song: SongSoFar, model: StepModel | None) -> list[Note]:
        """Sets the song's harmony: the model's loops, or a user's chord loop."""
        config, loop = song.config, song.loop
        chord_rng = song.rngs["chords"]
        if loop is None or loop.in_a_sections:
            own = loop_harmony(loop.loop, LOOP_BEATS) if loop is not None else None
            song.harmony, _blocks = chord_layout(
                config, self.needed(model), song.arrangement, song.plan, chord_rng, own
            )
        elif loop.is_chords:
            song.harmony = loop_harmony(loop.loop, song.end)
        else:  # the chord model hears the user's melody; its loop repeats with the melody
            mode = config.key.mode
            chords = ChordSampler(self.needed(model), mode, chord_rng, config.sampling)
            chords.heard = melody_likelihood(loop.loop, chords.names)
            heard = chords.loop(int(loop.loop.beats), TONICS[mode], ())
            song.harmony = tiled_events(heard, loop.loop.beats, song.end)
        return []


PART = ChordsPart()
