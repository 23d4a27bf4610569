"""evaluate's loop case: songs built on pieces' own chords, measured against those pieces.

Each piece becomes a loop (lofi.encoding.loop) and a song is composed around it, the loop
as its chords; the song's melody is then judged against the loop's chords, beside the
piece's own top line against the same chords. Two figures: the chord-tone ratio on the
strong beats (1 and 3) and the share of time the melody rests.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lofi.compose.around_loop import LoopPart
from lofi.compose.song import compose
from lofi.core.constants import BEATS_PER_BAR
from lofi.core.errors import CorpusError, EvaluationError
from lofi.core.types import GenerationConfig, Note, Piece, Song
from lofi.data.corpus import Corpus
from lofi.data.split import split_pieces
from lofi.encoding.loop import Loop, loop_of_piece
from lofi.models import SongModels
from lofi.tools.metrics import chord_tone_counts

GENERATED, PIECES = "generated", "pieces"
WHICH = ("held-out", "all")  # the pieces the loops come from
ALIKE = 0.05  # chord-tone ratios this close read as alike (issue 24's "done when" margin)
Progress = Callable[[str, float], object]


@dataclass(frozen=True)
class LoopCaseReport:
    """The loop case's figures, songs beside the pieces they were built on."""

    corpus: str
    which: str  # "held-out" or "all": the pieces the loops came from
    pieces: int  # loops built on
    skipped: int  # pieces that could not be a loop (too long)
    bars: int
    seed: int
    chord_tone_ratio: dict[str, float]  # GENERATED / PIECES: melody notes on beats 1 and 3
    judged_notes: dict[str, int]
    rest_share: dict[str, float]  # share of the melody's time with no note sounding

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON (NaN as null)."""
        return {
            k: ({n: (None if isinstance(x, float) and math.isnan(x) else x) for n, x in v.items()})
            if isinstance(v, dict)
            else v
            for k, v in asdict(self).items()
        }

    def json_text(self) -> str:
        """The figures as the JSON file's text."""
        return json.dumps(self.to_json(), indent=1) + "\n"

    def write_json(self, path: Path) -> None:
        """Writes the figures to `path`."""
        path.write_text(self.json_text())

    def table(self) -> list[dict[str, str]]:
        """The figures as rows (figure, generated, pieces), formatted for reading."""

        def text(value: float) -> str:
            return "–" if math.isnan(value) else f"{value:.3f}"

        rows = [
            {
                "figure": label,
                **{side: text(getattr(self, name)[side]) for side in (GENERATED, PIECES)},
            }
            for name, label in (
                ("chord_tone_ratio", "chord tones on beats 1 and 3"),
                ("rest_share", "share of time resting"),
            )
        ]
        notes = {side: str(self.judged_notes[side]) for side in (GENERATED, PIECES)}
        return [*rows, {"figure": "notes on beats 1 and 3 judged", **notes}]

    def reading(self) -> str:
        """One line saying what the figures mean."""
        songs, pieces = self.chord_tone_ratio[GENERATED], self.chord_tone_ratio[PIECES]
        if math.isnan(songs) or math.isnan(pieces):
            tones = "one side has no melody notes on beats 1 and 3 to judge"
        else:
            gap = abs(songs - pieces)
            verdict = (
                f"within {ALIKE:g}: alike"
                if gap <= ALIKE
                else f"{gap:.2f} apart, more than {ALIKE:g}"
            )
            tones = (
                f"over the pieces' own chords, {songs:.0%} of the songs' melody notes on beats "
                f"1 and 3 are chord tones, against {pieces:.0%} of the pieces' top-line notes "
                f"({verdict})"
            )
        rests = self.rest_share
        return (
            f"{tones[0].upper()}{tones[1:]}; the songs' melody rests {rests[GENERATED]:.0%} of "
            f"the time, the pieces' top lines {rests[PIECES]:.0%}."
        )

    def lines(self) -> list[str]:
        """The figures as a plain-text table."""
        head = (
            f"loop case, corpus {self.corpus} ({self.which} pieces): {self.pieces} songs of "
            f"{self.bars} bars built on the pieces' own chords ({self.skipped} skipped)"
        )
        rows = [head, f"  {'':32s} {'generated':>10s} {'pieces':>10s}"]
        for name in ("chord_tone_ratio", "rest_share"):
            values = getattr(self, name)
            rows.append(f"  {name:32s} {values[GENERATED]:10.3f} {values[PIECES]:10.3f}")
        judged = self.judged_notes
        rows.append(
            f"  {'strong-beat notes judged':32s} {judged[GENERATED]:10d} {judged[PIECES]:10d}"
        )
        return rows


