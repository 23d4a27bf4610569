"""The yardstick on small collections: windows of 1, 2 and 4 bars, the human baseline drawn
from training pieces, bootstrap intervals over pieces, and the features named in words."""

import os
from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from lofi.core.types import Key, Note, Part, Song
from lofi.data.corpus import Corpus, load_corpus
from lofi.data.split import split_pieces
from lofi.data.window_features import whole_bars
from lofi.tools.features import from_piece, from_song, material_windows
from lofi.tools.two_sample import bootstrap_overlaps, feature_overlaps, group_weights, weighted_aucs
from lofi.tools.yardstick import TOO_FEW, compare_windows
from tests.factories import groove_folder, write_corpus

QUICK = {"draws": 2, "boots": 60, "trees": 30}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Corpus]:
    root = tmp_path_factory.mktemp("yardstick")
    previous = os.environ.get("LOFI_CACHE_DIR")
    os.environ["LOFI_CACHE_DIR"] = str(root / "cache")
    try:
        block = load_corpus(write_corpus(root / "block", "block", 30, seed=7))
        arpeggio = load_corpus(write_corpus(root / "arpeggio", "arpeggio", 10, seed=8))
    finally:
        if previous is None:
            del os.environ["LOFI_CACHE_DIR"]
        else:
            os.environ["LOFI_CACHE_DIR"] = previous
    return {"block": block, "arpeggio": arpeggio}


def test_weighted_aucs_are_sklearns_with_sample_weights() -> None:
    rng = np.random.default_rng(3)
    y = np.r_[np.zeros(40, dtype=int), np.ones(55, dtype=int)]
    scores = np.round(rng.normal(y * 0.7, 1.0), 1)  # ties included
    weights = rng.integers(0, 4, size=(len(y), 6)).astype(float)
    expected = [roc_auc_score(y, scores, sample_weight=weights[:, i]) for i in range(6)]
    np.testing.assert_allclose(weighted_aucs(y, scores, weights), expected)


def test_bootstrap_weights_resample_whole_pieces_and_keep_the_sample_first() -> None:
    groups = np.repeat(np.array(["a", "b", "c", "d"]), [3, 1, 2, 4])
    weights = group_weights(groups, 50, np.random.default_rng(0))
    assert weights.shape == (10, 51)
    assert (weights[:, 0] == 1).all()
    for column in weights.T:  # a piece's windows always weigh alike
        for g in "abcd":
            assert len(set(column[groups == g].tolist())) == 1
    # every resample draws as many pieces as there are
    per_piece = np.array([weights[groups == g][0] for g in "abcd"])
    assert (per_piece.sum(axis=0) == 4).all()
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, (80, 3)), rng.normal(1, 1, (60, 3))
    ones = bootstrap_overlaps(a, b, np.ones((80, 1)), np.ones((60, 1)))[:, 0]
    np.testing.assert_allclose(ones, feature_overlaps(a, b), atol=0.01)


def test_a_two_bar_loop_has_one_and_two_bar_windows_but_no_four_bar_one() -> None:
    # a 2-bar loop whose last chord ends half a beat early is still 2 bars long
    notes = tuple(Note(p, float(b), 1.0, 70) for b in range(0, 8, 2) for p in (57, 60, 64))
    notes += (Note(62, 6.0, 1.5, 70),)
    loop = Song(Key(9, "minor"), 80.0, 2, (Part("piano", notes),), (), ())
    material = from_song(loop, "loop")
    material = replace(material, beats=7.5)
    assert whole_bars(7.5) == 2 and whole_bars(12.25) == 3 and whole_bars(16.4) == 4
    assert [len(material_windows(material, bars)) for bars in (1, 2, 4)] == [2, 1, 0]


def test_songs_far_from_the_pieces_are_told_apart_with_a_decided_gap(corpora) -> None:
    train, held = split_pieces(corpora["block"], 0.3)
    songs = [from_piece(p) for p in corpora["arpeggio"].pieces]
    c = compare_windows(
        songs, [from_piece(p) for p in held], [from_piece(p) for p in train], 2, **QUICK
    )
    forest = c.auc["generated_vs_held_out"]["forest"]
    assert forest.value > 0.9 and forest.low <= forest.value <= forest.high
    assert c.decided and c.verdict.startswith("gap +") and c.gap.low > 0.2
    assert c.overlap_ratio.value < 0.9
    # as many training windows as the songs have, as long as the training part has them
    assert c.windows["training"] >= min(c.windows["generated"], 1)
    words = " ".join(s.words() for s in c.separating)
    # block chords against one note at a time: the voicing tells them apart, in words
    assert "voicing: notes sounding at once: songs " in words, words


