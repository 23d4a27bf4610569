"""The sound report for `python -m lofi.tools.bench --case sound`: does the mix sound finished?

For the Studio's default track (its default settings, style, instruments and beds) and for
the first ten tracks of a radio session, the figures of `lofi.audio.meter`: loudness, true
peak, brightness, width and the drum stem's punch, each beside its target (SOUND_TARGETS).

The targets, and where they come from, are in lofi.audio.meter (TARGETS).
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

from lofi.audio.meter import COLUMNS, TARGETS, misses

SOUND_TARGETS = TARGETS  # figure → (low, high) allowed
RADIO_TRACKS = 10


def default_request(bars: int | None = None) -> Any:
    """The Studio's first track: default settings, the shipped style, instruments and beds.

    With `bars`, that many bars instead of the default length (the smoke run's short track).
    """
    from lofi.audio.soundfonts import default_instruments
    from lofi.core.settings import MIX
    from lofi.core.types import GenerationConfig, part_seeds_for
    from lofi.models.style import default_style_dir
    from lofi.service.recipe import style_request
    from lofi.service.track import ensure_default_effects, resolve_effects

    ensure_default_effects()
    levels = MIX.effect_levels()
    config = GenerationConfig()
    config = dataclasses.replace(
        config, part_seeds=part_seeds_for(config.seed), bars=bars or config.bars
    )
    return style_request(
        config, default_style_dir(), default_instruments(), levels, resolve_effects(levels)
    )


def default_track_report(bars: int | None = None) -> dict[str, float]:
    """The default track made as the Studio makes it, measured."""
    from lofi.audio.meter import measure
    from lofi.service.track import make_track

    track = make_track(default_request(bars))
    return measure(track.mix, track.stems.get("drums")).as_dict()


def radio_reports(tracks: int = RADIO_TRACKS, bars: int = 32) -> list[dict[str, float]]:
    """The first `tracks` tracks of a radio session (seed 1) as the radio plays them."""
    import soundfile as sf

    from lofi.audio.meter import measure
    from lofi.audio.placement import render_placed
    from lofi.compose.midi import song_to_midi
    from lofi.service.radio import RadioSession, RadioSettings
    from lofi.service.recipe import request_models

    base = default_request()
    models = request_models(base)
    session = RadioSession(base, models, RadioSettings(bars=bars, seed=1))
    reports = []
    try:
        for _ in range(tracks):
            track = session.make_now()
            audio, _ = sf.read(io.BytesIO(track.wav_bytes()), dtype="float32")
            midi = song_to_midi(track.song)
            kit = {"drums": track.request.instruments["drums"]}
            drums = render_placed(midi, kit, track.request.mix)["drums"]  # as the mix has it
            reports.append(measure(audio, drums).as_dict())
    finally:
        session.close()
    return reports


def bench_sound(radio_tracks: int = RADIO_TRACKS, smoke: bool = False) -> dict[str, Any]:
    """The default track's and the radio tracks' figures, a row per track."""
    rows = {"default": default_track_report(8 if smoke else None)}
    for index, report in enumerate(radio_reports(radio_tracks, 8 if smoke else 32)):
        rows[f"radio #{index + 1}"] = report
    return {"sound": rows}


def print_sound_table(rows: dict[str, dict[str, float]]) -> None:
    """Prints one row per track, and which figures miss their targets."""
    head = f"{'track':10s} " + " ".join(f"{c.label:>13s}" for c in COLUMNS)
    print(head + "  misses")
    for name, report in rows.items():
        cells = [c.cell(report) for c in COLUMNS]
        print(f"{name:10s} " + " ".join(f"{c:>13s}" for c in cells), " ".join(misses(report)))
    targets = ", ".join(f"{k} {lo:g}…{hi:g}" for k, (lo, hi) in SOUND_TARGETS.items())
    print(f"targets: {targets}")


def write_doc(rows: dict[str, dict[str, float]], path: Path) -> None:
    """docs/sound.md: the table of the last run, written by the command that measured it."""
    buffer = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(buffer):
        print_sound_table(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# The sound report\n\nWritten by `python -m lofi.tools.bench --case sound`.\n"
        "Targets and where they come from: `lofi/audio/meter.py` (TARGETS).\n\n```\n"
        + buffer.getvalue()
        + "```\n"
    )
