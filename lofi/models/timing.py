"""The timing model: how far a piece plays ahead of or behind the sixteenth grid.

The note models see onsets on a sixteenth grid. Human MIDI is rarely on it: swing moves the
off-beats late, triplets fall between sixteenths, players push and pull, and a piece keeps
its feel throughout (in the bundled corpora a piece has either almost no onset off the grid
or nearly half of them). So the model is a set of feels, one per training piece with at
least MIN_ONSETS onsets: per sixteenth of the bar, the histogram of its onsets' deviations
from the nearest sixteenth, in BINS bins over ±half a sixteenth. A song draws one feel and,
for each distinct onset of its pitched parts (so notes struck together stay together), a
deviation from that feel's row for the onset's position, smoothed by the whole corpus' row
for that position. Stored as timing.json beside the style's part models with the
corpus hash. Drums keep their own learned or rule timing.

Format 2 adds to each feel its piece's swing and balance. The swing (lofi.encoding.swing):
the note models learn from straightened pieces, the deviations are measured on the
straightened piece, and a song that draws a swung feel has its onsets and note ends swung
back by that piece's ratio. The balance: the median velocity of the piece's accompaniment,
melody and bass line; a song's parts are scaled to the drawn feel's, so they play at one
piece's levels instead of each part model's own. The density: each part's density bin
in that piece, which the melody, bass and comping models are given (lofi.encoding.density),
and its accompaniment's bin bar by bar, which the comping model is given.
Format 1 files (none of these) still load and play as they always did.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.errors import CheckpointError
from lofi.core.types import Note, Piece
from lofi.encoding.density import bar_bins, density_bin
from lofi.encoding.swing import STRAIGHT, straight_piece, swing_ratio, swung
from lofi.encoding.vocab import DENSITY_TOKENS

TIMING_FILE = "timing.json"
TIMING_FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
STEPS_PER_BEAT = 4
POSITIONS = BEATS_PER_BAR * STEPS_PER_BEAT
BINS = 24  # over [-1/2, 1/2) of a sixteenth: 1/96 of a beat each
ON_GRID = BINS // 2
MIN_ONSETS = 32  # a shorter piece teaches no feel
SMOOTHING = 1.0  # pseudo-counts of the corpus' own row added to each feel's row
FALLBACK_TIMING = "rules:grid"  # every pitched note on its sixteenth
PARTS = ("chords", "melody", "bass")  # the order `place` and `balanced` take a song's parts in
MAX_BARS = 1024  # the longest accompaniment profile a feel keeps


def deviations(notes: Iterable[Note]) -> np.ndarray:
    """(POSITIONS, BINS) counts of the distinct onsets' positions and deviation bins."""
    table = np.zeros((POSITIONS, BINS), dtype=np.int64)
    for onset in {round(n.onset, 4) for n in notes}:
        grid = onset * STEPS_PER_BEAT
        step = int(np.floor(grid + 0.5))
        offset = grid - step  # in [-1/2, 1/2) sixteenths
        table[step % POSITIONS, min(int((offset + 0.5) * BINS), BINS - 1)] += 1
    return table


def off_grid_share(table: np.ndarray) -> float:
    """The share of a count table's onsets more than a fifth of a sixteenth off the grid."""
    centre = (np.arange(BINS) + 0.5) / BINS - 0.5
    total = table.sum()
    return float(table[..., np.abs(centre) > 0.2].sum() / total) if total else 0.0


