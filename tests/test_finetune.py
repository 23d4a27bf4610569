"""Fine-tuning a style: every part starts from the base's weights (by token name), trains on
the new corpus' training part only, and keeps vocabularies compatible."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lofi.core.errors import StyleError
from lofi.core.parts import style_parts
from lofi.core.settings import TRAINING
from lofi.data.split import held_out_part, split_pieces, training_part
from lofi.encoding.vocab import vocabulary
from lofi.learn.export import export_weights
from lofi.learn.finetune import BasePart, BaseStyle, warm_start
from lofi.learn.models import build_model
from lofi.learn.style_training import train_style
from lofi.learn.train import TrainConfig
from lofi.models.checkpoint import META_FILE, VOCAB_FILE, WEIGHTS_FILE, file_sha256, read_checkpoint
from lofi.models.sampler import StepModel
from lofi.models.style import STYLE_FILE, read_style
from tests.factories import TINY, make_piece, synthetic_corpus

CONFIG = TrainConfig(
    kind="melody", corpus="synthetic", epochs=1, seq_len=8, batch_size=8, size=TINY, max_steps=2
)
PARTS = ("melody", "chords")


def quiet(_message: str) -> None:
    return None


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("base") / "base"
    train_style(synthetic_corpus(8), out, CONFIG, PARTS, "tests", quiet)
    return out


def other_corpus():  # the same music moved up a tone: new pieces, new hashes
    from lofi.data.corpus import Corpus

    pieces = tuple(make_piece(tonic=(5 * i + 2) % 12, name=f"q{i}") for i in range(10))
    return Corpus(name="other", pieces=pieces, bad=(), content_hash="other")


def arrays(folder: Path) -> dict[str, np.ndarray]:
    with np.load(folder / WEIGHTS_FILE) as npz:
        return {k: npz[k] for k in npz.files}


@pytest.mark.parametrize("kind", ["chords", "melody"])
def test_the_warm_start_copies_every_weight_of_the_base(base: Path, kind: str) -> None:
    part = BasePart.read(base / kind, kind)
    vocab = vocabulary(kind)
    model = build_model(vocab, part.size, seed=7)
    report = warm_start(part)(model, vocab)
    assert report["rows_fresh"] == 0 and report["lstm_layers_from_base"] == 1
    started = export_weights(model, vocab)
    assert started.keys() == part.arrays.keys()
    if kind == "melody":  # the chord bias table and its position factor, learned away from
        assert np.abs(part.arrays["head/pitch/chord_bias"]).max() > 0  # their start
        assert np.abs(part.arrays["head/pitch/chord_scale"] - 1.0).max() > 0
    for name, value in part.arrays.items():
        np.testing.assert_array_equal(started[name], value, err_msg=name)


def test_fine_tuning_changes_the_weights_and_keeps_the_vocabularies(
    base: Path, tmp_path: Path
) -> None:
    corpus = other_corpus()
    style = train_style(corpus, tmp_path / "ft", CONFIG, PARTS, "tests", quiet, start_from=base)
    assert set(style.parts) == set(PARTS)
    for kind in PARTS:
        before, after = arrays(base / kind), arrays(style.path / kind)
        assert before.keys() == after.keys()
        assert all(before[k].shape == after[k].shape for k in before)
        # every array learned: embeddings, the LSTM and every head (nothing stayed frozen)
        unchanged = [k for k in before if np.array_equal(before[k], after[k])]
        assert not unchanged, (kind, unchanged)
        assert (base / kind / VOCAB_FILE).read_bytes() == (
            style.path / kind / VOCAB_FILE
        ).read_bytes()
        # the composer's sampler reads it with this version's vocabulary
        vocab = vocabulary(kind)
        step = StepModel.load(style.path / kind, vocab)
        probs = step.step({name: 1 for name in vocab.inputs}, step.initial_state())
        assert {n: len(p) for n, p in probs.items()} == {n: vocab.size(n) for n in vocab.outputs}
        meta = read_checkpoint(style.path / kind, kind).meta
        sha = read_checkpoint(base / kind).meta["model_sha256"]
        assert meta["warm_start"]["base"] == f"{kind}@{sha[:12]}"
        # the base's size, with the fine-tuning dropout
        assert meta["settings"]["size"] == {**TINY.to_json(), "dropout": TRAINING.finetune_dropout}
    data = json.loads((style.path / STYLE_FILE).read_text())
    # The base's models: its own, and the shipped style's ones it falls back on.
    assert data["base"]["name"] == "base" and set(PARTS) <= set(data["base"]["models"])
    train, held = split_pieces(corpus)
    assert data["training"]["training_pieces"] == len(train) and held
    assert data["training"]["held_out_pieces"] == len(held)
    assert data["training"]["parts"]["melody"].startswith("fine-tuned from melody@")
    assert read_style(style.path).base["corpus"] == "synthetic"


def test_training_sees_no_held_out_piece() -> None:
    corpus = other_corpus()
    seen = training_part(corpus, 0.3)
    _, held = split_pieces(corpus, 0.3)
    assert held and not set(seen.pieces) & set(held)
    assert len(seen.pieces) + len(held) == len(corpus.pieces)
    assert training_part(corpus, 0.0) is corpus
    part = held_out_part(corpus, 0.3)
    assert part.pieces == held and part.content_hash == corpus.content_hash


def test_held_out_losses_cover_every_part_the_styles_share(base: Path, tmp_path: Path) -> None:
    from lofi.tools.bench_style import MEASURED, held_out_losses

    full = tmp_path / "full"
    train_style(synthetic_corpus(8), full, CONFIG, MEASURED, "tests", quiet)
    held = held_out_part(other_corpus(), 0.3)
    every = held_out_losses({"a": full, "b": full}, held, CONFIG.seq_len)
    assert {k for k in every if k.startswith("a_")} == {
        "a_heldout_loss",
        *(f"a_heldout_loss_{p}" for p in MEASURED),
    }
    assert all(np.isfinite(v) and v > 0 for v in every.values())
    parts = sum(every[f"a_heldout_loss_{p}"] for p in MEASURED)
    assert every["a_heldout_loss"] == pytest.approx(parts) == every["b_heldout_loss"]
    # Beside a style of melody and chords only, those two are what is compared.
    some = held_out_losses({"a": full, "base": base}, held, CONFIG.seq_len)
    assert set(some) == {
        f"{n}_heldout_loss{p}" for n in ("a", "base") for p in ("", *[f"_{k}" for k in PARTS])
    }


def test_a_base_with_a_smaller_vocabulary_grows_fresh_rows(base: Path, tmp_path: Path) -> None:
    """A base trained when the chord vocabulary lacked some symbols: the kept rows come from
    the base, the new ones start fresh, nothing crashes."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(base, old)
    folder = old / "chords"
    vocab = json.loads((folder / VOCAB_FILE).read_text())
    dropped = vocab["inputs"]["chord"][-3:]
    vocab["inputs"]["chord"] = vocab["inputs"]["chord"][:-3]
    (folder / VOCAB_FILE).write_text(json.dumps(vocab))
    weights = arrays(folder)
    weights["embed/chord"] = weights["embed/chord"][:-3]
    weights["head/chord/w"] = weights["head/chord/w"][:, :-3]
    weights["head/chord/b"] = weights["head/chord/b"][:-3]
    np.savez(folder / WEIGHTS_FILE, **weights)  # type: ignore[arg-type]
    meta = json.loads((folder / META_FILE).read_text())
    meta["vocab_sha256"] = file_sha256(folder / VOCAB_FILE)
    meta["weights_sha256"] = file_sha256(folder / WEIGHTS_FILE)
    (folder / META_FILE).write_text(json.dumps(meta))

    part = BaseStyle.read(old).part("chords")
    assert part is not None
    full = vocabulary("chords")
    model = build_model(full, part.size, seed=1)
    fresh = export_weights(model, full)
    report = warm_start(part)(model, full)
    assert report["rows_fresh"] == 3
    started = export_weights(model, full)
    np.testing.assert_array_equal(started["embed/chord"][:-3], weights["embed/chord"])
    np.testing.assert_array_equal(started["embed/chord"][-3:], fresh["embed/chord"][-3:])
    np.testing.assert_array_equal(started["head/chord/b"][:-3], weights["head/chord/b"])
    assert dropped == list(full.inputs["chord"][-3:])
    style = train_style(
        other_corpus(), tmp_path / "ft", CONFIG, ("chords", "melody"), "t", quiet, start_from=old
    )
    assert read_checkpoint(style.path / "chords", "chords").vocab == full


