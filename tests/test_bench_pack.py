"""The lofi-pack bench case: its two halves of the pack, its per-piece losses, its verdict.

The whole case runs (tiny) in the bench's smoke run, here rather than with the other cases
(tests/test_bench.py): its three `train style` commands take about as long as all of them,
so the two modules run on two workers.
"""

from pathlib import Path

import numpy as np
import pytest

from lofi.data.corpus import load_corpus
from lofi.data.split import held_out_part, split_pieces
from lofi.tools.bench_pack import (
    SEQ_LEN,
    corpus_folder,
    loss_figures,
    pack_halves,
    paired_gap,
    verdict,
)
from tests.smoke_bench import smoke_bench

SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints" / "lofi"


@pytest.fixture(scope="module")
def pack():
    return load_corpus(SHIPPED.parents[1] / "corpora" / "lofi")


def test_the_halves_deal_the_training_part_by_piece(pack, tmp_path: Path) -> None:
    a, b = pack_halves(pack)
    train, held = split_pieces(pack, 0.2)
    assert not set(a) & set(b) and abs(len(a) - len(b)) <= 1 and len(b) >= 20
    source = dict(zip((p.content_hash for p in pack.pieces), pack.sources, strict=True))
    assert sorted(a + b) == sorted(source[p.content_hash] for p in train)
    assert not {source[p.content_hash] for p in held} & set(a + b)
    # Copies keep their bytes: the user's pack holds none of the pack's held-out pieces.
    user = load_corpus(corpus_folder(b[:3], tmp_path / "user"))
    assert len(user.pieces) == 3
    assert {p.content_hash for p in user.pieces} <= {p.content_hash for p in train}


def test_held_out_losses_resample_the_pieces_they_average(pack) -> None:
    from lofi.tools.bench_style import held_out_loss

    held = held_out_part(pack, 0.2)
    styles = {"base": SHIPPED, "finetuned": SHIPPED, "scratch": SHIPPED}
    out = loss_figures(styles, held, resamples=50)
    assert out["pack_heldout_loss_parts"] == "piano,bass"
    for part in ("piano", "bass"):  # the mean over the pieces' windows is the bench's loss
        whole = held_out_loss(SHIPPED / part, held, SEQ_LEN)
        assert out[f"pack_base_heldout_loss_{part}"] == pytest.approx(whole, rel=1e-3)
    summed = out["pack_base_heldout_loss_piano"] + out["pack_base_heldout_loss_bass"]
    assert out["pack_base_heldout_loss"] == pytest.approx(summed)
    low, high = out["pack_base_heldout_loss_low"], out["pack_base_heldout_loss_high"]
    assert low < out["pack_base_heldout_loss"] < high and np.isfinite([low, high]).all()
    # The same style three times: resampled over the same pieces, the difference is nil.
    diff = "pack_finetuned_minus_scratch_heldout_loss"
    assert out[diff] == out[diff + "_low"] == out[diff + "_high"] == 0.0


def test_two_styles_gaps_are_compared_over_the_same_held_out_resamples(pack) -> None:
    from lofi.tools.evaluate import evaluate

    def measured(style: Path):
        return evaluate(pack, style, 2, 1, 8, 0.2, windows=(1, 2), draws=1, boots=20)

    lofi, game = measured(SHIPPED), measured(SHIPPED.parent)  # the pack's style, the games'
    out = paired_gap(lofi, game)
    key = "pack_finetuned_minus_scratch_realism_gap"
    assert out[key] == pytest.approx(lofi.realism_gap - game.realism_gap)
    assert out[key + "_low"] <= out[key] <= out[key + "_high"]
    assert out[key + "s"].startswith("1 bar: ") and "; 2 bars: " in out[key + "s"]
    same = paired_gap(lofi, lofi)  # a style against itself: nothing left to differ
    assert same[key] == same[key + "_low"] == same[key + "_high"] == 0.0


