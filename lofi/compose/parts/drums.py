"""The drums part: the learned kit bar after bar, or the groove rules (`rules:grooves`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lofi.compose.arrangement import AS_LEARNED
from lofi.compose.drummer import DrumSampler
from lofi.compose.grooves import drum_bar
from lofi.compose.parts.base import LearnedPart, SongSoFar
from lofi.core.constants import BEATS_PER_BAR
from lofi.core.errors import CorpusError
from lofi.core.types import Note
from lofi.encoding.tokens import Sequence
from lofi.encoding.vocab import Vocabulary
from lofi.models.sampler import StepModel

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus


class DrumsPart(LearnedPart):
    """Drum hits per sixteenth, read from the pieces' channel-10 tracks."""

    name = "drums"
    lacking = "pieces with drums"

    def encode(self, corpus: Corpus, vocab: Vocabulary) -> list[Sequence]:
        """One sequence per piece whose file has a 4/4 drum part; unreadable drums skipped."""
        from lofi.data.channel_reader import read_drums
        from lofi.encoding.drums import encode_drums

        out = []
        for source in corpus.sources:
            try:
                hits = read_drums(source)
            except CorpusError:
                continue
            seq = encode_drums(hits)
            if len(seq) > 1:
                out.append(seq)
        return out

    def sample(self, song: SongSoFar, model: StepModel | None) -> list[Note]:
        """Learned drums at the arrangement's energy per bar, else the groove rules."""
        config, arrangement, sections = song.config, song.arrangement, song.plan.sections
        drums: list[Note] = []
        if model is not None:
            as_learned = arrangement.rhythm == AS_LEARNED
            learned_rng = song.rngs["learned_drums"]
            sampler = DrumSampler(model, learned_rng, config.sampling, as_learned=as_learned)
            for bar in range(config.bars):
                energy = arrangement.drum_energy(bar, sections)
                if energy is not None:
                    energy *= config.energy  # the learned drums keep their own swing
                drums += sampler.bar(bar * BEATS_PER_BAR, energy, arrangement.cymbal_floor)
            return drums
        groove_rng, main = song.rngs["drums"], sections[1]
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


PART = DrumsPart()
