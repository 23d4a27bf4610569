"""The timing feels: learned from real onsets, placed per sixteenth step, kept per part."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lofi.compose.arrangement import ARRANGEMENT, ARRANGEMENT_V2, arrangement_from_json
from lofi.compose.song import compose
from lofi.core.errors import CheckpointError
from lofi.core.types import GenerationConfig, Key, Note
from lofi.models import Loaded
from lofi.models.loading import default_chord_model, default_melody_model, load_checkpoints
from lofi.models.sampler import plays
from lofi.models.timing import (
    BINS,
    POSITIONS,
    TimingModel,
    deviations,
    fit_timing,
    off_grid_share,
    read_timing,
    write_timing,
)
from tests.factories import make_piece

SWUNG = 2 / 3  # a triplet-swung off-beat: two thirds into the beat


def swung(piece_index: int, bars: int = 8):
    """A piece whose off-beat eighths fall two thirds into the beat."""
    piece = make_piece(tonic=piece_index, bars=bars, name=f"swung{piece_index}")
    notes = tuple(
        replace(n, onset=n.onset - 0.5 + SWUNG) if n.onset % 1 == 0.5 else n for n in piece.notes
    )
    return replace(piece, notes=notes)


def test_a_swung_corpus_teaches_late_off_beats_and_a_straight_one_the_grid() -> None:
    model = fit_timing([swung(i) for i in range(4)])
    straight = fit_timing([make_piece(tonic=i, name=f"s{i}") for i in range(4)])
    assert len(model.feels) == 4 and model.feels.shape[1:] == (POSITIONS, BINS)
    # The swing is each feel's ratio; what is left of the grid, once straightened, is none.
    assert model.swing == pytest.approx((SWUNG,) * 4, abs=1e-9)
    assert straight.swing == (0.5,) * 4
    assert off_grid_share(model.feels) == 0.0 and off_grid_share(straight.feels) == 0.0
    # The note models see a swung off-beat straightened, on the off-beat eighth; the swung
    # feel moves it back to two thirds, stretches the note before it and keeps the beats.
    eighths = [
        Note(60, bar * 4 + b + 0.5 * i, 0.5, 80) for bar in range(8) for b in (1, 3) for i in (0, 1)
    ]
    placed = model.place([eighths], np.random.default_rng(1), steps=128)[0]
    late = np.array([n.onset % 1 for n in placed[1::2]])
    assert np.allclose(late, SWUNG, atol=1e-4), late
    assert np.allclose([n.onset % 1 for n in placed[::2]], 0.0)
    assert np.allclose([n.duration for n in placed[::2]], SWUNG, atol=1e-4)
    assert np.allclose([n.duration for n in placed[1::2]], 1 - SWUNG, atol=1e-4)
    flat = straight.place([eighths], np.random.default_rng(1), steps=128)[0]
    assert flat == eighths


def test_a_song_plays_at_one_training_pieces_balance() -> None:
    pieces = [make_piece(tonic=i, name=f"s{i}") for i in range(3)]
    model = fit_timing(pieces)
    # make_piece: chords (their lowest notes the bass line) at velocity 60, a tune at 64 and 80.
    assert model.loudness[0] == (60.0, 72.0, 60.0)
    loud = [Note(60, float(t), 1.0, 100 + t % 3) for t in range(8)]
    chords, melody, bass = model.balanced([loud, loud, loud], 0)
    assert np.median([n.velocity for n in chords]) == 60 == np.median([n.velocity for n in bass])
    assert np.median([n.velocity for n in melody]) == 72
    assert len({n.velocity for n in chords}) > 1  # scaled, not flattened
    no_bass = replace(model, loudness=((60.0, 72.0, 0.0),) * 3)
    assert no_bass.balanced([loud, loud, loud], 1)[2] == loud  # a part the piece lacks


def test_a_timing_file_of_format_1_still_plays_straight(tmp_path: Path) -> None:
    model = fit_timing([swung(i) for i in range(3)], "swung", "abc")
    path = tmp_path / "timing.json"
    data = {**model.to_json(), "format_version": 1}
    del data["swing"]
    path.write_text(json.dumps(data))
    del data["loudness"]
    path.write_text(json.dumps(data))
    old = read_timing(path)
    assert old.swing == () and old.loudness == () and np.array_equal(old.feels, model.feels)
    notes = [Note(60, 1.5, 0.5, 80)]
    assert old.place([notes], np.random.default_rng(1), steps=16)[0] == notes
    assert old.balanced([notes], 0) == [notes]
    data["format_version"], data["swing"] = 2, [0.4, 0.5, 0.5]
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="swing"):
        read_timing(path)
    data["swing"], data["loudness"] = [0.5] * 3, [[60.0, 200.0, 0.0]] * 3
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="loudness"):
        read_timing(path)


def test_notes_on_one_step_move_together_and_other_parts_keep_their_timing() -> None:
    model = fit_timing([swung(i) for i in range(4)])
    chord = [Note(p, 2.5, 1.0, 70) for p in (60, 64, 67)]
    bass = [Note(36, 2.5, 1.0, 90), Note(36, 3.5, 0.5, 90)]
    other_bass = [Note(38, 0.0, 2.0, 90)]
    one = model.place([chord, bass], np.random.default_rng(7), steps=32)
    two = model.place([chord, other_bass], np.random.default_rng(7), steps=32)
    assert len({n.onset for n in one[0]}) == 1 and one[0][0].onset == one[1][0].onset
    assert one[0] == two[0]  # a new bass line leaves the chords' timing as it was


def test_timing_json_round_trips_and_damage_is_refused(tmp_path: Path) -> None:
    model = fit_timing([swung(i) for i in range(3)], "swung", "abc")
    path = tmp_path / "timing.json"
    write_timing(model, path)
    back = read_timing(path)
    assert np.array_equal(back.feels, model.feels) and back.corpus_hash == "abc"
    assert back.swing == model.swing and back.loudness == model.loudness
    data = json.loads(path.read_text())
    data["feels"][0] = data["feels"][0][:3]
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError):
        read_timing(path)
    path.write_text("not json")
    with pytest.raises(CheckpointError, match="timing"):
        read_timing(path)
    with pytest.raises(CheckpointError, match="onsets"):
        fit_timing([make_piece(bars=1)])


def test_deviation_bins_are_measured_from_the_nearest_sixteenth() -> None:
    late = 0.25 + 2.5 / 96  # the middle of the third bin after the grid (1/96 beat each)
    table = deviations([Note(60, late, 0.25, 80), Note(64, late, 0.25, 80)])
    assert table.sum() == 1  # one distinct onset
    position, b = np.argwhere(table)[0]
    assert position == 1 and b == BINS // 2 + 2


def test_whether_a_part_plays_is_drawn_at_the_models_own_odds() -> None:
    rng = np.random.default_rng(3)
    probs = np.array([0.0, 0.7, 0.2, 0.1])  # start token, silence, two strikes
    allowed = np.array([False, True, True, True])
    share = np.mean([plays(probs, 1, allowed, rng) for _ in range(4000)])
    assert share == pytest.approx(0.3, abs=0.03)


def test_songs_take_their_feel_from_the_shipped_style_and_old_arrangements_keep_the_grid() -> None:
    models = load_checkpoints(default_melody_model(), default_chord_model())
    assert isinstance(models.timing_model, TimingModel)
    assert models.timing.id.startswith("style:default@")
    moved = []
    # The same feels with every onset on the grid, straight and unscaled: the same notes.
    on_grid = np.zeros_like(models.timing_model.feels)
    on_grid[:, :, BINS // 2] = 1
    grid_feels = replace(models.timing_model, feels=on_grid, swing=(), loudness=())
    for seed in range(1, 9):
        config = GenerationConfig(seed=seed, key=Key.parse("C-major"), bars=16)
        untimed = replace(models, timing=Loaded(grid_feels, models.timing.id))
        timed, grid = compose(config, models), compose(config, untimed)
        for a, b in zip(timed.parts, grid.parts, strict=True):
            assert [n.pitch for n in a.notes] == [n.pitch for n in b.notes]  # only onsets move
            moved += [
                abs(x.onset - y.onset) * 4 > 0.2 for x, y in zip(a.notes, b.notes, strict=True)
            ]
        assert compose(config, models, ARRANGEMENT_V2) == compose(config, untimed, ARRANGEMENT_V2)
    assert 0 < np.mean(moved) < 0.5  # some feels of the corpus are off the grid, most are not
    # A version-2 recipe did not write the new fields; it is read as version 2.
    v2 = {k: v for k, v in ARRANGEMENT_V2.to_json().items() if k not in ("rhythm", "timing")}
    assert arrangement_from_json(v2) == ARRANGEMENT_V2
    assert arrangement_from_json(ARRANGEMENT.to_json()) == ARRANGEMENT


def test_a_corpus_too_short_for_a_feel_falls_back_by_name(tmp_path: Path) -> None:
    from lofi.data.corpus import Corpus
    from lofi.learn.style_training import train_timing

    short = Corpus("short", (make_piece(bars=1, name="a"), make_piece(bars=1, name="b")), (), "h")
    source, reason = train_timing(short, tmp_path / "timing.json")
    assert source == "style:default" and "onsets" in reason
    assert not (tmp_path / "timing.json").exists()
    learned, none = train_timing(
        Corpus("long", (swung(0), swung(1)), (), "h2"), tmp_path / "timing.json"
    )
    assert (learned, none) == ("timing.json", "") and read_timing(tmp_path / "timing.json")


def test_a_note_struck_again_ends_where_its_pitch_starts_again() -> None:
    from lofi.compose.song import untangled

    notes = [Note(60, 0.0, 2.0, 80), Note(64, 0.0, 2.0, 80), Note(60, 1.0, 2.0, 70)]
    out = untangled(notes)
    assert out[0] == Note(60, 0.0, 1.0, 80) and out[1:] == notes[1:]
    models = load_checkpoints(default_melody_model(), default_chord_model())
    for seed in range(1, 4):
        song = compose(GenerationConfig(seed=seed, key=Key.parse("A-minor"), bars=16), models)
        for part in song.parts:
            if part.is_drum:
                continue
            ends: dict[int, float] = {}
            for n in sorted(part.notes, key=lambda n: (n.onset, n.pitch)):
                assert ends.get(n.pitch, 0.0) <= n.onset + 1e-6, (part.name, n)
                ends[n.pitch] = n.onset + n.duration