def test_the_command_fine_tunes_and_refuses_clearly(base: Path, tmp_path: Path, capsys) -> None:
    from lofi.cli import main
    from tests.factories import groove_folder

    folder = groove_folder(tmp_path / "grooves", n=5)
    out = tmp_path / "mine"
    args = ["train", "style", "--corpus", str(folder), "--from", str(base), "--out", str(out)]
    args += ["--epochs", "1", "--seq-len", "8", "--batch-size", "8", "--max-steps", "2"]
    assert main(args) == 0
    data = json.loads((out / STYLE_FILE).read_text())
    assert data["base"]["name"] == "base" and data["corpus"] == "grooves"
    # The command as given and the parts it chose (drums: not a piano pack, every part).
    parts = ",".join(style_parts(()))
    assert data["command"] == shlex.join(["python", "-m", "lofi", *args, "--parts", parts])
    # the base has no drums model: this corpus' drums are learned from scratch
    assert data["training"]["parts"]["drums"] == "trained from scratch"
    settings = read_checkpoint(out / "melody").meta["settings"]
    assert settings["learning_rate"] == pytest.approx(TRAINING.finetune_learning_rate)
    capsys.readouterr()
    assert main(["train", "melody", "--from", str(base), "--out", str(tmp_path / "x")]) == 2
    assert "are for styles" in capsys.readouterr().err
    bad = [
        "train",
        "style",
        "--corpus",
        str(folder),
        "--from",
        "nope",
        "--out",
        str(tmp_path / "y"),
    ]
    assert main(bad) == 2
    assert "no style 'nope'" in capsys.readouterr().err
    # size and dropout are the base's: a flag for them would be ignored, so it is refused
    sized = tmp_path / "sized"
    for flags, named in (
        (["--units", "64"], "--units"),
        (["--dropout", "0.2", "--layers", "2"], "--layers, --dropout"),
    ):
        assert main([*bad[:5], str(base), "--out", str(sized), *flags]) == 2
        assert f"{named}: a fine-tuned style keeps its base's size" in capsys.readouterr().err
        assert not sized.exists()
    with pytest.raises(StyleError, match="already holds a style"):
        train_style(other_corpus(), out, CONFIG, PARTS, start_from=base)


