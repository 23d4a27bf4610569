"""Chord inference on real MIDI files: extended chords, sus and altered dominants, smoothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from lofi.compose.grooves import bass_line, comp_chords
from lofi.core.types import Note
from lofi.data.analysis import beat_spans
from lofi.data.readers import parse_file
from lofi.encoding.chord_inference import infer_chords, name_chord
from lofi.encoding.chords import (
    CONTEXT_NAMES,
    NO_CHORD,
    QUALITIES,
    SYMBOL_NAMES,
    VOCABULARY,
    chord_name,
    context_name,
    symbol,
    voicing,
)
from lofi.encoding.tokens import chord_events, encode_chords, harmony
from lofi.encoding.vocab import Vocabulary, chord_vocabulary

# Sounding pitches per bar (C major); the first is the bass.
CMAJ7 = (36, 55, 59, 64, 67)  # C | G B E G
DM9 = (38, 48, 53, 57, 64)  # D | C F A E: root, b7, b3, 5, 9
G13 = (43, 53, 59, 64, 69)  # G | F B E A: root, b7, 3, 13, 9
GSUS4 = (43, 50, 55, 60, 62)  # G | D G C D
G7B9 = (43, 53, 59, 62, 68)  # G | F B D Ab
AM7 = (45, 55, 60, 64, 67)  # A | G C E G


def _write_midi(
    path: Path, bars: list[tuple[int, ...]], melody: list[tuple[int, float, float]]
) -> Path:
    """Chords held a bar each (piano), plus melody notes (pitch, onset beat, beats), at 90 BPM."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=90.0)
    seconds = 60.0 / 90.0
    keys = pretty_midi.Instrument(program=4, name="keys")
    for bar, pitches in enumerate(bars):
        for p in pitches:
            start = bar * 4 * seconds
            keys.notes.append(pretty_midi.Note(70, p, start, start + 4 * seconds))
    lead = pretty_midi.Instrument(program=0, name="lead")
    for p, onset, beats in melody:
        lead.notes.append(pretty_midi.Note(90, p, onset * seconds, (onset + beats) * seconds))
    pm.instruments += [keys, lead]
    pm.write(str(path))
    return path


def _bar_chords(path: Path) -> list[str]:
    """The inferred chord of each bar, checking it holds through the bar."""
    piece = parse_file(path)
    assert piece.key.relative_major == 0, piece.key  # C major or A minor: symbols as written
    chords = harmony(piece)
    bars = [chords[i : i + 4] for i in range(0, len(chords) - len(chords) % 4, 4)]
    for bar in bars:
        assert len(set(bar)) == 1, chords
    return [bar[0] for bar in bars]


def test_the_ninth_of_an_m9_and_the_thirteenth_of_a_13_are_heard(tmp_path: Path) -> None:
    path = _write_midi(tmp_path / "ii9_V13.mid", [CMAJ7, DM9, G13, CMAJ7, AM7, DM9, G13, CMAJ7], [])
    assert _bar_chords(path) == ["Imaj7", "ii9", "V13", "Imaj7", "vi7", "ii9", "V13", "Imaj7"]
    assert symbol("ii9").quality == "m9" and symbol("V13").quality == "13"


def test_a_sus4_and_a_flat_nine_dominant_are_heard(tmp_path: Path) -> None:
    path = _write_midi(
        tmp_path / "sus_b9.mid", [CMAJ7, AM7, GSUS4, G7B9, CMAJ7, AM7, GSUS4, G7B9, CMAJ7], []
    )
    assert _bar_chords(path) == [
        "Imaj7", "vi7", "Vsus4", "V7b9", "Imaj7", "vi7", "Vsus4", "V7b9", "Imaj7",
    ]  # fmt: skip