def test_a_win_needs_the_paired_interval_below_zero() -> None:
    figures: dict[str, float] = {}
    for name, loss, gap in (("base", 9.0, 0.5), ("finetuned", 7.0, 0.2), ("scratch", 8.0, 0.3)):
        for key, value in (("heldout_loss", loss), ("realism_gap", gap)):
            figures |= {f"pack_{name}_{key}": value, f"pack_{name}_{key}_low": value - 0.5}
            figures[f"pack_{name}_{key}_high"] = value + 0.5  # each alone: all overlapping
    for key, diff in (("heldout_loss", -1.0), ("realism_gap", -0.1)):
        d = f"pack_finetuned_minus_scratch_{key}"
        figures |= {d: diff, d + "_low": diff - 0.05, d + "_high": diff + 0.05}
    out = verdict(figures)
    assert out["pack_finetuned_beats_scratch_heldout_loss"] == 1.0
    assert out["pack_finetuned_beats_scratch_realism_gap"] == 1.0
    assert "held-out loss: fine-tuned beats from-scratch" in out["pack_verdict"]
    assert "fine-tuned − scratch -0.100 [-0.150, -0.050]" in out["pack_verdict"]
    # A lower figure whose paired interval reaches 0 is no win, and says so.
    figures["pack_finetuned_minus_scratch_realism_gap_high"] = 0.02
    figures["pack_finetuned_minus_scratch_heldout_loss_high"] = float("nan")  # unpaired
    out = verdict(figures)
    assert out["pack_finetuned_beats_scratch_realism_gap"] == 0.0
    assert out["pack_finetuned_beats_scratch_heldout_loss"] == 0.0
    words = out["pack_verdict"]
    assert "realism gap: fine-tuned is lower than from-scratch, within the interval" in words
    figures["pack_finetuned_minus_scratch_heldout_loss"] = 0.3
    assert "held-out loss: fine-tuned does NOT beat" in verdict(figures)["pack_verdict"]


@pytest.mark.timeout(600)
def test_smoke_bench_fine_tunes_to_the_lofi_pack(tmp_path, tiny_checkpoints, app_dirs) -> None:
    """The lofi-pack case: every figure, each within its interval, said in words."""
    r, res = smoke_bench(tmp_path, tiny_checkpoints, app_dirs["effects"], ("lofi-pack",))
    approx = pytest.approx
    # the lofi pack in two halves: a base on one, fine-tuned and from scratch on the other
    assert r["pack_base_files"] == r["pack_user_files"] == 4 and r["pack_held_out_pieces"] > 2
    assert r["pack_finetune_seconds"] > 0 and r["pack_finetune_cpu_seconds"] > 0
    parts = r["pack_heldout_loss_parts"].split(",")
    assert parts == ["piano", "bass"]  # what `train style` learns of a piano pack
    for name in ("base", "finetuned", "scratch"):
        summed = sum(r[f"pack_{name}_heldout_loss_{p}"] for p in parts)
        assert r[f"pack_{name}_heldout_loss"] == approx(summed)
        for key in ("heldout_loss", "realism_gap"):
            low, high = r[f"pack_{name}_{key}_low"], r[f"pack_{name}_{key}_high"]
            assert low <= r[f"pack_{name}_{key}"] <= high, (name, key)
        assert r[f"pack_{name}_compared"].startswith("chords, melody")
    diff = "pack_finetuned_minus_scratch_heldout_loss"
    own, scratch = r["pack_finetuned_heldout_loss"], r["pack_scratch_heldout_loss"]
    assert r[diff] == approx(own - scratch)
    assert r["pack_finetuned_beats_scratch_heldout_loss"] == float(r[diff + "_high"] < 0)
    gap = "pack_finetuned_minus_scratch_realism_gap"
    own, scratch = r["pack_finetuned_realism_gap"], r["pack_scratch_realism_gap"]
    assert r[gap] == approx(own - scratch)
    assert r["pack_finetuned_beats_scratch_realism_gap"] == float(r[gap + "_high"] < 0)
    assert f"held-out pieces: {r['pack_verdict']}" in res.stdout
    assert r["pack_setup"] in res.stdout and "4 of the other half" in r["pack_setup"]
    page = (tmp_path / "docs" / "benchmark.md").read_text()
    assert "fine-tuning a piano style to a user's lofi pack" in page and "≤ 300" in page