@pytest.mark.timeout(600)
def test_a_stopped_style_resumes_where_it_stopped(tmp_path: Path) -> None:
    """SIGTERM stops `train style` in its first part; --resume keeps what it finished, goes
    on from the stopped part's best checkpoint and trains the rest."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from lofi.core.parts import style_parts
    from lofi.data.corpus import load_corpus
    from lofi.learn.progress import read_progress
    from lofi.learn.style_training import StyleStopped
    from tests.factories import groove_folder

    # the parts train in the registry's order: the first is the one the stop lands in
    first, second = (p for p in style_parts(("melody", "chords")) if p in ("melody", "chords"))
    folder = groove_folder(tmp_path / "grooves", n=5)
    out = tmp_path / "style"
    args = [sys.executable, "-m", "lofi", "train", "style", "--corpus", str(folder)]
    args += ["--out", str(out), "--parts", "melody,chords", "--epochs", "500", "--patience"]
    args += ["500", "--max-steps", "1", "--seq-len", "8", "--batch-size", "4", "--units", "8"]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while time.time() < deadline:
        epochs = [r for r in read_progress(out / first / "progress.jsonl") if r["event"] == "epoch"]
        if epochs:
            break
        time.sleep(0.3)
    os.kill(child.pid, signal.SIGTERM)
    output = child.communicate(timeout=120)[0].decode()
    assert child.returncode == 0 and "--resume" in output, output[-2000:]
    assert not (out / STYLE_FILE).exists() and not (out / second).exists()
    events = [r["event"] for r in read_progress(out / first / "progress.jsonl")]
    assert events[-1] == "stopped"
    stopped_sha = read_checkpoint(out / first).meta["model_sha256"]

    corpus = load_corpus(folder)
    small = TrainConfig(kind="melody", epochs=1, seq_len=8, batch_size=4, max_steps=1)
    style = train_style(corpus, out, small, PARTS, "tests", quiet, resume=True)
    assert (
        style.training["parts"][first]
        == f"trained from scratch, resumed from {first}@{stopped_sha[:12]}"
    )
    assert style.training["parts"][second] == "trained from scratch"
    assert read_checkpoint(out / first).meta["settings"]["size"]["units"] == 8  # its own size
    assert not list(out.glob(".stopped-*"))
    with pytest.raises(StyleError, match="already holds a style"):
        train_style(corpus, out, small, PARTS, resume=True)
    assert StyleStopped.__mro__[1] is StyleError


def test_a_small_corpus_epoch_repeats_its_windows(tmp_path: Path) -> None:
    """One batch of windows makes an epoch of `min_steps` steps (a cap still caps it)."""
    from lofi.learn.progress import read_progress
    from lofi.learn.train import train

    corpus = synthetic_corpus(4)
    config = TrainConfig(kind="melody", epochs=1, seq_len=8, batch_size=512, size=TINY, min_steps=3)
    for folder, cfg, steps in ((tmp_path / "a", config, 3), (tmp_path / "b", config, 2)):
        if steps == 2:
            cfg = replace(cfg, max_steps=2)
        train(cfg, corpus, folder)
        start = read_progress(folder / "progress.jsonl")[0]
        assert start["event"] == "start" and start["steps_per_epoch"] == steps


def test_the_bench_says_whether_fine_tuning_beats_both() -> None:
    from lofi.tools.bench_style import beats_both

    figures = {
        "base_heldout_loss_melody": 5.0,
        "base_heldout_loss_chords": 6.0,
        "scratch_heldout_loss_melody": 2.5,
        "scratch_heldout_loss_chords": 4.0,
        "finetuned_heldout_loss_melody": 2.0,
        "finetuned_heldout_loss_chords": 4.1,  # worse than scratch, though the sum wins
        "base_realism_gap": 0.5,
        "scratch_realism_gap": 0.4,
        "finetuned_realism_gap": 0.3,
    }
    for name in ("base", "scratch", "finetuned"):
        figures[f"{name}_heldout_loss"] = sum(
            figures[f"{name}_heldout_loss_{p}"] for p in ("melody", "chords")
        )
    out = beats_both(figures)
    assert out["finetuned_beats_both_heldout_loss"] == 1.0  # 6.1 < 6.5
    assert out["finetuned_beats_both_heldout_loss_melody"] == 1.0
    assert out["finetuned_beats_both_heldout_loss_chords"] == 0.0
    assert out["finetuned_beats_both_realism_gap"] == 1.0
    assert "chords: fine-tuned 4.100 does NOT beat both" in out["finetune_verdict"]
    figures["finetuned_realism_gap"] = figures["base_realism_gap"] = 0.4
    out = beats_both(figures)
    assert out["finetuned_beats_both_realism_gap"] == 0.0
    assert "realism gap: fine-tuned 0.400 not measurable" in out["finetune_verdict"]
