"""Small real inputs for the engine's tests: synthetic pieces and tiny trained checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lofi.core.types import ChordSpan, Key, Note, Piece
from lofi.data.corpus import Corpus
from lofi.learn.models import ModelSize
from lofi.learn.train import TrainConfig, train

# ii7 – V7 – Imaj7 – vi7 in C, two beats each, as pitch classes.
PROGRESSION = ((2, 5, 9, 0), (7, 11, 2, 5), (0, 4, 7, 11), (9, 0, 4, 7))
TUNE = (72, 74, 76, 79, 77, 76, 74, 72, 71, 72, 74, 76, 81, 79, 76, 74)


def make_piece(tonic: int = 0, mode: str = "major", bars: int = 8, name: str = "p") -> Piece:
    """A piece in `tonic`'s key: a 16-note tune in eighths and quarters over a ii–V–I–vi loop."""
    shift = tonic if mode == "major" else (tonic + 3) % 12
    melody = []
    t = 0.0
    for i in range(bars * 4):
        beats = 0.5 if i % 3 else 1.0
        melody.append(Note(TUNE[i % len(TUNE)] + shift, t, beats, 64 + 16 * (i % 2)))
        t += beats
        if t >= bars * 4:
            break
    beats_list = []
    for beat in range(bars * 4):
        pcs = PROGRESSION[(beat // 2) % len(PROGRESSION)]
        weights = [0.0] * 12
        for pc in pcs:
            weights[(pc + shift) % 12] = 1.0
        beats_list.append(ChordSpan(float(beat), 1.0, tuple(weights), (pcs[0] + shift) % 12))
    chord_notes = [
        Note(48 + (pc + shift) % 12, float(beat), 1.0, 60)
        for beat in range(bars * 4)
        for pc in PROGRESSION[(beat // 2) % len(PROGRESSION)]
    ]
    return Piece(
        name=name,
        content_hash=f"{name}-{tonic}-{mode}",
        key=Key(tonic, mode),
        tempo_bpm=90.0,
        notes=tuple(sorted(melody + chord_notes, key=lambda n: (n.onset, n.pitch))),
        melody=tuple(melody),
        beats=tuple(beats_list),
        length_beats=float(bars * 4),
    )


def synthetic_corpus(n: int = 6) -> Corpus:
    pieces = tuple(
        make_piece(tonic=(5 * i) % 12, mode="minor" if i % 2 else "major", name=f"p{i}")
        for i in range(n)
    )
    return Corpus(name="synthetic", pieces=pieces, bad=(), content_hash="synthetic")


TINY = ModelSize(units=16, layers=1, embedding=8, dropout=0.0)


def train_tiny(kind: str, out: Path, epochs: int = 2) -> dict[str, object]:
    config = TrainConfig(
        kind=kind,
        corpus="synthetic",
        epochs=epochs,
        seq_len=8,
        batch_size=8,
        size=TINY,
        max_steps=3,
        seed=0,
    )
    return train(config, synthetic_corpus(), out, command="tests")


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
