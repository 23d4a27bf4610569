"""A track's figures for `python -m lofi.tools.bench`: render, end to end, peak memory.

Our render of the stems against the fluidsynth command line on the same MIDI, one whole track
(make and write) with each stage's time, and the peak memory of a process that makes one.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lofi.tools.bench_measure import median_time


def track_request(melody: Path, chords: Path, bars: int, bpm: float) -> Any:
    """The bench's track: seed 3 in A minor, the default instruments and effect levels."""
    from lofi.audio.soundfonts import default_instruments
    from lofi.core.settings import MIX
    from lofi.core.types import GenerationConfig, Key
    from lofi.service.recipe import TrackRequest
    from lofi.service.track import resolve_effects

    config = GenerationConfig(seed=3, key=Key.parse("A-minor"), bpm=bpm, bars=bars)
    return TrackRequest(
        config,
        melody,
        chords,
        default_instruments(),
        MIX.effect_levels(),
        resolve_effects(MIX.effect_levels()),
    )


def bench_render(request: Any, repeats: int, warmup: int = 1) -> dict[str, float]:
    """Our render of the song's stems against the fluidsynth command line on the same MIDI.

    Each is timed `repeats` times after `warmup` untimed runs.
    """
    from lofi.audio.render import render_stems
    from lofi.compose.midi import song_to_midi
    from lofi.compose.song import compose
    from lofi.models.loading import load_checkpoints

    midi = song_to_midi(
        compose(request.config, load_checkpoints(request.melody_model, request.chord_model))
    )
    font = request.instruments["chords"].soundfont
    with tempfile.TemporaryDirectory() as tmp:
        mid_path = Path(tmp) / "song.mid"
        mid_path.write_bytes(midi)
        ours = median_time(lambda: render_stems(midi, request.instruments), repeats, warmup)
        cmd = [
            "fluidsynth",
            "-ni",
            "-q",
            "-r",
            "44100",
            "-F",
            str(Path(tmp) / "cli.wav"),
            str(font),
            str(mid_path),
        ]
        cli = median_time(
            lambda: subprocess.run(cmd, check=True, capture_output=True), repeats, warmup
        )
    return {"render_seconds": ours, "render_cli_seconds": cli, "render_ratio": ours / cli}


def bench_e2e(request: Any, repeats: int, warmup: int = 1) -> dict[str, Any]:
    """Median seconds of one whole track (make and write), with each stage's median.

    The first `warmup` runs are not counted.
    """
    from lofi.service.track import make_track, write_track

    runs: list[dict[str, float]] = []
    for i in range(repeats + warmup):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            track = make_track(request)
            from lofi.audio.export import write_wav

            t = time.perf_counter()
            write_wav(track.mix, Path(tmp) / "mix.wav")
            track.timings["write_wav"] = time.perf_counter() - t
            total = time.perf_counter() - start
            t = time.perf_counter()
            write_track(track, request, Path(tmp) / "all", mp3=True)
            with_files = total + time.perf_counter() - t
        if i >= warmup:
            runs.append({**track.timings, "total": total, "total_with_mp3_and_stems": with_files})
    stages = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return {"e2e_seconds": stages["total"], "e2e_stage_seconds": stages}


def bench_memory(melody: Path, chords: Path, bars: int) -> dict[str, float]:
    """Peak RSS of a fresh process that loads both models and makes a whole track."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from lofi.audio import render\n"
        "from lofi.tools.bench_measure import peak_kb\n"
        "from lofi.tools.bench_track import track_request\n"
        "from lofi.service.track import make_track, write_track\n"
        f"r = track_request(Path({str(melody)!r}), Path({str(chords)!r}), {bars}, 80.0)\n"
        "t = make_track(r)\n"
        "write_track(t, r, Path(sys.argv[1]))\n"
        "workers = [peak_kb(w.process.pid) for w in render._workers if w.alive()]\n"
        "print(peak_kb('self'), max(workers, default=0))\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", code, str(Path(tmp) / "t")],
            check=True,
            capture_output=True,
            text=True,
        )
    main_kb, worker_kb = (int(v) for v in out.stdout.split()[-2:])
    return {"peak_rss_mb": main_kb / 1024, "render_worker_peak_rss_mb": worker_kb / 1024}
