"""The learned bass and accompaniment: token round trips, training on a corpus with a
distinctive figure, and named fallbacks when a corpus lacks the part."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lofi.compose.song import compose
from lofi.core.constants import BASS_PITCH_MAX, BASS_PITCH_MIN, NOMINAL_VELOCITY
from lofi.core.errors import VocabularyError
from lofi.core.types import ChordSpan, GenerationConfig, Key, Note, Piece, SamplingConfig
from lofi.data.channel_reader import read_bass
from lofi.data.corpus import load_corpus
from lofi.encoding.bass import bass_notes, encode_bass
from lofi.encoding.comping import (
    comp_notes,
    decode_comping,
    encode_comping,
    learn_voicings,
    nearest_voicing,
    piece_strikes,
    strike_of,
)
from lofi.encoding.tokens import decode_melody, fold_pitch, key_shift
from lofi.encoding.vocab import Vocabulary, bass_vocabulary, vocabulary
from lofi.learn.models import ModelSize
from lofi.learn.style_training import train_style
from lofi.learn.train import TrainConfig, train
from lofi.models import Loaded
from lofi.models.checkpoint import read_checkpoint
from lofi.models.loading import default_chord_model, default_melody_model, load_checkpoints
from lofi.models.sampler import StepModel
from tests.factories import TINY

# C major, two bars each: I – vi – IV – V as (root pitch class, chord pitch classes).
LOOP = ((0, (0, 4, 7)), (9, (9, 0, 4)), (5, (5, 9, 0)), (7, (7, 11, 2)))
OFFBEATS = (6, 14)  # the comping figure: the "and" of beats 2 and 4, in sixteenths


def figure_parts(tonic: int, bars: int = 8) -> dict[str, list[Note]]:
    """Octave-jumping eighth-note bass, off-beat chord stabs, a tune on top; in `tonic` major."""
    parts: dict[str, list[Note]] = {"bass": [], "keys": [], "tune": []}
    for bar in range(bars):
        root, pcs = LOOP[bar % len(LOOP)]
        start = bar * 4.0
        for i in range(8):
            low = 36 + (root + tonic) % 12
            parts["bass"].append(Note(low + 12 * (i % 2), start + 0.5 * i, 0.5, 96))
        for step in OFFBEATS:
            for pc in pcs:
                pitch = 60 + (pc + tonic) % 12
                parts["keys"].append(Note(pitch, start + step / 4, 0.5, 80))
        for beat in range(4):
            parts["tune"].append(Note(76 + (pcs[beat % 3] + tonic) % 12, start + beat, 1.0, 80))
    return parts


def write_figure_midi(path: Path, tonic: int, with_bass: bool = True) -> None:
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0, resolution=480)
    programs = {"bass": 33, "keys": 4, "tune": 0}
    for name, notes in figure_parts(tonic).items():
        if name == "bass" and not with_bass:
            continue
        inst = pretty_midi.Instrument(program=programs[name], name=name)
        for n in notes:
            inst.notes.append(pretty_midi.Note(n.velocity, n.pitch, n.onset / 2, n.end / 2))
        midi.instruments.append(inst)
    midi.write(str(path))


def figure_folder(folder: Path, n: int = 6, with_bass: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_figure_midi(folder / f"figure{i}.mid", (5 * i) % 12, with_bass)
    return folder


def piece_of(parts: dict[str, list[Note]], key: Key) -> Piece:
    notes = sorted((n for ns in parts.values() for n in ns), key=lambda n: (n.onset, n.pitch))
    bars = int(max(n.end for n in notes) // 4)
    beats = []
    for b in range(bars * 4):
        weights = [0.0] * 12
        for n in notes:
            if n.onset < b + 1 and n.end > b:
                weights[n.pitch % 12] += 1.0
        beats.append(ChordSpan(float(b), 1.0, tuple(weights), None))
    return Piece(
        "figure", "figure", key, 120.0, tuple(notes), tuple(parts["tune"]), tuple(beats), bars * 4.0
    )


def test_bass_line_round_trips_through_tokens() -> None:
    key = Key(2, "major")  # D major: moved down two semitones into C
    parts = figure_parts(tonic=2)
    rest_at = 4.0  # a rest of a whole bar in the line
    parts["bass"] = [n for n in parts["bass"] if not rest_at <= n.onset < rest_at + 4]
    piece = piece_of(parts, key)
    line = bass_notes(piece)
    assert line == tuple(parts["bass"])  # the lowest line below C4 is the bass
    vocab = bass_vocabulary()
    seq = encode_bass(piece, vocab)
    t = seq.targets
    decoded = decode_melody(t["pitch"], t["duration"], t["velocity"], vocab, 0.0)
    shift = key_shift(key)
    want = [
        Note(
            fold_pitch(n.pitch + shift, BASS_PITCH_MIN, BASS_PITCH_MAX),
            n.onset,
            n.duration,
            NOMINAL_VELOCITY,
        )
        for n in parts["bass"]
    ]
    assert decoded == want
    assert set(seq.inputs) == {
        "pitch",
        "duration",
        "velocity",
        "root",
        "quality",
        "position",
        "density",
    }
    roots = {vocab.inputs["root"][r] for r in seq.inputs["root"].tolist()}
    assert len(roots) > 1 and "N" not in roots  # the bass hears the chord changes


def test_bass_program_tracks_are_read_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.mid"
    write_figure_midi(path, tonic=0)
    notes = read_bass(path)
    assert [n.pitch for n in notes] == [n.pitch for n in figure_parts(0)["bass"]]
    assert all(abs(n.duration - 0.5) < 1e-6 for n in notes)
    write_figure_midi(path, tonic=0, with_bass=False)
    assert read_bass(path) == ()


def test_comping_round_trips_through_tokens(tmp_path: Path) -> None:
    key = Key(9, "minor")  # A minor shares C major's notes: no shift
    piece = piece_of(figure_parts(tonic=0), key)
    want = sorted(figure_parts(0)["keys"], key=lambda n: (n.onset, n.pitch))
    assert sorted(comp_notes(piece), key=lambda n: (n.onset, n.pitch)) == want
    voicings = learn_voicings([piece])  # one shape per chord, as the analysis names its root
    assert "0.4.7" in voicings and len(voicings) <= len(LOOP)
    vocab = vocabulary("comping", voicings)
    seq = encode_comping(piece, vocab)
    assert len(seq) == 8 * 16
    _, step_chords = piece_strikes(piece)
    decoded = decode_comping(seq.targets, vocab, step_chords)
    assert sorted(decoded, key=lambda n: (n.onset, n.pitch)) == want
    # The learned voicings survive a save and load; a damaged one is refused.
    vocab.save(tmp_path / "vocab.json")
    assert Vocabulary.load(tmp_path / "vocab.json", "comping") == vocab
    data = json.loads((tmp_path / "vocab.json").read_text())
    data["inputs"]["voicing"][2] = "12.4"
    (tmp_path / "vocab.json").write_text(json.dumps(data))
    with pytest.raises(VocabularyError, match="not a voicing"):
        Vocabulary.load(tmp_path / "vocab.json", "comping")


def test_an_unknown_voicing_goes_to_its_nearest_shape() -> None:
    shapes = ("0.4.7", "0.3.7", "7.12.16")
    assert nearest_voicing("0.4.7.12", shapes) == "0.4.7"
    assert nearest_voicing("3.7.12", shapes) == "0.3.7"  # same pitch classes, other spread
    assert nearest_voicing("0.3.7", shapes) == "0.3.7"
    # A strike keeps its fullness: a maj7 goes to the four-note sixth, not the triad that
    # shares more of its pitch classes.
    assert nearest_voicing("0.4.7.11", ("0.4.7", "0.4.7.9")) == "0.4.7.9"


def test_a_strike_lasts_its_notes_mean_length() -> None:
    held = [Note(60, 0.0, 1.0, 80), Note(64, 0.0, 1.0, 90), Note(67, 0.0, 4.0, 70)]
    assert strike_of(held, 0) == ("0.4.7", 4, 2.0, 90)


# 30 epochs learn the figure well past both checks below (octave share +0.54, off-beats
# +0.98 over the rules', where +0.25 is asked); 15 do not yet (octave share +0.01).
FIGURE = TrainConfig(
    kind="bass",
    corpus="figure",
    epochs=30,
    seq_len=32,
    batch_size=8,
    learning_rate=0.01,
    size=ModelSize(units=32, layers=1, embedding=8, dropout=0.0),
    max_steps=8,
    patience=60,
)


def _octave_share(notes: tuple[Note, ...]) -> float:
    pairs = list(itertools.pairwise(notes))
    return sum(abs(a.pitch - b.pitch) == 12 for a, b in pairs) / max(len(pairs), 1)


def _offbeat_share(notes: tuple[Note, ...]) -> float:
    onsets = {round(n.onset * 4) for n in notes}
    return sum(o % 16 in OFFBEATS for o in onsets) / max(len(onsets), 1)


def test_a_learned_figure_is_played_more_than_the_rules_play_it(tmp_path: Path) -> None:
    corpus = load_corpus(figure_folder(tmp_path / "corpus"))
    for kind in ("bass", "comping"):
        train(replace(FIGURE, kind=kind), corpus, tmp_path / kind)
    rules = load_checkpoints(default_melody_model(), default_chord_model())
    loaded = {}
    for kind in ("bass", "comping"):
        ckpt = read_checkpoint(tmp_path / kind, kind)
        loaded[kind] = Loaded(StepModel.load(ckpt.path, ckpt.vocab), ckpt.model_id)
    learned = rules.with_parts(**loaded)
    sampling = SamplingConfig(temperature=0.5)  # the models' preference, less of their doubt
    config = GenerationConfig(seed=4, key=Key.parse("F-major"), bars=24, sampling=sampling)
    by_rules, by_model = compose(config, rules), compose(config, learned)
    bass_rules, bass_model = by_rules.part("bass").notes, by_model.part("bass").notes
    assert _octave_share(bass_model) > _octave_share(bass_rules) + 0.25
    keys_rules, keys_model = by_rules.part("chords").notes, by_model.part("chords").notes
    assert _offbeat_share(keys_model) > _offbeat_share(keys_rules) + 0.25
    assert by_model.part("melody") == by_rules.part("melody")  # the other parts are untouched
    assert compose(config, learned) == by_model


def test_a_corpus_without_a_bass_falls_back_by_name(tmp_path: Path, gm_soundfont: Path) -> None:
    from lofi.service.recipe import from_recipe, style_request, to_recipe

    folder = tmp_path / "corpus"
    figure_folder(folder, n=4, with_bass=False)
    for path in folder.iterdir():  # only the tune is left: no bass program, nothing low
        import pretty_midi

        midi = pretty_midi.PrettyMIDI(str(path))
        midi.instruments = [i for i in midi.instruments if i.name == "tune"]
        midi.write(str(path))
    corpus = load_corpus(folder)
    base = TrainConfig(kind="melody", epochs=1, seq_len=8, batch_size=8, size=TINY, max_steps=2)
    messages: list[str] = []
    parts = ("melody", "chords", "bass", "comping")
    style = train_style(corpus, tmp_path / "tunes", base, parts, report=messages.append)
    assert "bass" not in style.parts and "comping" not in style.parts
    assert style.fallbacks["bass"] in ("style:default", "rules:bass")
    assert style.fallbacks["comping"] in ("style:default", "rules:comping")
    assert any(m.startswith("bass: ") and "falls back on" in m for m in messages)
    data = json.loads((tmp_path / "tunes" / "style.json").read_text())
    assert data["fallbacks"]["bass"] == style.fallbacks["bass"]
    request = style_request(GenerationConfig(seed=1, bars=8), style.path, {}, {}, {})
    recipe = json.loads(json.dumps(to_recipe(request)))
    assert recipe["style"]["fallbacks"]["bass"] == style.fallbacks["bass"]
    assert from_recipe(recipe).style == style.path
    assert np.isfinite(len(recipe["style"]["parts"]))
