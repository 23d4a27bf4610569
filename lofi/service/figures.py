"""Plotly figures for the pages, built from plain data (no streamlit here)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from lofi.core.types import Note, Song

PART_COLOURS = {"chords": "#8fb8de", "melody": "#f4a261", "bass": "#7fb77e", "drums": "#b5a1d6"}
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
LAYOUT: dict[str, Any] = {
    "margin": {"l": 40, "r": 10, "t": 40, "b": 40},
    "height": 320,
    "template": "plotly_dark",
}


def _pitch_name(p: int) -> str:
    return f"{NOTE_NAMES[p % 12]}{p // 12 - 1}"


def piano_roll(parts: dict[str, Sequence[Note]], bpm: float | None, title: str) -> go.Figure:
    """One bar per note, coloured by part; x in seconds when a tempo is given, else beats."""
    fig = go.Figure()
    scale = 60.0 / bpm if bpm else 1.0
    for name, notes in parts.items():
        if not notes:
            continue
        onset = np.array([n.onset for n in notes]) * scale
        dur = np.array([n.duration for n in notes]) * scale
        pitch = np.array([n.pitch for n in notes])
        fig.add_trace(
            go.Bar(
                x=dur,
                y=pitch,
                base=onset,
                width=0.8,
                orientation="h",
                marker={"color": PART_COLOURS.get(name, "#cccccc")},
                name=name,
                customdata=[_pitch_name(int(p)) for p in pitch],
                hovertemplate="%{customdata} at %{base:.2f}<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        title=title,
        barmode="overlay",
        bargap=0,
        xaxis_title="seconds" if bpm else "beats",
        yaxis_title="MIDI pitch",
        **{**LAYOUT, "height": 380},
    )
    return fig


ROLL_BACKGROUND = "#222a3a"  # lighter than the page, so dark notes never vanish into it
ROLL_NOTE = "#d6e4f5"  # every note of a corpus piece: light on the background
ROLL_COLUMNS = 1500  # time columns of a long piece's roll: a screen's worth, cheap to draw
ROLL_BARS_MAX = 3000  # notes drawn one by one; more are drawn as a downsampled image
ROLL_WINDOW_S = 90.0  # a long piece opens on its first minute and a half; drag to move


def _occupancy(notes: Sequence[Note], scale: float, step: float, low: int, high: int) -> Any:
    """Share of each (pitch, column) cell a note sounds in; NaN where none (transparent)."""
    grid = np.zeros((high - low + 1, ROLL_COLUMNS), dtype=np.float32)
    for n in notes:
        start, end = n.onset * scale / step, (n.onset + n.duration) * scale / step
        first = min(int(start), ROLL_COLUMNS - 1)
        last = min(max(first + 1, int(np.ceil(end))), ROLL_COLUMNS)
        grid[n.pitch - low, first:last] += 1.0
    np.clip(grid, 0.0, 1.0, out=grid)
    grid[grid == 0] = np.nan
    return grid


def corpus_roll(notes: Sequence[Note], melody: Sequence[Note], bpm: float, title: str) -> go.Figure:
    """A corpus piece's piano roll, readable at any length.

    Light notes on a lighter-than-page background; short pieces note by note, long ones as a
    downsampled image that opens on its first ROLL_WINDOW_S seconds, with a range slider over
    the whole piece (drag or zoom).
    """
    scale = 60.0 / bpm
    if len(notes) + len(melody) <= ROLL_BARS_MAX:
        fig = piano_roll({"notes": notes, "melody": melody}, bpm, title)
        fig.update_traces(marker_color=ROLL_NOTE, selector={"name": "notes"})
        fig.update_layout(plot_bgcolor=ROLL_BACKGROUND)
        return fig
    everything = [*notes, *melody]
    end = max(n.onset + n.duration for n in everything) * scale
    low, high = min(n.pitch for n in everything), max(n.pitch for n in everything)
    step = end / ROLL_COLUMNS
    x = (np.arange(ROLL_COLUMNS) + 0.5) * step
    y = np.arange(low, high + 1)
    fig = go.Figure()
    for name, part, colour in (("notes", notes, ROLL_NOTE), ("melody", melody, "#f4a261")):
        fig.add_trace(
            go.Heatmap(
                z=_occupancy(part, scale, step, low, high),
                x=x,
                y=y,
                zmin=0.0,
                zmax=1.0,
                colorscale=[[0.0, "#55657d"], [1.0, colour]],
                showscale=False,
                name=name,
                hovertemplate="%{y} at %{x:.0f} s<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        title=title,
        xaxis={
            "title": "seconds",
            "range": [0.0, min(end, ROLL_WINDOW_S)],
            "rangeslider": {"visible": True, "thickness": 0.12},
        },
        yaxis_title="MIDI pitch",
        plot_bgcolor=ROLL_BACKGROUND,
        **{**LAYOUT, "height": 420},
    )
    return fig


def bars(labels: Sequence[Any], values: Sequence[float], title: str, x_title: str) -> go.Figure:
    """A bar chart of counts, one bar per label, in the studio's colours."""
    fig = go.Figure(go.Bar(x=list(labels), y=list(values), marker_color="#8fb8de"))
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title="count", **LAYOUT)
    return fig


