"""Small real inputs for the engine's tests: synthetic pieces and tiny trained checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lofi.audio.soundfonts import Instrument
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


def gm_instruments(font: Path) -> dict[str, Instrument]:
    """The four parts on a General MIDI font: electric piano, vibraphone, bass, the kit."""
    return {
        "chords": Instrument(font, 0, 4),
        "melody": Instrument(font, 0, 11),
        "bass": Instrument(font, 0, 33),
        "drums": Instrument(font, 128, 0),
    }


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))


# --- synthetic corpora of opposite character, written as real MIDI files ----------------------
DIATONIC_TRIADS = ((0, 4, 7), (2, 5, 9), (4, 7, 11), (5, 9, 0), (7, 11, 2), (9, 0, 4))


def write_midi(path: Path, notes: list[tuple[int, float, float, int]], bpm: float = 90.0) -> None:
    """Writes (pitch, onset beat, beats, velocity) notes as a one-track MIDI file."""
    import mido

    tpb = 96
    events = []
    for pitch, onset, beats, velocity in notes:
        events.append((round(onset * tpb), 1, pitch, velocity))
        events.append((round((onset + beats) * tpb), 0, pitch, 0))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))])
    now = 0
    for tick, on, pitch, velocity in sorted(events):
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, note=pitch, velocity=velocity, time=tick - now))
        now = tick
    mid = mido.MidiFile(type=1, ticks_per_beat=tpb)
    mid.tracks.append(track)
    mid.save(path)


def block_piece(rng: np.random.Generator, bars: int = 8) -> list[tuple[int, float, float, int]]:
    """Loud: block chords struck on every beat over a bass on the beat, a tune of quarters and
    eighths on top. Each piece has its own loudness."""
    tonic = int(rng.integers(0, 12))
    loud = int(rng.integers(88, 118))
    notes = []
    for bar in range(bars):
        triad = DIATONIC_TRIADS[int(rng.integers(0, len(DIATONIC_TRIADS)))]
        for beat in range(4):
            t = float(bar * 4 + beat)
            notes.append((36 + (tonic + triad[0]) % 12, t, 1.0, loud))
            for pc in triad:
                notes.append((60 + (tonic + pc) % 12, t, 1.0, loud - 8))
            split = rng.random() < 0.3
            for half in (0.0, 0.5) if split else (0.0,):
                pc = triad[int(rng.integers(0, 3))]
                notes.append((84 + (tonic + pc) % 12, t + half, 0.5 if split else 1.0, loud))
    return [(p, t, d, int(np.clip(v + rng.integers(-6, 7), 1, 127))) for p, t, d, v in notes]


def arpeggio_piece(rng: np.random.Generator, bars: int = 8) -> list[tuple[int, float, float, int]]:
    """Soft and sparse: a held bass note a bar, single chord notes rising in sixteenths after
    a rest, and a slow tune of half notes above them. Each piece has its own loudness."""
    tonic = int(rng.integers(0, 12))
    soft = int(rng.integers(36, 60))
    notes = []
    for bar in range(bars):
        triad = DIATONIC_TRIADS[int(rng.integers(0, len(DIATONIC_TRIADS)))]
        notes.append((36 + (tonic + triad[0]) % 12, bar * 4.0, 4.0, soft))
        start = bar * 4 + 0.5 * int(rng.integers(1, 3))
        for i in range(int(rng.integers(3, 6))):
            pitch = 60 + (tonic + triad[i % 3]) % 12 + 12 * (i // 3)
            notes.append((pitch, start + 0.25 * i, 0.25, soft - 6))
        for half in (0.0, 2.0):
            pc = triad[int(rng.integers(0, 3))]
            notes.append((84 + (tonic + pc) % 12, bar * 4 + half, 2.0, soft))
    return [(p, t, d, int(np.clip(v + rng.integers(-6, 7), 1, 127))) for p, t, d, v in notes]


def write_corpus(folder: Path, kind: str, n: int, seed: int = 0) -> Path:
    """`n` MIDI files of one character ("block" or "arpeggio") into `folder`."""
    rng = np.random.default_rng(seed)
    make = block_piece if kind == "block" else arpeggio_piece
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_midi(folder / f"{kind}{i:02d}.mid", make(rng))
    return folder


# A swung boom-bap bar: (sixteenth step, GM drum, velocity, beats off the grid).
GROOVE = (
    (0, 36, 96, 0.0),
    (0, 42, 64, 0.0),
    (2, 42, 48, 0.075),
    (4, 38, 80, 0.025),
    (4, 42, 64, 0.025),
    (6, 42, 48, 0.075),
    (8, 42, 64, 0.0),
    (10, 36, 80, 0.075),
    (10, 42, 48, 0.075),
    (12, 38, 80, 0.025),
    (12, 46, 64, 0.025),
    (14, 42, 48, 0.075),
)


def write_groove_midi(path: Path, tonic: int = 0, bars: int = 8, drums: bool = True) -> None:
    """A real MIDI file at 120 BPM: a ii–V–I–vi piano part, a tune, and swung drums."""
    import pretty_midi

    piece = make_piece(tonic=tonic, bars=bars, name=path.stem)
    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0, resolution=480)
    piano = pretty_midi.Instrument(program=4, name="keys")
    for n in piece.notes:
        piano.notes.append(pretty_midi.Note(n.velocity, n.pitch, n.onset / 2, n.end / 2))
    midi.instruments.append(piano)
    if drums:
        kit = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
        for bar in range(bars):
            for step, pitch, velocity, late in GROOVE:
                beat = bar * 4 + step / 4 + late
                kit.notes.append(pretty_midi.Note(velocity, pitch, beat / 2, beat / 2 + 0.1))
        midi.instruments.append(kit)
    midi.write(str(path))


def groove_folder(folder: Path, n: int = 4, drums: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_groove_midi(folder / f"groove{i}.mid", tonic=(5 * i) % 12, drums=drums)
    return folder
