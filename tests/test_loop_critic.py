"""The loop critic: forests that choose, among the loops a piano draws, the most piece-like."""

import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from lofi.cli import main
from lofi.compose.arrangement import ARRANGEMENT, arrangement_from_json
from lofi.compose.pianist import piano_sampler
from lofi.compose.piano_loops import piano_blocks
from lofi.core.errors import StyleError
from lofi.core.types import Note, SamplingConfig
from lofi.data.corpus import load_corpus
from lofi.data.split import training_part
from lofi.data.window_features import FEATURE_NAMES, MOTION_NAMES, bar_motion, note_windows
from lofi.learn.critic import draw_loops, fit_critic, flattened, piece_windows, repeated_halves
from lofi.models.critic import (
    CRITIC_FEATURES,
    CRITIC_FILE,
    MAX_CRITIC_BYTES,
    LoopCritic,
    read_critic,
    write_critic,
)
from lofi.models.loading import load_part, load_song_models
from lofi.models.style import default_style_dir, fallback_style_dir


@pytest.fixture(scope="module")
def piano():
    return load_part(default_style_dir() / "piano", "piano").model


@pytest.fixture(scope="module")
def pieces():
    return training_part(load_corpus("lofi"), 0.2).pieces


def _loop(piano, seed, critic=None, choices=1):
    sampler = piano_sampler(piano, "minor", np.random.default_rng(seed), SamplingConfig())
    return piano_blocks(sampler, [("A", 0.0, 16.0)], 4, critic, choices)


def test_the_forest_walked_in_numpy_answers_as_scikit_learn(piano, pieces):
    drawn = draw_loops(piano, 40, seed=3)
    loops = np.vstack([note_windows(n, 16.0, 0, 2, motion=True) for n in drawn])
    human = piece_windows(pieces, 2)
    assert loops.shape[1] == human.shape[1] == len(FEATURE_NAMES) + len(MOTION_NAMES)
    x = np.vstack([loops, human])
    y = np.r_[np.zeros(len(loops)), np.ones(len(human))]
    forest = RandomForestClassifier(n_estimators=15, min_samples_leaf=3, random_state=0).fit(x, y)
    share = np.clip(forest.predict_proba(x)[:, 1], 0.01, 0.99)
    assert np.allclose(flattened(forest).log_odds(x), np.log(share / (1 - share)))
    assert len(set(np.round(share, 6))) > 2  # the trees answer differently for different rows


def test_a_critic_is_saved_and_read_back_unchanged(piano, pieces, tmp_path):
    critic = fit_critic(pieces, piano, loops=30, trees=4)
    assert sorted(critic.forests) == [1, 2, 4] and critic.about["features"] == list(CRITIC_FEATURES)
    write_critic(tmp_path / CRITIC_FILE, critic)
    again = read_critic(tmp_path / CRITIC_FILE)
    assert again.about == critic.about
    loops = draw_loops(piano, 6, seed=9)
    assert np.array_equal(again.scores(loops, 4), critic.scores(loops, 4))


def test_the_critic_hears_a_left_hand_that_jumps_from_bar_to_bar():
    chord = (60, 64, 67)

    def bars(lows):  # a held chord a bar over a left-hand note that moves as `lows`
        return [Note(p, 4.0 * b, 4.0, 70) for b, low in enumerate(lows) for p in (low, *chord)]

    still, jumping = bars([48, 48, 48, 48]), bars([48, 36, 50, 38])
    assert bar_motion(still, 0.0, 4).tolist() == [0.0, 0.0, 0.0, 0.0]
    low_move, top_move, low_span, top_span = bar_motion(jumping, 0.0, 4).tolist()
    assert (low_move, low_span, top_move, top_span) == (38 / 3, 14.0, 0.0, 0.0)
    assert bar_motion(jumping[:4], 0.0, 1).tolist() == [0.0] * len(MOTION_NAMES)
    with_motion = note_windows(jumping, 16.0, 0, 4, motion=True)
    assert np.array_equal(with_motion[:, : len(FEATURE_NAMES)], note_windows(jumping, 16.0, 0, 4))


def test_a_critic_of_an_earlier_release_is_still_read_and_scores_loops(piano):
    older = read_critic(default_style_dir().parent / "lofi_v2" / CRITIC_FILE)
    assert older.about["features"] == list(FEATURE_NAMES) and not older.motion
    current = read_critic(default_style_dir() / CRITIC_FILE)
    assert current.motion
    loops = draw_loops(piano, 6, seed=4)
    scores = older.scores(loops, 4)
    assert np.isfinite(scores).all() and len(set(scores.round(6))) > 1


def test_the_critic_learns_how_often_a_pieces_loop_plays_a_2_bar_idea_twice(pieces):
    share = repeated_halves(pieces)
    assert 0.05 < share < 0.5  # the pack: some loops are one 2-bar idea played twice
    idea = [Note(60 + i, 2.0 * i, 1.5, 70) for i in range(4)]  # 2 bars
    twice = replace(pieces[0], notes=tuple(idea + [replace(n, onset=n.onset + 8) for n in idea]))
    varied = replace(twice, notes=(*twice.notes[:-1], replace(twice.notes[-1], pitch=70)))
    assert repeated_halves((twice, varied)) == 0.5
    assert repeated_halves((replace(twice, length_beats=8.0),)) == 0.0  # no 4-bar loop


