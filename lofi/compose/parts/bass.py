"""The bass part: a line under the harmony, entering after the intro as arranged."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lofi.compose.accompanist import BassSampler, chords_by_step
from lofi.compose.arrangement import AS_LEARNED
from lofi.compose.grooves import bass_line
from lofi.compose.parts.base import LearnedPart, SongSoFar
from lofi.core.constants import BEATS_PER_BAR, POSITIONS_PER_BAR
from lofi.core.errors import CorpusError
from lofi.core.types import Note
from lofi.encoding.density import density_tokens
from lofi.encoding.tokens import Sequence
from lofi.encoding.vocab import Vocabulary
from lofi.models.sampler import StepModel

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus


class BassPart(LearnedPart):
    """A learned bass line (bass-program tracks, else each piece's lowest line)."""

    name = "bass"
    lacking = "pieces with a bass line"

    def encode(self, corpus: Corpus, vocab: Vocabulary) -> list[Sequence]:
        """One sequence per piece with a bass: its bass-program notes, else its lowest line."""
        from lofi.data.channel_reader import read_bass
        from lofi.encoding.bass import encode_bass

        sources: tuple[Path | None, ...] = corpus.sources or (None,) * len(corpus.pieces)
        out = []
        for piece, source in zip(corpus.pieces, sources, strict=True):
            try:
                program_notes = read_bass(source) if source is not None else ()
            except CorpusError:
                program_notes = ()
            seq = encode_bass(piece, vocab, program_notes)
            if len(seq) > 1:
                out.append(seq)
        return out

    def sample(self, song: SongSoFar, model: StepModel | None) -> list[Note]:
        """The model's line at the feel's density, or `rules:bass`; silent in the intro."""
        config = song.config
        if model is None:
            line = bass_line(song.rngs["bass"], song.harmony, song.shift)
        else:
            steps = chords_by_step(song.harmony, config.bars * POSITIONS_PER_BAR)
            as_learned = song.arrangement.rhythm == AS_LEARNED
            bass = BassSampler(
                model, song.rngs["learned_bass"], config.sampling, song.shift, as_learned
            )
            bass.context = density_tokens(model.vocab, song.densities.get(self.spec.track))
            line = bass.line(song.end, steps)
        intro = song.plan.sections[0]
        bass_in = intro.bars * BEATS_PER_BAR * song.arrangement.bass_entry
        return [n for n in line if n.onset >= bass_in]


PART = BassPart()