def test_viterbi_keeps_one_chord_across_a_passing_tone(tmp_path: Path) -> None:
    # Over Cmaj7 the tune steps E – D – C – E: the D (a full beat) alone would read as Imaj9.
    tune = [(76, 0.0, 1.0), (74, 1.0, 1.0), (72, 2.0, 1.0), (76, 3.0, 1.0)]
    melody = [(p, bar * 4 + t, d) for bar in range(4) for p, t, d in tune]
    path = _write_midi(tmp_path / "passing.mid", [CMAJ7, AM7, CMAJ7, AM7], melody)
    piece = parse_file(path)
    beat = piece.beats[1]
    assert name_chord(beat.weights, beat.bass) == "Imaj9"  # one beat on its own
    assert harmony(piece)[:4] == ["Imaj7"] * 4  # the bar around it decides
    assert _bar_chords(path) == ["Imaj7", "vi7", "Imaj7", "vi7"]


def test_every_voicing_is_inferred_back_as_its_own_symbol() -> None:
    for minor in (False, True):
        for sym in VOCABULARY:
            notes = [Note(p, 0.0, 4.0, 80) for p in voicing(sym.name, 0)]
            assert infer_chords(beat_spans(notes, 4.0), 0, minor) == [sym.name] * 4, sym


def test_silence_is_no_chord_and_a_short_rest_is_bridged() -> None:
    chord = [Note(p, t, 1.0, 80) for t in (0.0, 1.0, 3.0) for p in (48, 55, 59, 64)]
    assert infer_chords(beat_spans(chord, 4.0), 0) == ["Imaj7"] * 4
    gap = chord + [Note(p, 12.0, 4.0, 80) for p in (45, 55, 60, 64)]
    assert infer_chords(beat_spans(gap, 16.0), 0)[5:10] == [NO_CHORD] * 5
    assert name_chord(np.zeros(12), None) == NO_CHORD


def test_vocabulary_round_trips(tmp_path: Path) -> None:
    assert SYMBOL_NAMES[0] == NO_CHORD and len(set(SYMBOL_NAMES)) == len(SYMBOL_NAMES)
    for sym in VOCABULARY:
        assert chord_name(sym.root, sym.quality) == sym.name and symbol(sym.name) == sym
        assert context_name(sym.name) in CONTEXT_NAMES
    assert {s.quality for s in VOCABULARY} == set(QUALITIES) and len(QUALITIES) >= 20
    vocab = chord_vocabulary()
    vocab.save(tmp_path / "vocab.json")
    assert Vocabulary.load(tmp_path / "vocab.json", "chords") == vocab


def test_chord_tokens_decode_to_the_inferred_chords(tmp_path: Path) -> None:
    path = _write_midi(tmp_path / "loop.mid", [CMAJ7, DM9, G13, G7B9, AM7, GSUS4, CMAJ7], [])
    piece = parse_file(path)
    vocab = chord_vocabulary()
    seq = encode_chords(piece, vocab)
    names = [vocab.inputs["chord"][i] for i in seq.targets["chord"]]
    assert names == [s for s, _ in chord_events(piece)]
    assert names == ["Imaj7", "ii9", "V13", "V7b9", "vi7", "Vsus4", "Imaj7"]
    assert {context_name(n) for n in names} <= {"Imaj7", "ii7", "V7", "vi7", "V7sus4"}


@pytest.mark.parametrize("name", ["I", "Isus2", "V13", "ii11", "V7#5", "I6/9", "vii°7"])
def test_extended_symbols_are_voiced_with_their_colour(name: str) -> None:
    notes = voicing(name, 0)
    pcs = {p % 12 for p in notes}
    sym = symbol(name)
    assert pcs <= sym.pitch_classes
    assert len(pcs) >= min(len(sym.intervals) - 1, 4)  # at most the fifth is left out
    assert min(notes) % 12 == sym.root


def test_the_rule_comping_and_bass_play_every_symbol() -> None:
    chords = [(4.0 * i, 4.0, s.name) for i, s in enumerate(VOCABULARY)]
    notes = comp_chords(np.random.default_rng(0), chords, -3, 1.0)
    for onset, _, name in chords:
        struck = {n.pitch % 12 for n in notes if onset <= n.onset < onset + 4.0}
        assert struck <= {(pc - 3) % 12 for pc in symbol(name).pitch_classes}, name
        assert len(struck) >= 3, name
    bass = bass_line(np.random.default_rng(0), chords, -3)
    assert {round(n.onset) // 4 for n in bass} == set(range(len(chords)))