@dataclass(frozen=True)
class TimingModel:
    """The feels: a (feels, POSITIONS, BINS) array of counts, and what they came from.

    `swing` holds each feel's swing ratio, `loudness` its median velocity per part of PARTS
    (0: the piece has no such part) and `density` its density bin per part
    (lofi.encoding.density), `comping` its accompaniment's bin per bar; all are empty in
    format 1 (straight, unscaled), and `density` and `comping` in format-2 files written
    before them.
    """

    feels: np.ndarray
    corpus: str = ""
    corpus_hash: str = ""
    swing: tuple[float, ...] = ()
    loudness: tuple[tuple[float, ...], ...] = ()
    density: tuple[tuple[int, ...], ...] = ()
    comping: tuple[tuple[int, ...], ...] = ()

    def comping_bars(self, feel: int) -> tuple[int, ...]:
        """The feel's piece's accompaniment bin per bar (empty for older files)."""
        return self.comping[feel] if self.comping else ()

    def densities(self, feel: int) -> dict[str, int]:
        """The feel's piece's density bin per part of PARTS (empty for older files)."""
        return dict(zip(PARTS, self.density[feel], strict=True)) if self.density else {}

    def draw(self, rng: np.random.Generator) -> int:
        """A feel, drawn uniformly: one training piece's."""
        return int(rng.integers(len(self.feels)))

    def probabilities(self, feel: int) -> np.ndarray:
        """One feel's deviation distribution per position.

        Each row is smoothed by SMOOTHING pseudo-counts of the whole corpus' distribution at
        that position (the grid, where no piece plays there).
        """
        pooled = self.feels.sum(axis=0).astype(float)
        pooled[pooled.sum(axis=1) == 0, ON_GRID] = 1.0
        pooled /= pooled.sum(axis=1, keepdims=True)
        table = self.feels[feel].astype(float) + SMOOTHING * pooled
        return table / table.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]

    def place(
        self,
        parts: Sequence[Sequence[Note]],
        rng: np.random.Generator,
        steps: int,
        feel: int | None = None,
    ) -> list[list[Note]]:
        """The parts' notes with one drawn feel, one deviation per sixteenth step, its swing.

        The draws are made for every step of the song (`steps` of them) whether a note
        starts there or not, so one part made again leaves the others' timing as it was.
        Notes starting on the same step move together; a note keeps its length (in straight
        time); no onset moves before beat 0. Without `feel`, one is drawn from `rng` first.
        """
        feel = self.draw(rng) if feel is None else feel
        probs = self.probabilities(feel)
        ratio = self.swing[feel] if self.swing else STRAIGHT
        cumulative = np.cumsum(probs, axis=1)
        draws = rng.random((steps, 2))
        positions = np.arange(steps) % POSITIONS
        bins = (draws[:, :1] > cumulative[positions]).sum(axis=1).clip(0, BINS - 1)
        offsets = np.where(
            bins == ON_GRID, 0.0, ((bins + draws[:, 1]) / BINS - 0.5) / STEPS_PER_BEAT
        )

        def moved(note: Note) -> Note:
            step = int(np.floor(note.onset * STEPS_PER_BEAT + 0.5))
            offset = float(offsets[step]) if 0 <= step < steps else 0.0
            onset = max(note.onset + offset, 0.0)
            if ratio == STRAIGHT:
                return Note(note.pitch, round(onset, 4), note.duration, note.velocity)
            start, end = swung(onset, ratio), swung(onset + note.duration, ratio)
            return Note(note.pitch, round(start, 4), round(end - start, 4), note.velocity)

        return [[moved(n) for n in ns] for ns in parts]

    def balanced(self, parts: Sequence[Sequence[Note]], feel: int) -> list[list[Note]]:
        """The parts (in PARTS order) each scaled so its median velocity is the feel's.

        A part the feel's piece lacks, and every part of a format-1 model, is left as it is.
        """
        if not self.loudness:
            return [list(ns) for ns in parts]
        out = []
        for notes, target in zip(parts, self.loudness[feel], strict=False):
            if not notes or target <= 0:
                out.append(list(notes))
                continue
            gain = target / float(np.median([n.velocity for n in notes]))
            out.append(
                [
                    Note(
                        n.pitch, n.onset, n.duration, int(np.clip(round(n.velocity * gain), 1, 127))
                    )
                    for n in notes
                ]
            )
        return out

    def to_json(self) -> dict[str, Any]:
        """The feels and provenance, as timing.json holds them."""
        return {
            "format_version": TIMING_FORMAT_VERSION,
            "corpus": self.corpus,
            "corpus_hash": self.corpus_hash,
            "bins": BINS,
            "positions": POSITIONS,
            "feels": self.feels.astype(int).tolist(),
            "swing": list(self.swing),
            "loudness": [list(row) for row in self.loudness],
            "density": [list(row) for row in self.density],
            "comping_bars": [list(row) for row in self.comping],
        }


