"""The radio's figures for `python -m lofi.tools.bench`: time to first audio and look-ahead.

Time to first audio: from the listener's click (a new radio session: effect beds loaded, the
song composed) to the first piece of the first track on disk, ready to be fetched. The
look-ahead margin: how many seconds before the second track is needed (the first one's end
less the crossfade, counted from when the first piece could start playing) it is wholly
on disk. Render workers are warm, as on a running server.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Any

from lofi.service.novelty import DriftLimits


def bench_radio(request: Any, bars: int, repeats: int) -> dict[str, float]:
    """Seconds to the first playable track, the least margin the next was ready by, make time."""
    from lofi.audio.render import render_stems
    from lofi.compose.midi import song_to_midi
    from lofi.compose.song import compose
    from lofi.models.loading import load_checkpoints
    from lofi.service.radio import RadioSession, RadioSettings

    models = load_checkpoints(request.melody_model, request.chord_model)
    warm = dataclasses.replace(request.config, bars=8)
    render_stems(song_to_midi(compose(warm, models)), request.instruments)  # warm workers
    settings = RadioSettings(DriftLimits(bpm_range=(76.0, 84.0)), bars=bars, crossfade_s=4.0)
    firsts, margins, made = [], [], []
    for seed in range(repeats):
        clicked = time.perf_counter()
        session = RadioSession(request, models, dataclasses.replace(settings, seed=seed + 1))
        try:
            session.ensure(0)
            session.wait_first(120.0)
            playable = time.perf_counter()
            wall_playable = time.time()
            firsts.append(playable - clicked)
            deadline = time.time() + 600
            while not (len(session.tracks) > 1 and session.tracks[1].done):
                if session.error or time.time() > deadline:
                    raise RuntimeError(session.error or "the second track never came")
                time.sleep(0.05)
            first, second = session.tracks[0], session.tracks[1]
            needed = wall_playable + first.seconds - settings.crossfade_s
            margins.append(needed - second.ready_at)
            made.append(second.made_s)
        finally:
            session.close()
    return {
        "time_to_first_audio_s": statistics.median(firsts),
        "radio_lookahead_margin_s": min(margins),
        "radio_track_make_s": statistics.median(made),
    }
