"""evaluate's loop case: songs on real pack pieces' own chords, measured beside the pieces."""

import json
from pathlib import Path

import pytest

from lofi.core.types import Note
from lofi.data.readers import parse_file
from lofi.tools.loop_case import GENERATED, PIECES, loop_case, rest_share

PACK = Path(__file__).parent / "data" / "lofi_pack"


def test_rest_share_counts_the_time_no_note_sounds() -> None:
    notes = [Note(60, 0.0, 1.0, 80), Note(64, 0.5, 1.0, 80), Note(67, 3.0, 2.0, 80)]
    assert rest_share(notes, 0.0, 4.0) == pytest.approx(1.5 / 4.0)  # 1.5–3 is silent
    assert rest_share([], 0.0, 4.0) == 1.0


def test_loop_case_builds_a_song_on_each_piece_and_judges_both(models, tmp_path) -> None:
    pieces = [parse_file(p) for p in sorted(PACK.glob("*.mid"))]
    report = loop_case(pieces, models, "pack", "all", seed=3, bars=12)
    assert (report.pieces, report.skipped, report.bars) == (3, 0, 12)
    for name in ("chord_tone_ratio", "rest_share"):
        for side in (GENERATED, PIECES):
            assert 0.0 <= getattr(report, name)[side] <= 1.0
    # The pieces' top notes are mostly their own chords' tones.
    assert report.chord_tone_ratio[PIECES] > 0.8
    assert report.judged_notes[GENERATED] > 0 and report.judged_notes[PIECES] > 0
    report.write_json(tmp_path / "loop.json")
    assert json.loads((tmp_path / "loop.json").read_text())["pieces"] == 3
    assert report == loop_case(pieces, models, "pack", "all", seed=3, bars=12)


def test_evaluate_loop_case_prints_its_table(tiny_checkpoints, tmp_path, capsys) -> None:
    from lofi.cli import main

    melody, chords = tiny_checkpoints
    folder = tmp_path / "pack"
    folder.mkdir()
    for path in PACK.glob("*.mid"):
        (folder / path.name).write_bytes(path.read_bytes())
    args = ["evaluate", "--corpus", str(folder), "--loop-case", "all", "--bars", "8"]
    args += ["--melody-model", str(melody), "--chord-model", str(chords)]
    assert main([*args, "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "loop case, corpus pack (all pieces): 3 songs of 8 bars" in out
    assert "chord_tone_ratio" in out and "rest_share" in out


def test_the_loop_case_table_and_its_reading_say_what_the_figures_mean() -> None:
    from lofi.tools.loop_case import LoopCaseReport

    def report(songs: float) -> LoopCaseReport:
        return LoopCaseReport(
            "pack",
            "all",
            3,
            0,
            8,
            1,
            {GENERATED: songs, PIECES: 0.85},
            {GENERATED: 40, PIECES: 27},
            {GENERATED: 0.25, PIECES: 0.3},
        )

    near, far = report(0.82), report(0.6)
    assert near.table() == [
        {"figure": "chord tones on beats 1 and 3", GENERATED: "0.820", PIECES: "0.850"},
        {"figure": "share of time resting", GENERATED: "0.250", PIECES: "0.300"},
        {"figure": "notes on beats 1 and 3 judged", GENERATED: "40", PIECES: "27"},
    ]
    assert "82% of the songs' melody notes" in near.reading()
    assert "85% of the pieces' top-line notes (within 0.05: alike)" in near.reading()
    assert "(0.25 apart, more than 0.05)" in far.reading()
    assert "melody rests 25% of the time, the pieces' top lines 30%." in far.reading()
    assert "no melody notes" in report(float("nan")).reading()
    assert json.loads(report(float("nan")).json_text())["chord_tone_ratio"][GENERATED] is None