def fit_timing(pieces: Iterable[Piece], corpus: str = "", corpus_hash: str = "") -> TimingModel:
    """One feel per piece with at least MIN_ONSETS distinct onsets: its swing and deviations.

    Raises:
        CheckpointError: when no piece is long enough to teach a feel.
    """
    feels, ratios, loudness, density, comping = [], [], [], [], []
    for piece in pieces:
        ratio = swing_ratio(piece.notes)
        straight = straight_piece(piece, ratio)
        table = deviations(straight.notes)
        if table.sum() >= MIN_ONSETS:
            lines = part_lines(straight)
            feels.append(table)
            ratios.append(ratio)
            loudness.append(tuple(_median_velocity(ns) for ns in lines))
            density.append(tuple(density_bin(ns) for ns in lines))
            bars = int(np.ceil(straight.length_beats / BEATS_PER_BAR))
            comping.append(bar_bins(lines[0], min(max(bars, 1), MAX_BARS)))
    if not feels:
        raise CheckpointError(f"no piece has {MIN_ONSETS} onsets to learn a timing feel from")
    return TimingModel(
        np.stack(feels),
        corpus,
        corpus_hash,
        tuple(ratios),
        tuple(loudness),
        tuple(density),
        tuple(comping),
    )


def part_lines(piece: Piece) -> tuple[Sequence[Note], ...]:
    """The piece's accompaniment, melody and bass line, in PARTS order."""
    from lofi.encoding.bass import bass_notes
    from lofi.encoding.comping import comp_notes

    return comp_notes(piece), piece.melody, bass_notes(piece)


def _median_velocity(notes: Sequence[Note]) -> float:
    """The notes' median velocity (0 for none: a part the piece lacks)."""
    return float(np.median([n.velocity for n in notes])) if notes else 0.0


def write_timing(model: TimingModel, path: Path) -> None:
    """Writes timing.json atomically."""
    from lofi.models.checkpoint import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(model.to_json()) + "\n").encode())


def read_timing(path: Path) -> TimingModel:
    """Reads and checks timing.json.

    Raises:
        CheckpointError: a missing or damaged file, or another format.
    """
    try:
        data = json.loads(path.read_text())
        if data.get("format_version") not in READABLE_VERSIONS:
            raise CheckpointError(f"{path} is not timing format {TIMING_FORMAT_VERSION}")
        feels = np.array(data["feels"], dtype=np.int64)
        if feels.ndim != 3 or feels.shape[1:] != (POSITIONS, BINS) or (feels < 0).any():
            raise CheckpointError(f"{path}: the feels are not {POSITIONS}×{BINS} count tables")
        if len(feels) == 0:
            raise CheckpointError(f"{path} holds no feel")
        swing = tuple(float(r) for r in data.get("swing", []))
        if swing and (len(swing) != len(feels) or not all(0.5 <= r < 1 for r in swing)):
            raise CheckpointError(f"{path}: the swing is not one ratio in [0.5, 1) per feel")
        loudness = _per_part(data, "loudness", float, 128, len(feels), path)
        density = _per_part(data, "density", int, len(DENSITY_TOKENS), len(feels), path)
        comping = tuple(tuple(int(v) for v in row) for row in data.get("comping_bars", []))
        if comping and (
            len(comping) != len(feels)
            or not all(0 < len(row) <= MAX_BARS for row in comping)
            or not all(0 <= v < len(DENSITY_TOKENS) for row in comping for v in row)
        ):
            raise CheckpointError(f"{path}: the comping bars are not one bin list per feel")
        corpus, corpus_hash = str(data.get("corpus", "")), str(data.get("corpus_hash", ""))
        return TimingModel(feels, corpus, corpus_hash, swing, loudness, density, comping)
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"cannot read the timing model {path}: {exc}") from exc


def _per_part(
    data: dict[str, Any], key: str, kind: type, limit: int, feels: int, path: Path
) -> tuple[tuple[Any, ...], ...]:
    """A per-feel table of one value per part of PARTS in [0, limit), or () when absent.

    Raises:
        CheckpointError: a table of another shape or with a value out of range.
    """
    rows = tuple(tuple(kind(v) for v in row) for row in data.get(key, []))
    if rows and (
        len(rows) != feels
        or any(len(row) != len(PARTS) or not all(0 <= v < limit for v in row) for row in rows)
    ):
        raise CheckpointError(f"{path}: the {key} is not {len(PARTS)} values per feel")
    return rows


def timing_sha256(path: Path) -> str:
    """The file's hash: a recipe's record of the timing it was played with."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
