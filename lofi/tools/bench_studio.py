"""The studio's figures for `python -m lofi.tools.bench`: Generate → first playable audio.

From the call the studio page makes when Generate is pressed (`start_take`: the request
checked, the song composed, the first bars of every part rendered and written as stem
pieces the browser fetches) to those pieces on disk, ready to play; and to the whole take
(the rest of the stems, the mastered mix.wav, song.mid, stems/, recipe.json). Render
workers and models are warm, as on a running server; each take finishes before the next.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any


def bench_studio(request: Any, repeats: int) -> dict[str, float]:
    """Median seconds from Generate to the first playable bars, and to the whole take.

    Args:
        request: the track to make (its seed moves on by one each run).
        repeats: measured runs, after one that warms the workers and the beds.
    """
    import dataclasses

    from lofi.models.loading import load_checkpoints
    from lofi.service.studio_stream import start_take

    models = load_checkpoints(request.melody_model, request.chord_model)
    firsts, made = [], []
    with tempfile.TemporaryDirectory(prefix="bench-studio-") as tmp:
        for run in range(repeats + 1):  # the first run warms the workers and the beds
            config = dataclasses.replace(request.config, seed=request.config.seed + run)
            take = start_take(
                dataclasses.replace(request, config=config), models, Path(tmp), "bench"
            )
            try:
                if not take.wait_first(120.0) or not take.wait_done(600.0):
                    raise RuntimeError(take.error or "the take was not made in time")
            finally:
                shutil.rmtree(take.folder, ignore_errors=True)
            if run:
                firsts.append(take.timings["first_audio"])
                made.append(take.timings["made"])
    return {
        "studio_time_to_first_audio_s": statistics.median(firsts),
        "studio_whole_take_s": statistics.median(made),
    }
