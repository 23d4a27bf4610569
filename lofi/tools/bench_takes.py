"""Bench case: what one studio take costs on disk, and its stems made when asked for."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from lofi.core.settings import LIMITS


def bench_takes(request: Any) -> dict[str, float]:
    """What one studio take costs on disk, with and without its stems.

    A take as the studio writes it has no stems and no MP3; the stems are rendered when first
    asked for (timed here). The session cap is given in takes of this size.

    Args:
        request: a TrackRequest (its render workers are started by a warm-up track first).

    Returns:
        take_mb, take_with_stems_mb, stems_on_demand_s, session_cap_mb, takes_per_session.
    """
    from lofi.core.types import with_part_seeds
    from lofi.service.takes import save_take, session_bytes, take_stems
    from lofi.service.track import make_track

    request = replace(request, config=with_part_seeds(request.config))
    make_track(request)  # warm-up
    with tempfile.TemporaryDirectory() as tmp:
        session = Path(tmp)
        folder = save_take(make_track(request), request, session)
        size = session_bytes(session)
        start = time.perf_counter()
        take_stems(folder)
        stems_s = time.perf_counter() - start
        with_stems = session_bytes(session)
    return {
        "take_mb": size / 1e6,
        "take_with_stems_mb": with_stems / 1e6,
        "stems_on_demand_s": stems_s,
        "session_cap_mb": LIMITS.session_bytes / 1e6,
        "takes_per_session": float(LIMITS.session_bytes // size),
    }
