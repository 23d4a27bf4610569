"""The comping part: the harmony voiced on the chords track, hearing the tune above it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lofi.compose.accompanist import CompSampler, chords_by_step
from lofi.compose.arrangement import AS_LEARNED
from lofi.compose.grooves import comp_chords
from lofi.compose.parts.base import LearnedPart, SongSoFar
from lofi.core.constants import POSITIONS_PER_BAR
from lofi.core.errors import CorpusError
from lofi.core.types import Note
from lofi.encoding.density import density_tokens
from lofi.encoding.tokens import Sequence
from lofi.encoding.vocab import Vocabulary, vocabulary
from lofi.models.sampler import StepModel

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus


class CompingPart(LearnedPart):
    """Struck voicings per sixteenth from the corpus' own shapes; `rules:comping` without."""

    name = "comping"

    def vocabulary(self, corpus: Corpus) -> Vocabulary:
        """The voicings are the corpus' most common shapes."""
        from lofi.encoding.comping import learn_voicings

        voicings = learn_voicings(corpus.pieces)
        if not voicings:
            raise CorpusError(corpus.name, "no accompaniment under its melodies")
        return vocabulary(self.name, voicings)

    def encode(self, corpus: Corpus, vocab: Vocabulary) -> list[Sequence]:
        """Each piece's accompaniment under its top line."""
        from lofi.encoding.comping import encode_comping

        return [s for s in (encode_comping(p, vocab) for p in corpus.pieces) if len(s) > 1]

    def sample(self, song: SongSoFar, model: StepModel | None) -> list[Note]:
        """The model's comping at the feel's density, hearing the tune; else the rules."""
        if song.loop is not None and song.loop.is_chords and not song.loop.in_a_sections:
            return []  # the user's chords play instead
        if model is None:
            return comp_chords(song.rngs["comping"], song.harmony, song.shift, 1.0)
        config = song.config
        steps = chords_by_step(song.harmony, config.bars * POSITIONS_PER_BAR)
        as_learned = song.arrangement.rhythm == AS_LEARNED
        sampler = CompSampler(
            model, song.rngs["learned_comping"], config.sampling, song.shift, as_learned
        )
        sampler.context = density_tokens(model.vocab, song.densities.get(self.spec.track))
        return sampler.part(steps, song.end, song.heard.get("melody", []), song.comping_bars)


PART = CompingPart()
