"""The cross-corpus table on two tiny corpora of opposite character (block chords on every
beat, sparse soft arpeggios), each written as real MIDI files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from lofi.core.errors import StyleError
from lofi.learn.train import TrainConfig
from lofi.tools.matrix import MatrixReport, cross_corpus
from tests.factories import TINY, write_corpus

# Enough for tiny models to learn two corpora this plain (a high rate, no early stop).
SMALL = TrainConfig(
    kind="melody",
    epochs=10,
    seq_len=16,
    batch_size=8,
    max_steps=10,
    learning_rate=0.01,
    patience=100,
    size=TINY,
)


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[MatrixReport, Path, list[str]]:
    root = tmp_path_factory.mktemp("matrix")
    previous = os.environ.get("LOFI_CACHE_DIR")
    os.environ["LOFI_CACHE_DIR"] = str(root / "cache")
    try:
        names = [
            str(write_corpus(root / "block", "block", 24, seed=0)),
            str(write_corpus(root / "arpeggio", "arpeggio", 24, seed=1)),
        ]
        report = cross_corpus(names, root / "styles", 3, 8, 1, 0.4, SMALL, lambda _m: None)
    finally:
        if previous is None:
            del os.environ["LOFI_CACHE_DIR"]
        else:
            os.environ["LOFI_CACHE_DIR"] = previous
    return report, root, names


def test_the_table_has_a_row_per_style_and_a_column_per_corpus(table, tmp_path) -> None:
    report, root, names = table
    for values in (report.auc, report.melody_auc, report.overlap, report.attribution):
        assert list(values) == names and all(list(row) == names for row in values.values())
        assert all(0.0 <= v <= 1.0 for row in values.values() for v in row.values())
    # Two halves of one homogeneous corpus cannot be told apart; the two corpora can.
    assert report.human[names[0]] < 0.75, report.human
    text = report.markdown()
    assert text.count("\n") == len(names) + 2 and "**" in text
    out = tmp_path / "matrix.json"
    report.write_json(out)
    data = json.loads(out.read_text())
    assert set(data["diagonal_lowest"]) == {"auc", "melody_auc", "overlap", "attribution"}
    from lofi.tools.matrix import folder_name

    assert not (Path(names[0]) / "style.json").exists()  # never into the corpus folder
    styles = json.loads((root / "styles" / folder_name(names[0]) / "style.json").read_text())
    assert styles["training"]["held_out"] == 0.4 and styles["training"]["held_out_pieces"] > 0


def test_styles_are_reused_and_never_overwritten(table) -> None:
    report, root, names = table
    os.environ["LOFI_CACHE_DIR"] = str(root / "cache")
    try:
        messages: list[str] = []
        again = cross_corpus(names, root / "styles", 3, 8, 1, 0.4, SMALL, messages.append)
        assert sum("reusing" in m for m in messages) == 2
        np.testing.assert_allclose(
            [list(r.values()) for r in again.auc.values()],
            [list(r.values()) for r in report.auc.values()],
        )
        with pytest.raises(StyleError, match="another corpus or split"):
            cross_corpus(names, root / "styles", 3, 8, 1, 0.3, SMALL, messages.append)
    finally:
        del os.environ["LOFI_CACHE_DIR"]


def test_a_style_overlaps_its_own_corpus_most(table) -> None:
    report, _, names = table
    block, arpeggio = names
    assert report.overlap[block][block] > report.overlap[block][arpeggio] + 0.08, report.overlap
    assert report.overlap[arpeggio][arpeggio] > report.overlap[arpeggio][block] + 0.08, (
        report.overlap
    )


def test_a_style_sounds_like_its_own_corpus_to_a_classifier_of_both(table) -> None:
    report, _, names = table
    for row in names:
        assert sum(report.attribution[row].values()) == pytest.approx(1.0)
        other = next(c for c in names if c != row)
        assert report.attribution[row][row] > report.attribution[row][other] + 0.5, (
            report.attribution
        )


@pytest.mark.xfail(
    strict=True,
    reason="the classifiers still tell every generated window from both corpora (AUC 1.0 in "
    "both columns), so the AUC cannot rank them yet; the overlap does (test above). Remove "
    "this mark when the styles imitate their corpus closely enough for the AUC to drop",
)
def test_a_style_is_closest_to_its_own_corpus(table) -> None:
    report, _, names = table
    block, arpeggio = names
    assert report.auc[block][block] < report.auc[block][arpeggio] - 0.1, report.auc
    assert report.auc[arpeggio][arpeggio] < report.auc[arpeggio][block] - 0.1, report.auc
