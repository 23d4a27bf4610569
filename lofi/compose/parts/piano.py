"""The piano part: the whole piano texture (chords, top line, left hand) as one stream.

It plays instead of the chords, melody and comping parts (its registry entry `replaces`
them): a style that learned it holds the piano, the bass and the drums. Its loops follow
the form plan (lofi.compose.piano_song); its top line is the melody track and the rest the
chords track, so each keeps its instrument and stem. The harmony the piano sounds is what
the bass plays under, as busy as the piano's left hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lofi.compose.around_loop import chord_tone_weights, loop_harmony
from lofi.compose.parts.base import LearnedPart, SongSoFar
from lofi.compose.piano_song import heard_harmony, piano_part, split_texture
from lofi.core.types import Note
from lofi.data.analysis import skyline
from lofi.encoding.density import density_bin
from lofi.encoding.tokens import Sequence
from lofi.encoding.vocab import Vocabulary
from lofi.models.sampler import StepModel

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus


class PianoPart(LearnedPart):
    """A REMI-style stream of every piano voice (lofi.encoding.piano)."""

    name = "piano"

    def vocabulary(self, corpus: Corpus) -> Vocabulary:
        """The piano's fixed token set (the voice-led stream with its texture, version 3)."""
        from lofi.encoding.piano_intervals import interval_vocabulary

        return interval_vocabulary()

    def encode(self, corpus: Corpus, vocab: Vocabulary) -> list[Sequence]:
        """Each piece's whole texture as one token stream."""
        from lofi.encoding.piano import encode_piano
        from lofi.encoding.piano_intervals import encode_interval_piano, is_interval_vocabulary

        encode = encode_interval_piano if is_interval_vocabulary(vocab) else encode_piano
        return [s for s in (encode(p, vocab) for p in corpus.pieces) if len(s) > 1]

    def sample(self, song: SongSoFar, model: StepModel | None) -> dict[str, list[Note]]:
        """The tune and the chords tracks; the song's harmony is the one the piano sounds."""
        config, loop = song.config, song.loop
        under = loop is not None and loop.is_chords and not loop.in_a_sections
        # Under a user's chord loop the top notes hear its chords, and so does the bass.
        tones = chord_tone_weights(loop.loop) if under and loop is not None else None
        choices = song.arrangement.loop_choices
        notes = piano_part(
            config,
            self.needed(model),
            song.plan,
            song.rngs["piano"],
            True,
            tones,
            song.critic,
            choices,
        )
        if tones is not None and loop is not None:
            song.harmony = loop_harmony(loop.loop, song.end)
        else:
            song.harmony = heard_harmony(notes, config.bars, config)
        song.densities["bass"] = density_bin(skyline(notes, lowest=True))  # its left hand
        song.untimed.update(("melody", "chords"))  # the piano's own timing stays
        tune, chords = split_texture(notes)
        return {"melody": tune, "chords": chords}


PART = PianoPart()
