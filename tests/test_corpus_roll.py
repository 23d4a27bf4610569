"""The dataset page's piano roll stays readable and light for a piece of any length."""

import json

import numpy as np

from lofi.core.types import Note
from lofi.service.figures import ROLL_BACKGROUND, ROLL_COLUMNS, ROLL_NOTE, corpus_roll


def _piece(minutes: float, bpm: float = 120.0) -> tuple[list[Note], list[Note]]:
    rng = np.random.default_rng(0)
    beats = minutes * bpm
    onsets = np.sort(rng.uniform(0, beats, int(beats * 6)))
    notes = [Note(int(rng.integers(36, 84)), float(t), 0.5, 80) for t in onsets]
    melody = [Note(86, float(t), 0.5, 90) for t in np.arange(0, beats, 1.0)]
    return notes, melody


def test_a_28_minute_piece_is_a_small_light_image_opening_on_its_first_bars() -> None:
    notes, melody = _piece(28)
    assert len(notes) > 20_000
    fig = corpus_roll(notes, melody, 120.0, "roll")
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert all(len(t.x) == ROLL_COLUMNS for t in fig.data)
    assert fig.layout.plot_bgcolor == ROLL_BACKGROUND
    assert fig.data[0].colorscale[-1][1] == ROLL_NOTE  # light notes, a lighter background
    assert fig.layout.xaxis.range[1] <= 90 and fig.layout.xaxis.rangeslider.visible
    assert len(json.dumps(fig.to_plotly_json(), default=str)) < 3_000_000  # not 20k bars
    sounding = np.nan_to_num(np.asarray(fig.data[1].z, dtype=float))
    assert sounding[86 - 36].sum() > ROLL_COLUMNS * 0.5  # the top line is there all along


def test_a_short_piece_is_drawn_note_by_note_in_light_colours() -> None:
    notes, melody = _piece(0.5)
    fig = corpus_roll(notes, melody, 120.0, "roll")
    assert {t.type for t in fig.data} == {"bar"}
    assert fig.data[0].marker.color == ROLL_NOTE
    assert fig.layout.plot_bgcolor == ROLL_BACKGROUND