def test_a_handful_of_windows_from_the_same_music_is_too_few_to_tell(corpora) -> None:
    train, held = split_pieces(corpora["block"], 0.3)
    held_m = [from_piece(p) for p in held]
    songs = [from_piece(p) for p in train[:3]]  # the corpus' own pieces as "songs"
    c = compare_windows(songs, held_m, [from_piece(p) for p in train[3:]], 4, **QUICK)
    assert not c.decided and c.verdict == TOO_FEW
    human = c.auc["training_vs_held_out"]["forest"]
    assert human.low <= 0.5 <= human.high or human.value < 0.75


def test_songs_are_heard_in_the_parts_the_corpus_has(tmp_path) -> None:
    from lofi.models.style import FALLBACK_RULES, Style, write_style
    from lofi.tools.evaluate import compared_parts

    chords = tuple(Note(p, float(b), 1.0, 70) for b in range(16) for p in (60, 64, 67))
    bass = tuple(Note(36, float(b), 1.0, 90) for b in range(16))
    song = Song(Key(0, "major"), 80.0, 4, (Part("chords", chords), Part("bass", bass)), (), ())
    assert min(n.pitch for n in from_song(song, "s", ("chords", "melody")).notes) == 60
    assert min(n.pitch for n in from_song(song, "s").notes) == 36
    # Real files: a pack of piano loops (named as the bundled one), and songs with drums.
    lofi = load_corpus(write_corpus(tmp_path / "corpora" / "lofi", "block", 2))
    bands = {n: load_corpus(groove_folder(tmp_path / "corpora" / n, 2)) for n in ("a", "mine")}
    assert compared_parts(lofi, None)[0] == ("chords", "melody")
    assert compared_parts(bands["a"], None)[0] is None
    style = tmp_path / "style"
    style.mkdir()
    parts = {"melody": "melody", "comping": "comping", "bass": "bass"}
    write_style(Style(style, "s", "lofi", "0" * 64, "t", parts, {"drums": FALLBACK_RULES}))
    # The pack's pieces have no bass apart from the piano's left hand: a learned bass is not
    # compared with them (it would double the low register the pieces hold once).
    assert compared_parts(lofi, style)[0] == ("chords", "melody")
    assert compared_parts(bands["a"], style)[0] is None  # learned elsewhere: every part
    mine = tmp_path / "mine"
    mine.mkdir()
    write_style(Style(mine, "m", "mine", "0" * 64, "t", parts, {"drums": FALLBACK_RULES}))
    assert compared_parts(bands["mine"], mine)[0] == ("bass", "chords", "melody")


def test_bad_windows_and_shares_are_one_clear_line(tiny_checkpoints, capsys) -> None:
    from lofi.cli import main

    melody, chords = tiny_checkpoints
    base = ["evaluate", "--melody-model", str(melody), "--chord-model", str(chords)]
    for extra, message in (
        (["--windows", "3"], "--windows takes bars out of 1, 2 and 4"),
        (["--held-out", "1.5"], "--held-out is a share between 0 and 1"),
        (["--bootstrap", "-1"], "--bootstrap is 0–2000"),
    ):
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_feature_is_named_in_words_only_when_its_means_differ_too() -> None:
    from lofi.tools.yardstick import Separation

    wide = Separation("velocity_mean", "loudness: mean velocity", 69.0, 70.0, 0.4, 0.8, 10.0)
    assert not wide.separates  # another spread, the same loudness: nothing to say in words
    louder = Separation("velocity_mean", "loudness: mean velocity", 86.0, 71.0, 0.4, 0.8, 10.0)
    assert louder.separates and louder.words() == "loudness: mean velocity: songs 86, pieces 71"
    alike = Separation("velocity_mean", "loudness: mean velocity", 86.0, 71.0, 0.75, 0.8, 10.0)
    assert not alike.separates  # no further apart than the pieces among themselves
    held = Separation("held_notes", "notes held 2 beats or more", 0.05, 0.41, 0.3, 0.8, 0.3)
    assert held.words() == "notes held 2 beats or more: songs 5%, pieces 41%"


def test_a_human_draw_has_as_many_pieces_and_windows_as_the_songs() -> None:
    from lofi.tools.yardstick import human_draw

    rng = np.random.default_rng(2)
    long_pieces = [(f"p{i}", np.full((60, 3), float(i))) for i in range(12)]
    rows, groups = human_draw(long_pieces, 8, 4, rng)  # 4 songs of 2 windows each
    assert len(rows) == 8 and len(set(groups.tolist())) == 4
    assert all(rows[i, 0] == float(g[1:]) for i, g in enumerate(groups))  # rows stay labelled
    short_pieces = [(f"q{i}", np.ones((2, 3))) for i in range(5)]
    rows, groups = human_draw(short_pieces, 40, 20, rng)  # fewer than the songs: every piece
    assert len(rows) == 10 and len(set(groups.tolist())) == 5
