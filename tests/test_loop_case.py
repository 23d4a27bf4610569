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
