import json

import numpy as np
import pytest

from lofi.core.constants import (
    LEGACY_MELODY_PITCH_MAX,
    MELODY_PITCH_MAX,
    MELODY_PITCH_MIN,
    NOMINAL_VELOCITY,
)
from lofi.core.errors import VocabularyError
from lofi.core.types import Key, Note
from lofi.encoding.chord_inference import name_chord
from lofi.encoding.chords import NO_CHORD, QUALITIES, SYMBOL_NAMES, voicing
from lofi.encoding.dynamics import velocity_of
from lofi.encoding.tokens import (
    chord_events,
    decode_melody,
    encode_chords,
    encode_line,
    encode_melody,
    key_shift,
    line_steps,
)
from lofi.encoding.vocab import (
    REST,
    Vocabulary,
    absolute,
    bass_vocabulary,
    chord_vocabulary,
    melody_vocabulary,
)
from tests.factories import make_piece


@pytest.mark.parametrize(
    ("key", "shift"), [("C", 0), ("A-minor", 0), ("D-minor", -5), ("E-major", -4), ("F#m", 3)]
)
def test_key_shift_moves_relative_major_to_c(key: str, shift: int) -> None:
    assert key_shift(Key.parse(key)) == shift


def test_vocabulary_sizes() -> None:
    assert len(SYMBOL_NAMES) - 1 == 12 * len(QUALITIES) and len(set(SYMBOL_NAMES)) == 313
    assert SYMBOL_NAMES[0] == NO_CHORD


@pytest.mark.parametrize(
    ("pcs", "bass", "name"),
    [
        ((2, 5, 9, 0), 2, "ii7"),
        ((7, 11, 2, 5), 7, "V7"),
        ((9, 0, 4, 7), 9, "vi7"),
        ((5, 8, 0, 3), 5, "iv7"),
        ((10, 2, 5, 9), 10, "bVIImaj7"),
        ((11, 2, 5, 9), 11, "viiø7"),
    ],
)
def test_match_chord_names_templates(pcs: tuple[int, ...], bass: int, name: str) -> None:
    w = np.zeros(12)
    w[list(pcs)] = 1.0
    assert name_chord(w, bass) == name


def test_silence_is_no_chord() -> None:
    assert name_chord(np.zeros(12), None) == NO_CHORD


def test_voicings_keep_thirds_out_of_the_bass() -> None:
    for name in SYMBOL_NAMES[1:]:
        for shift in range(-5, 7):
            notes = voicing(name, shift)
            assert 43 <= min(notes) <= 57 and len(set(notes)) == len(notes) >= 4
            # every note above the lowest two sits at least at E3
            assert min(sorted(notes)[2:]) >= 52


@pytest.mark.parametrize(
    ("tonic", "mode"), [(0, "major"), (9, "minor"), (2, "minor"), (7, "major")]
)
def test_melody_round_trip_in_normalised_key(tonic: int, mode: str) -> None:
    piece = make_piece(tonic, mode)
    vocab = melody_vocabulary()
    seq = encode_melody(piece, vocab)
    notes = decode_melody(
        seq.targets["pitch"], seq.targets["duration"], seq.targets["velocity"], vocab, start=0.0
    )
    # Moved to C major / A minor: the same tune as the C-major piece, up to octaves.
    assert [(n.pitch % 12, n.onset, n.duration) for n in notes] == [
        (m.pitch % 12, m.onset, m.duration) for m in make_piece(0, "major").melody
    ]
    assert all(MELODY_PITCH_MIN <= n.pitch <= MELODY_PITCH_MAX for n in notes)
    assert vocab.inputs["pitch"][0] != REST and seq.inputs["pitch"][0] == 0  # starts on BOS
    np.testing.assert_array_equal(seq.inputs["pitch"][1:], seq.targets["pitch"][:-1])


def test_chord_sequence_follows_the_progression() -> None:
    piece = make_piece(9, "minor")
    events = chord_events(piece)
    names = [name for name, _ in events]
    assert names[:4] == ["ii7", "V7", "Imaj7", "vi7"]
    assert all(beats == 2.0 for _, beats in events)
    assert names == ["ii7", "V7", "Imaj7", "vi7"] * 4  # the whole piece, two beats a chord
    assert sum(beats for _, beats in events) == piece.length_beats
    seq = encode_chords(piece, chord_vocabulary())
    tokens = [chord_vocabulary().inputs["chord"][i] for i in seq.inputs["chord"]]
    assert tokens == ["<minor>", *names[:-1]]  # the mode, then each chord predicts the next


def test_vocabulary_round_trip(tmp_path) -> None:
    path = tmp_path / "vocab.json"
    melody_vocabulary().save(path)
    assert Vocabulary.load(path, "melody") == melody_vocabulary()


def test_vocabulary_of_another_version_is_refused(tmp_path) -> None:
    path = tmp_path / "vocab.json"
    data = melody_vocabulary().to_json()
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(VocabularyError, match="format 99"):
        Vocabulary.load(path)


