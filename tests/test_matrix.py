"""The cross-corpus table on two tiny corpora of opposite character (block chords on every
beat, sparse soft arpeggios), each written as real MIDI files."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from lofi.core.errors import StyleError
from lofi.data.corpus import load_corpus
from lofi.learn.train import TrainConfig
from lofi.tools.features import from_piece
from lofi.tools.matrix import (
    MATCHED_DRAWS,
    TABLES,
    MatrixReport,
    cross_corpus,
    folder_name,
    matched_parts,
    style_for,
)
from tests.factories import TINY, make_piece, write_corpus

# Enough for tiny models to learn two corpora this plain (a high rate): with 10 steps of 10
# epochs the melodies still leapt between octaves that the pieces keep to; 30 epochs of 20
# steps pass every check below, as 30 and 60 steps did, while 15 steps, or 20 epochs of 20,
# leave the block style's songs too far from its own corpus. An epoch is at least 20 steps,
# so the cap of 20 shortens the comping's alone (319 windows in either corpus, 40 batches). A
# part stops 15 epochs after its best one: the longest wait between two better epochs here
# is 14 (the block chords'), so every part keeps the checkpoint it kept with no early stop,
# and the parts that peak early stop early.
SMALL = TrainConfig(
    kind="melody",
    epochs=30,
    seq_len=16,
    batch_size=8,
    max_steps=20,
    learning_rate=0.01,
    patience=15,
    size=TINY,
)


# Session-wide: a worker may run other modules between this one's tests, and a module
# fixture would then be made again.
@pytest.fixture(scope="session")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[MatrixReport, Path, list[str], str]:
    """The table of two tiny corpora, measured once, by the command.

    The styles are trained first as the table trains a style it lacks (`style_for`, with the
    small budget); `evaluate --matrix` then reuses them, measures every view and writes the
    JSON the report is read back from. Returns the report, the folder, the corpora and what
    the command printed.
    """
    from lofi.cli import main

    root = tmp_path_factory.mktemp("matrix")
    previous = os.environ.get("LOFI_CACHE_DIR")
    os.environ["LOFI_CACHE_DIR"] = str(root / "cache")
    printed = io.StringIO()
    try:
        names = [
            str(write_corpus(root / "block", "block", 24, seed=0)),
            str(write_corpus(root / "arpeggio", "arpeggio", 24, seed=1)),
        ]
        for name in names:
            folder = root / "styles" / folder_name(name)
            style_for(load_corpus(name), folder, SMALL, 0.4, lambda _m: None)
        args = ["evaluate", "--matrix", "--corpora", ",".join(names), "--styles-dir"]
        args += [str(root / "styles"), "--songs", "3", "--bars", "8", "--held-out", "0.4"]
        with contextlib.redirect_stdout(printed):
            assert main([*args, "--json", str(root / "matrix.json")]) == 0
    finally:
        if previous is None:
            del os.environ["LOFI_CACHE_DIR"]
        else:
            os.environ["LOFI_CACHE_DIR"] = previous
    data = json.loads((root / "matrix.json").read_text())
    fields = ("auc", "human", "melody_auc", "overlap", "attribution", "pieces", "styles")
    report = MatrixReport(
        corpora=tuple(data["corpora"]),
        **{name: data[name] for name in fields},
        matched_auc=data["matched_auc"],
        reference=data["reference"],
        settings=data["settings"],
    )
    return report, root, names, printed.getvalue()


def test_the_table_has_a_row_per_style_and_a_column_per_corpus(table, tmp_path) -> None:
    report, root, names, _ = table
    views = (report.auc, report.matched_auc, report.melody_auc, report.overlap, report.attribution)
    for values in (*views, *report.reference.values()):
        assert list(values) == names and all(list(row) == names for row in values.values())
        assert all(0.0 <= v <= 1.0 for row in values.values() for v in row.values())
    assert set(report.reference) == set(TABLES)
    # A corpus's training and held-out pieces cannot be told apart; the two corpora can.
    assert report.human[names[0]] < 0.75, report.human
    text = report.markdown()  # the styles, their training pieces, the human baseline
    assert text.count("\n") == 2 * len(names) + 2 and "**" in text and "training pieces" in text
    out = tmp_path / "matrix.json"
    report.write_json(out)
    data = json.loads(out.read_text())
    assert set(data["diagonal_lowest"]) == set(data["reference_diagonal_lowest"]) == set(TABLES)
    assert not (Path(names[0]) / "style.json").exists()  # never into the corpus folder
    styles = json.loads((root / "styles" / folder_name(names[0]) / "style.json").read_text())
    assert styles["training"]["held_out"] == 0.4 and styles["training"]["held_out_pieces"] > 0


def test_the_command_reuses_the_styles_and_prints_every_view(table, tmp_path) -> None:
    report, root, names, printed = table
    assert printed.count("reusing the style in") == 2
    assert printed.count("closest to its own corpus:") == len(TABLES)
    assert printed.count("the training pieces themselves: 2 of 2") == len(TABLES)
    assert "held-out parts of one size" in printed and "training pieces of" in printed
    for table_name in TABLES:  # each view as the report's Markdown table
        assert report.markdown(table_name) in printed
    data = json.loads((root / "matrix.json").read_text())
    assert data["settings"]["matched_pieces"] == min(p["held_out"] for p in report.pieces.values())
    assert data == json.loads(json.dumps(report.to_json()))  # the report read back whole
    with pytest.raises(StyleError, match="another corpus or split"):
        cross_corpus(names, root / "styles", 3, 8, 1, 0.3, SMALL, lambda _m: None)


def test_a_style_overlaps_its_own_corpus_most(table) -> None:
    report, _, names, _ = table
    block, arpeggio = names
    assert report.overlap[block][block] > report.overlap[block][arpeggio] + 0.08, report.overlap
    assert report.overlap[arpeggio][arpeggio] > report.overlap[arpeggio][block] + 0.08, (
        report.overlap
    )


def test_a_style_sounds_like_its_own_corpus_to_a_classifier_of_both(table) -> None:
    report, _, names, _ = table
    for row in names:
        assert sum(report.attribution[row].values()) == pytest.approx(1.0)
        other = next(c for c in names if c != row)
        assert report.attribution[row][row] > report.attribution[row][other] + 0.5, (
            report.attribution
        )


def test_the_training_pieces_are_closest_to_their_own_corpus_in_every_view(table) -> None:
    report, _, names, _ = table
    for view in TABLES:
        assert all(report.diagonal_lowest(view, reference=True).values()), report.reference[view]
    block, arpeggio = names
    assert report.reference["auc"][block][block] < 0.8 < report.reference["auc"][block][arpeggio]


def test_held_out_parts_are_matched_to_the_smallest_one() -> None:
    pieces = [from_piece(make_piece(tonic=t, bars=8, name=f"p{t}")) for t in range(10)]
    held = {"small": pieces[:4], "large": pieces}
    parts = matched_parts(held, seed=3)
    assert len(parts["small"]) == 1 and len(parts["large"]) == MATCHED_DRAWS
    assert sorted(set(parts["small"][0][1])) == sorted({m.name for m in pieces[:4]})
    drawn = [sorted(set(groups.tolist())) for _rows, groups in parts["large"]]
    assert all(len(d) == 4 for d in drawn) and len({tuple(d) for d in drawn}) > 1
    again = matched_parts(held, seed=3)["large"]
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(parts["large"], again, strict=True))


def test_a_style_is_closest_to_its_own_corpus(table) -> None:
    report, _, names, _ = table
    block, arpeggio = names
    assert report.auc[block][block] < report.auc[block][arpeggio] - 0.1, report.auc
    assert report.auc[arpeggio][arpeggio] < report.auc[arpeggio][block] - 0.1, report.auc