def test_a_new_loop_plays_its_first_half_twice_at_the_critics_share(piano):
    critic = read_critic(default_style_dir() / CRITIC_FILE)
    assert critic.repeated_halves > 0
    always = LoopCritic(critic.forests, {**critic.about, "repeated_halves": 1.0})
    never = LoopCritic(critic.forests, {**critic.about, "repeated_halves": 0.0})

    def halves(notes):
        return [
            sorted(
                (n.pitch, round(n.onset - start, 4), n.velocity)
                for n in notes
                if start <= n.onset < start + 8
            )
            for start in (0.0, 8.0)
        ]

    for seed in range(3):
        first, second = halves(_loop(piano, seed, always, 4))
        assert first and first == second
        first, second = halves(_loop(piano, seed, never, 4))
        assert first != second


def test_a_broken_critic_file_is_refused_clearly(piano, pieces, tmp_path):
    path = tmp_path / CRITIC_FILE
    path.write_bytes(b"not a critic")
    with pytest.raises(StyleError, match="not a loop critic"):
        read_critic(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("about.npy", bytes(MAX_CRITIC_BYTES + 1))
    with pytest.raises(StyleError, match="unpacks to more than"):
        read_critic(path)
    critic = fit_critic(pieces, piano, loops=10, trees=2)
    write_critic(path, LoopCritic({0: critic.forests[4]}, {**critic.about, "windows": [0]}))
    with pytest.raises(StyleError, match="not among"):
        read_critic(path)
    for share, says in ((1.5, "is not a share"), ("often", "could not convert")):
        write_critic(path, LoopCritic(critic.forests, {**critic.about, "repeated_halves": share}))
        with pytest.raises(StyleError, match=says):
            read_critic(path)
    write_critic(path, LoopCritic(critic.forests, {**critic.about, "features": ["pc_C"]}))
    with pytest.raises(StyleError, match="other features"):
        read_critic(path)
    forest = critic.forests[4]
    inner = int(np.flatnonzero(forest.feature >= 0)[0])
    forest.left[inner] = inner  # a node that is its own child: a walk would never end
    write_critic(path, critic)
    with pytest.raises(StyleError, match="child comes before"):
        read_critic(path)


def test_the_piano_plays_the_loop_its_critic_takes_most_for_a_piece(piano):
    shipped = read_critic(default_style_dir() / CRITIC_FILE)
    critic = LoopCritic(shipped.forests, {**shipped.about, "repeated_halves": 0.0})  # 4 bars
    changed = 0
    for seed in range(6):
        first = _loop(piano, seed)
        chosen = _loop(piano, seed, critic, 8)
        assert chosen == _loop(piano, seed, critic, 8)  # the same seed, the same loop
        assert critic.scores([chosen], 4)[0] >= critic.scores([first], 4)[0]
        changed += chosen != first
    assert changed >= 3
    assert _loop(piano, 1, critic, 1) == _loop(piano, 1)  # one choice: the first loop drawn


def test_the_shipped_style_chooses_its_loops_and_older_arrangements_do_not():
    models = load_song_models(default_style_dir())
    assert models.critic_model is not None and models.critic.id.startswith("critic@")
    assert ARRANGEMENT.loop_choices > 1
    v4 = {k: v for k, v in ARRANGEMENT.to_json().items() if k != "loop_choices"}
    assert arrangement_from_json({**v4, "version": 4}).loop_choices == 1
    # Version 5 chose among 32 loops: its recipes still do.
    v5 = {**ARRANGEMENT.to_json(), "version": 5, "loop_choices": 32}
    assert arrangement_from_json(v5).loop_choices == 32 < ARRANGEMENT.loop_choices


def test_the_command_fits_the_critic_of_a_style_and_refuses_clearly(tmp_path, capsys):
    style = tmp_path / "style"
    shutil.copytree(default_style_dir(), style, ignore=shutil.ignore_patterns(CRITIC_FILE))
    argv = ["train", "critic", "--corpus", "lofi", "--out", str(style), "--critic-loops", "20"]
    assert main(argv) == 0
    critic = read_critic(style / CRITIC_FILE)
    assert critic.about["loops"] == 20 and critic.about["corpus"] == "lofi"
    assert "train critic" in critic.about["command"]
    capsys.readouterr()
    assert main(argv) == 2
    assert "already exists" in capsys.readouterr().err
    game = tmp_path / "game"  # the shipped game style: no piano
    shutil.copytree(fallback_style_dir(), game, ignore=shutil.ignore_patterns("lofi*"))
    assert main([*argv[:4], "--out", str(game)]) == 2
    assert "learned no piano" in capsys.readouterr().err
    assert not (game / CRITIC_FILE).exists()


def test_every_file_a_shipped_style_generates_with_installs_as_package_data() -> None:
    import tomllib
    from fnmatch import fnmatch

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"]["lofi._checkpoints"] == "checkpoints"
    left_out = []
    for path in sorted((root / "checkpoints").rglob("*")):
        if path.is_dir() or path.name == "progress.jsonl":  # training's log, not read to play
            continue
        folder = path.parent.relative_to(root / "checkpoints").parts
        globs = config["package-data"].get(".".join(("lofi._checkpoints", *folder)), [])
        if not any(fnmatch(path.name, g) for g in globs):
            left_out.append(str(path.relative_to(root)))
    assert (root / "checkpoints" / "lofi" / CRITIC_FILE).is_file()
    assert left_out == []
