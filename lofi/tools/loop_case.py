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
from lofi.encoding.loop import Loop, loop_of_piece
from lofi.models import SongModels
from lofi.tools.metrics import chord_tone_counts

GENERATED, PIECES = "generated", "pieces"
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

    def write_json(self, path: Path) -> None:
        """Writes the figures to `path`."""
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")

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
    for i, piece in enumerate(pieces):
        report("loop songs", i / max(len(pieces), 1))
        try:
            loop = loop_of_piece(piece)
        except CorpusError:
            skipped += 1
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
        raise EvaluationError(f"none of the {len(pieces)} pieces of {corpus} can be a loop")
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