def test_vocabulary_of_another_size_is_refused(tmp_path) -> None:
    path = tmp_path / "vocab.json"
    data: dict = json.loads(json.dumps(chord_vocabulary().to_json()))
    data["inputs"]["chord"] = data["inputs"]["chord"][:-3]
    path.write_text(json.dumps(data))
    with pytest.raises(VocabularyError, match="retrain"):
        Vocabulary.load(path, "chords")


def test_a_short_gap_is_absorbed_so_a_line_keeps_its_time() -> None:
    # Staccato eighths (0.3 beats sounding every 0.5), then a longer gap before the last note.
    notes = [Note(72, 0.5 * i, 0.3, 80) for i in range(4)] + [Note(72, 2.5, 0.5, 80)]
    steps = line_steps(notes, Key(0, "major"))
    played = [(p, d) for p, d, _, _ in steps]
    assert played == [("72", 0.5)] * 3 + [("72", 0.25), (REST, 0.75), ("72", 0.5)]
    assert sum(d for _, d, _, _ in steps[:-1]) == steps[-1][3]  # durations and rests add up


def test_a_rest_holds_the_loudness_of_the_note_before_it() -> None:
    # A rest first, a loud note, a rest, a soft note, a rest: each rest carries the velocity
    # of the note before it into the model's inputs (the first, before any note, the ×1 bin).
    # The loudness is relative to the line's median (40): the loud note is half as loud again.
    notes = [Note(72, 1.0, 1.0, 60), Note(74, 4.0, 1.0, 40), Note(76, 6.0, 1.0, 40)]
    steps = [*line_steps(notes, Key(0, "major")), (REST, 1.0, 0, 7.0)]
    vocab = melody_vocabulary()
    seq = encode_line(steps, [NO_CHORD], vocab)
    pitches = [vocab.inputs["pitch"][p] for p in seq.targets["pitch"].tolist()]
    loudness = [vocab.inputs["velocity"][v] for v in seq.targets["velocity"].tolist()]
    assert pitches == [REST, "72", REST, "74", REST, "76", REST]
    assert loudness == ["x1", "x1.542", "x1.542", "x1", "x1", "x1", "x1"]
    np.testing.assert_array_equal(seq.inputs["velocity"][1:], seq.targets["velocity"][:-1])
    # A model from before relative loudness learned absolute bins, and still encodes so.
    old = absolute(vocab)
    loudness = [
        old.inputs["velocity"][v]
        for v in encode_line(steps, [NO_CHORD], old).targets["velocity"].tolist()
    ]
    assert loudness == ["64", "64", "64", "32", "32", "32", "32"]


def test_a_line_keeps_its_accents_and_its_high_notes() -> None:
    # A tune up to A6 with one accent, at a soft level: the tokens hold the accent against the
    # line's median, a song plays it around the nominal level (its feel sets the level).
    notes = [Note(p, float(i), 1.0, 44 if i != 2 else 66) for i, p in enumerate((81, 86, 93, 84))]
    vocab = melody_vocabulary()
    piece = make_piece(0, "major")
    seq = encode_line(line_steps(notes, Key(0, "major")), [NO_CHORD], vocab)
    t = seq.targets
    decoded = decode_melody(t["pitch"], t["duration"], t["velocity"], vocab, 0.0)
    assert [n.pitch for n in decoded] == [81, 86, 93, 84]
    assert [n.velocity for n in decoded] == [NOMINAL_VELOCITY] * 2 + [velocity_of("x1.542")] + [
        NOMINAL_VELOCITY
    ]
    # A melody model from before folds its corpus under C6, as it was trained.
    old = absolute(vocab)
    assert max(int(x) for x in old.inputs["pitch"][2:]) == LEGACY_MELODY_PITCH_MAX
    high = encode_melody(piece, old)
    assert all(
        int(old.inputs["pitch"][p]) <= LEGACY_MELODY_PITCH_MAX
        for p in high.targets["pitch"]
        if old.inputs["pitch"][p] != REST
    )


def test_vocabularies_of_models_from_before_relative_loudness_still_load(tmp_path) -> None:
    for vocab in (melody_vocabulary(), bass_vocabulary()):
        old = absolute(vocab)
        assert old != vocab and old.inputs["velocity"][1:] == ("32", "48", "64", "80", "96", "112")
        path = tmp_path / f"{vocab.kind}.json"
        old.save(path)
        assert Vocabulary.load(path, vocab.kind) == old
    mixed: dict = absolute(melody_vocabulary()).to_json()
    mixed["inputs"]["pitch"] = melody_vocabulary().inputs["pitch"]  # C7, absolute: never made
    (tmp_path / "mixed.json").write_text(json.dumps(mixed))
    with pytest.raises(VocabularyError, match="retrain"):
        Vocabulary.load(tmp_path / "mixed.json", "melody")