def pitch_histogram(histogram: Sequence[int]) -> go.Figure:
    """Notes per MIDI pitch, named (C4…), from the lowest to the highest pitch used."""
    used = [i for i, c in enumerate(histogram) if c]
    lo, hi = (min(used), max(used)) if used else (0, 127)
    labels = [_pitch_name(p) for p in range(lo, hi + 1)]
    return bars(labels, histogram[lo : hi + 1], "Pitches", "pitch")


def velocity_histogram(histogram: Sequence[int]) -> go.Figure:
    """Notes per MIDI velocity, 0–127."""
    return bars(list(range(128)), histogram, "Velocities", "MIDI velocity")


def duration_histogram(histogram: dict[float, int], longest: float = 8.0) -> go.Figure:
    """Notes per duration in quarter notes, up to `longest`."""
    items = [(d, c) for d, c in histogram.items() if d <= longest]
    return bars([f"{d:g}" for d, _ in items], [c for _, c in items], "Durations", "quarter notes")


def chord_frequencies(counts: dict[str, int], most: int = 40) -> go.Figure:
    """Beats per chord symbol: the `most` commonest, the most frequent first."""
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])[:most]
    # A short title: the chart shares the page's width with another at 1366 px.
    fig = bars(
        [k for k, _ in ordered],
        [v for _, v in ordered],
        "Chords, in beats",
        f"chord symbol (the {most} commonest)",
    )
    fig.update_layout(yaxis_title="beats")
    return fig


def loss_curves(records: Iterable[dict[str, Any]]) -> go.Figure:
    """Training loss per step and validation loss per epoch from progress.jsonl records."""
    steps = [r for r in records if r.get("event") == "step"]
    epochs = [r for r in records if r.get("event") == "epoch"]
    fig = go.Figure()
    for rows, key, label, mode, colour in (
        (steps, "loss", "on the corpus it studies (loss)", "lines", "#8fb8de"),
        (epochs, "val_loss", "on music it has not seen (val loss)", "lines+markers", "#f4a261"),
    ):
        fig.add_trace(
            go.Scatter(
                x=[r["step"] for r in rows],
                y=[r[key] for r in rows],
                mode=mode,
                name=label,
                line={"color": colour},
            )
        )
    fig.update_layout(
        title="How surprised the model is by the next note (lower is better)",
        xaxis_title="step",
        yaxis_title="surprise (cross-entropy)",
        **LAYOUT,
    )
    return fig


def waveform(audio: np.ndarray, sample_rate: int, points: int = 2000) -> go.Figure:
    """Peak envelope of the mix (mono), decimated to `points` columns."""
    mono = np.abs(audio).max(axis=1) if audio.ndim == 2 else np.abs(audio)
    n = max(1, len(mono) // points)
    env = mono[: len(mono) // n * n].reshape(-1, n).max(axis=1)
    t = np.arange(len(env)) * n / sample_rate
    fig = go.Figure(
        go.Scatter(
            x=np.concatenate([t, t[::-1]]),
            y=np.concatenate([env, -env[::-1]]),
            fill="toself",
            line={"color": "#8fb8de", "width": 0.5},
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        title="Waveform", xaxis_title="seconds", showlegend=False, **{**LAYOUT, "height": 200}
    )
    return fig


def song_roll(song: Song) -> go.Figure:
    """The piano roll of every part of a song."""
    return piano_roll({p.name: p.notes for p in song.parts}, song.bpm, "Piano roll")


def feature_distributions(
    sets: dict[str, np.ndarray], names: Sequence[str], feature: str
) -> go.Figure:
    """One feature's distribution over the windows of each set, overlaid as densities.

    Args:
        sets: set name (e.g. "generated", "held-out corpus") → window feature rows.
        names: the feature columns' names.
        feature: the feature to draw.
    """
    column = list(names).index(feature)
    fig = go.Figure()
    colours = ("#f4a261", "#8fb8de", "#7fb77e", "#b5a1d6")
    for (label, rows), colour in zip(sets.items(), colours, strict=False):
        fig.add_trace(
            go.Histogram(
                x=rows[:, column],
                name=f"{label} ({len(rows)})",
                histnorm="probability density",
                opacity=0.6,
                marker={"color": colour},
                nbinsx=30,
            )
        )
    fig.update_layout(
        title=feature.replace("_", " "),
        barmode="overlay",
        xaxis_title="value per 4-bar window",
        yaxis_title="density",
        **LAYOUT,
    )
    return fig


def overlap_bars(overlaps: dict[str, dict[str, float]]) -> go.Figure:
    """Each feature's overlapped area per comparison, side by side (1 = same distribution)."""
    fig = go.Figure()
    for label, values in overlaps.items():
        fig.add_trace(go.Bar(x=list(values), y=list(values.values()), name=label))
    fig.update_layout(
        title="Overlapped area per feature",
        barmode="group",
        yaxis_title="overlap",
        yaxis_range=[0, 1],
        **{**LAYOUT, "height": 380},
    )
    return fig
