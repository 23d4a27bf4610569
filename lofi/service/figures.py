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


def bars(labels: Sequence[Any], values: Sequence[float], title: str, x_title: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(labels), y=list(values), marker_color="#8fb8de"))
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title="count", **LAYOUT)
    return fig


def pitch_histogram(histogram: Sequence[int]) -> go.Figure:
    used = [i for i, c in enumerate(histogram) if c]
    lo, hi = (min(used), max(used)) if used else (0, 127)
    labels = [_pitch_name(p) for p in range(lo, hi + 1)]
    return bars(labels, histogram[lo : hi + 1], "Pitches", "pitch")


def velocity_histogram(histogram: Sequence[int]) -> go.Figure:
    return bars(list(range(128)), histogram, "Velocities", "MIDI velocity")


def duration_histogram(histogram: dict[float, int], longest: float = 8.0) -> go.Figure:
    items = [(d, c) for d, c in histogram.items() if d <= longest]
    return bars([f"{d:g}" for d, _ in items], [c for _, c in items], "Durations", "quarter notes")


def chord_frequencies(counts: dict[str, int], most: int = 40) -> go.Figure:
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])[:most]
    return bars(
        [k for k, _ in ordered],
        [v for _, v in ordered],
        f"Chord symbols (the {most} commonest of the model's vocabulary, in beats)",
        "symbol",
    )


def loss_curves(records: Iterable[dict[str, Any]]) -> go.Figure:
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
    return piano_roll({p.name: p.notes for p in song.parts}, song.bpm, "Piano roll")


def feature_distributions(
    sets: dict[str, np.ndarray], names: Sequence[str], feature: str
) -> go.Figure:
    """One feature's distribution over the 4-bar windows of each set, overlaid as densities.

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
