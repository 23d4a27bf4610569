"""The yardstick: features, the two-sample tests, overlap, copying and the whole evaluation,
on synthetic corpora of opposite character written as real MIDI files."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from lofi.core.types import Key, Note, Part, Song
from lofi.data.corpus import Corpus, load_corpus
from lofi.data.split import halves, split_pieces
from lofi.data.window_features import FEATURE_NAMES
from lofi.tools.features import feature_table, from_piece, from_song
from lofi.tools.metrics import chord_tone_counts, copying
from lofi.tools.two_sample import classifier_auc, overlapped_area
from tests.factories import write_corpus


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Corpus]:
    """Block chords on every beat (60 pieces) and sparse soft arpeggios (24), parsed."""
    root = tmp_path_factory.mktemp("corpora")
    previous = os.environ.get("LOFI_CACHE_DIR")
    os.environ["LOFI_CACHE_DIR"] = str(root / "cache")
    try:
        block = load_corpus(write_corpus(root / "block", "block", 60, seed=0))
        arpeggio = load_corpus(write_corpus(root / "arpeggio", "arpeggio", 24, seed=1))
    finally:
        if previous is None:
            del os.environ["LOFI_CACHE_DIR"]
        else:
            os.environ["LOFI_CACHE_DIR"] = previous
    assert len(block.pieces) == 60 and len(arpeggio.pieces) == 24
    return {"block": block, "arpeggio": arpeggio}


def test_split_is_by_content_and_keeps_both_parts(corpora) -> None:
    pieces = corpora["block"].pieces
    train, held = split_pieces(corpora["block"])
    assert train and held and len(train) + len(held) == len(pieces)
    assert 0.05 < len(held) / len(pieces) < 0.4
    assert split_pieces(pieces[::-1]) == (train[::-1], held[::-1])  # order does not matter
    # Removing other pieces never moves a piece to the other side.
    train_half, held_half = split_pieces(pieces[:30])
    assert set(train_half) <= set(train) and set(held_half) <= set(held)
    two = split_pieces(pieces[:2], held_out=0.01)
    assert len(two[0]) == 1 and len(two[1]) == 1
    a, b = halves(pieces)
    assert abs(len(a) - len(b)) <= 1 and not set(a) & set(b)


def test_features_tell_opposite_corpora_apart(corpora) -> None:
    block = feature_table(from_piece(p) for p in corpora["block"].pieces)
    arpeggio = feature_table(from_piece(p) for p in corpora["arpeggio"].pieces)
    assert block[0].shape[1] == len(FEATURE_NAMES) == 40
    auc = classifier_auc(*block, *arpeggio)
    assert auc["logistic"] > 0.95 and auc["forest"] > 0.95, auc
    names = list(FEATURE_NAMES)
    # Music, not labels: block chords over a bass under a tune sound five notes at once,
    # loud; the arpeggios, one note at a time over a held bass and a slow tune, soft.
    poly, loud = names.index("polyphony"), names.index("velocity_mean")
    assert block[0][:, poly].mean() > 4.5 and arpeggio[0][:, poly].mean() < 3.5
    assert block[0][:, loud].mean() > 80 > 60 > arpeggio[0][:, loud].mean()


def test_human_halves_of_one_homogeneous_corpus_are_indistinguishable(corpora) -> None:
    a, b = halves(corpora["block"].pieces)
    auc = classifier_auc(
        *feature_table(from_piece(p) for p in a), *feature_table(from_piece(p) for p in b)
    )
    assert max(auc.values()) < 0.65, auc


def test_overlapped_area_of_identical_and_disjoint_sets() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, 300)
    assert overlapped_area(x, x) == pytest.approx(1.0, abs=0.01)
    assert overlapped_area(x, x + 20.0) < 0.01
    assert 0.3 < overlapped_area(x, rng.normal(1.0, 1.0, 300)) < 0.8
    constant = np.zeros(50)
    assert overlapped_area(constant, constant) == pytest.approx(1.0, abs=0.01)
    assert overlapped_area(constant, constant + 1.0) < 0.01


def test_copying_finds_a_verbatim_fragment_in_another_key(corpora) -> None:
    training = [p.melody for p in corpora["block"].pieces]
    source = sorted(corpora["block"].pieces[0].melody, key=lambda n: n.onset)[:8]
    # The same intervals and lengths, a fifth higher and later, after notes of its own.
    own = [Note(60 + (i * 5) % 11, float(i) * 1.5, 1.5, 70) for i in range(10)]
    copied = [Note(n.pitch + 7, n.onset - source[0].onset + 15.0, n.duration, 80) for n in source]
    share = copying([own + copied], training)
    assert share > 0
    assert copying([own], training) == 0.0


def test_chord_tones_on_strong_beats_only() -> None:
    # C major: Imaj7 is C E G B. Beats 1 and 3 hold E and F; the off-beat F# is not judged.
    melody = [Note(64, 0.0, 1.0, 80), Note(66, 1.0, 1.0, 80), Note(65, 2.0, 1.0, 80)]
    assert chord_tone_counts(melody, ((0.0, 4.0, "Imaj7"),), Key(0, "major")) == (1, 2)
    # The same in D major (Imaj7 = D F# A C#): moved by the key, not by the raw pitch.
    moved = [Note(n.pitch + 2, n.onset, n.duration, 80) for n in melody]
    assert chord_tone_counts(moved, ((0.0, 4.0, "Imaj7"),), Key(2, "major")) == (1, 2)


def test_a_song_and_a_piece_with_the_same_notes_have_the_same_features(corpora) -> None:
    piece = corpora["block"].pieces[0]
    song = Song(piece.key, 90.0, int(piece.length_beats // 4), (Part("x", piece.notes),), (), ())
    np.testing.assert_allclose(
        feature_table([from_song(song, "s")])[0], feature_table([from_piece(piece)])[0]
    )


def test_a_pitch_doubled_in_unison_by_another_part_counts_once() -> None:
    def song(*parts: tuple[Note, ...]) -> Song:
        return Song(
            Key(0, "major"), 90.0, 4, tuple(Part(f"p{i}", p) for i, p in enumerate(parts)), (), ()
        )

    chords = tuple(Note(p, float(b), 1.0, 70) for b in range(16) for p in (60, 64, 67))
    thirds = tuple(Note(64, float(b), 2.0, 90) for b in range(16))
    doubled = from_song(song(chords, thirds), "d")
    assert len(doubled.notes) == 48
    merged = [Note(n.pitch, n.onset, 2.0, 90) if n.pitch == 64 else n for n in chords]
    rows = feature_table([doubled])[0]
    assert rows.shape == (1, len(FEATURE_NAMES))
    np.testing.assert_allclose(rows, feature_table([from_song(song(tuple(merged)), "m")])[0])
    octave = tuple(Note(76, n.onset, n.duration, n.velocity) for n in thirds)
    assert len(from_song(song(chords, octave), "o").notes) == 64  # an octave up is a voicing


@pytest.mark.timeout(600)
def test_evaluate_end_to_end_writes_every_figure(
    corpora, tiny_checkpoints, tmp_path, monkeypatch
) -> None:
    from lofi.cli import main

    monkeypatch.setenv("LOFI_CACHE_DIR", str(tmp_path / "cache"))
    folder = write_corpus(tmp_path / "block", "block", 20, seed=3)
    melody, chords = tiny_checkpoints
    out, doc = tmp_path / "report.json", tmp_path / "docs" / "evaluation.md"
    args = ["evaluate", "--corpus", str(folder), "--melody-model", str(melody)]
    args += ["--chord-model", str(chords), "--songs", "3", "--bars", "8", "--json", str(out)]
    args += ["--held-out", "0.5", "--windows", "2,4", "--draws", "2", "--bootstrap", "30"]
    args += ["--report", str(doc)]
    doc.parent.mkdir()
    doc.write_text("figures of an earlier run\n")  # a report is written anew over the last
    assert main(args) == 0
    report = json.loads(out.read_text())
    assert report.keys() >= {
        "realism_gap",
        "overlap_ratio",
        "auc",
        "mean_overlap",
        "windows",
        "music",
        "validation_loss",
        "pieces",
        "models",
        "compared",
        "headline_bars",
    }
    assert set(report["windows"]) == {"2", "4"} and report["headline_bars"] == 2
    for window in report["windows"].values():
        for side in ("generated_vs_held_out", "training_vs_held_out"):
            assert set(window["auc"][side]) == {"logistic", "forest"}
            for auc in window["auc"][side].values():
                assert 0.0 <= auc["low"] <= auc["value"] <= auc["high"] <= 1.0
            assert set(window["overlap"][side]) == set(FEATURE_NAMES)
        gap = window["gap"]
        assert gap["low"] <= gap["value"] <= gap["high"]
        human = window["auc"]["training_vs_held_out"]["forest"]["value"]
        songs = window["auc"]["generated_vs_held_out"]["forest"]["value"]
        assert gap["value"] == pytest.approx(songs - human)
        # as many training windows as the songs have (or every training piece's)
        assert window["windows"]["training"] >= min(window["windows"]["generated"], 1)
    assert set(report["music"]) == {
        "pitch_class_entropy",
        "scale_consistency",
        "groove_consistency",
        "chord_tone_ratio",
        "chord_tone_ratio_heard",
        "copying",
    }
    assert set(report["validation_loss"]) == {"melody", "chords"}
    assert report["pieces"]["train"] + report["pieces"]["held_out"] == 20
    assert report["songs"] == 3 and report["windows"]["4"]["windows"]["generated"] >= 3
    assert isinstance(report["realism_gap"], float)
    text = doc.read_text()
    assert text.startswith("# Evaluation")
    assert "`python -m lofi evaluate --corpus" in text.splitlines()[2]
    assert "## 2-bar windows" in text and "## 4-bar windows" in text
    forest = report["windows"]["2"]["auc"]["generated_vs_held_out"]["forest"]
    assert f"{forest['value']:.2f} [{forest['low']:.2f}, {forest['high']:.2f}]" in text


def test_too_small_a_corpus_is_a_clear_error(tiny_checkpoints, capsys) -> None:
    from lofi.cli import main

    data = Path(__file__).parent / "data" / "midi"
    melody, chords = tiny_checkpoints
    code = main(
        [
            *("evaluate", "--corpus", str(data), "--melody-model", str(melody)),
            *("--chord-model", str(chords), "--songs", "2", "--bars", "8"),
        ]
    )
    assert code == 2
    assert "held-out" in capsys.readouterr().err


def test_a_style_folder_holds_one_checkpoint_per_part(tiny_checkpoints, tmp_path) -> None:
    import shutil

    from lofi.core.errors import StyleError
    from lofi.models.loading import load_song_models, style_checkpoints
    from lofi.models.style import FALLBACK_RULES, Style, write_style
    from lofi.tools.evaluate import validation_losses

    style = tmp_path / "tiny"
    for folder in tiny_checkpoints:
        shutil.copytree(folder, style / folder.name)
    parts = {"melody": "melody", "chords": "chords"}
    write_style(
        Style(style, "tiny", "synthetic", "0" * 64, "tests", parts, {"drums": FALLBACK_RULES})
    )
    assert set(style_checkpoints(style)) == {"melody", "chords"}
    models = load_song_models(style)
    assert models.id("melody").startswith("melody@") and models.id("chords").startswith("chords@")
    losses = validation_losses(style_checkpoints(style))
    assert all(isinstance(v, float) and v > 0 for v in losses.values()), losses
    shutil.rmtree(style / "chords")
    with pytest.raises(StyleError, match="chords model is unusable"):
        load_song_models(style)


def test_a_songs_melody_is_also_judged_against_the_chords_heard_in_its_notes() -> None:
    from lofi.core.types import Key, Note, Part, Section, Song
    from lofi.tools.features import from_song
    from lofi.tools.metrics import music_metrics

    bars = 8
    triads = [Note(p, 4.0 * b, 4.0, 70) for b in range(bars) for p in (48, 52, 55)]  # C major
    tune = [Note(76, 4.0 * b + h, 2.0, 90) for b in range(bars) for h in (0.0, 2.0)]  # E5
    written = tuple((4.0 * b, 4.0, "ii") for b in range(bars))  # it claims D minor
    song = Song(
        Key(0, "major"),
        80,
        bars,
        (Part("chords", tuple(triads)), Part("melody", tuple(tune))),
        (Section("main", 0, bars),),
        written,
    )
    music = music_metrics([from_song(song, "s")])
    assert music["chord_tone_ratio"] == 0.0  # E is no tone of D minor
    assert music["chord_tone_ratio_heard"] == 1.0  # what sounds is C major (E on top)