def rest_share(melody: Sequence[Note], start: float, end: float) -> float:
    """The share of [start, end) in which none of the melody's notes sounds."""
    if end <= start:
        return float("nan")
    spans = sorted((max(n.onset, start), min(n.end, end)) for n in melody)
    covered, reach = 0.0, start
    for a, b in spans:
        a = max(a, reach)
        if b > a:
            covered += b - a
            reach = b
    return 1.0 - covered / (end - start)


def loop_song(loop: Loop, models: SongModels, seed: int, bars: int) -> Song:
    """A song of `bars` bars around the loop as its chords, at the loop's key and tempo."""
    config = GenerationConfig(seed=seed, key=loop.key, bpm=loop.bpm, bars=bars)
    return compose(config, models, loop=LoopPart(loop, "chords"))


def _beat_chords(loop: Loop) -> list[tuple[float, float, str]]:
    return [(float(b), 1.0, name) for b, name in enumerate(loop.chords)]


def loop_pieces(corpus: Corpus, which: str, held_out: float = 0.2) -> tuple[Piece, ...]:
    """The pieces the loops come from: the held-out part of the corpus, or every piece."""
    if which not in WHICH:
        raise EvaluationError(f"the loop case takes held-out or all pieces, not {which}")
    if which == "all":
        return corpus.pieces
    held = split_pieces(corpus, held_out)[1]
    if not held:
        raise EvaluationError(
            f"{corpus.name} holds too few pieces to keep some out; take all its pieces"
        )
    return held


def corpus_loop_case(
    corpus: Corpus,
    models: SongModels,
    which: str = "held-out",
    held_out: float = 0.2,
    seed: int = 1,
    bars: int = 16,
    progress: Progress | None = None,
) -> LoopCaseReport:
    """The loop case on a corpus' held-out (or every) piece; see `loop_case`."""
    pieces = loop_pieces(corpus, which, held_out)
    return loop_case(pieces, models, corpus.name, which, seed, bars, progress)


def loop_case(
    pieces: Sequence[Piece],
    models: SongModels,
    corpus: str,
    which: str = "held-out",
    seed: int = 1,
    bars: int = 16,
    progress: Progress | None = None,
) -> LoopCaseReport:
    """Builds a song on each piece's own chords and compares their melodies.

    The songs' melodies are judged over the main section (where the melody plays), the
    pieces' top lines over the loop.

    Raises:
        EvaluationError: when no piece can be a loop.
    """
    report = progress or (lambda stage, fraction: None)
    counts = {GENERATED: np.zeros(2, int), PIECES: np.zeros(2, int)}
    rests: dict[str, list[float]] = {GENERATED: [], PIECES: []}
    made = skipped = 0
    why = ""  # the first piece's reason for not being a loop, for the error
    for i, piece in enumerate(pieces):
        report("loop songs", i / max(len(pieces), 1))
        try:
            loop = loop_of_piece(piece)
        except CorpusError as exc:
            skipped += 1
            why = why or f" ({exc})"
            continue
        song = loop_song(loop, models, seed + i, bars)
        main = song.sections[1]
        start, end = main.start_bar * BEATS_PER_BAR, (main.start_bar + main.bars) * BEATS_PER_BAR
        melody = song.part("melody").notes
        counts[GENERATED] += chord_tone_counts(melody, song.chords, song.key)
        rests[GENERATED].append(rest_share(melody, start, end))
        counts[PIECES] += chord_tone_counts(loop.top_line, _beat_chords(loop), loop.key)
        rests[PIECES].append(rest_share(loop.top_line, 0.0, loop.beats))
        made += 1
    if not made:
        raise EvaluationError(f"none of the {len(pieces)} pieces of {corpus} can be a loop{why}")
    report("done", 1.0)
    return LoopCaseReport(
        corpus=corpus,
        which=which,
        pieces=made,
        skipped=skipped,
        bars=bars,
        seed=seed,
        chord_tone_ratio={k: float(c[0] / c[1]) if c[1] else math.nan for k, c in counts.items()},
        judged_notes={k: int(c[1]) for k, c in counts.items()},
        rest_share={k: float(np.mean(v)) for k, v in rests.items()},
    )
