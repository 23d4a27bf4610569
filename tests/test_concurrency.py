"""Many users at once, and a render worker killed in the middle of a song."""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from lofi.audio.soundfonts import Instrument, default_instruments
from lofi.core.types import GenerationConfig, Key, Note, Part, Song
from lofi.service.recipe import TrackRequest, load_recipe
from lofi.service.track import make_track, resolve_effects, write_track
from lofi.service.uploads import unique_path


def _has_child(pid: int) -> bool:
    try:
        return bool(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except OSError:
        return False


def test_a_worker_killed_mid_render_is_replaced_and_the_song_rendered(gm_soundfont) -> None:
    from lofi.audio import render
    from lofi.compose.form import sections_for
    from lofi.compose.midi import song_to_midi

    notes = tuple(Note(36 + i % 24, i * 0.5, 0.5, 100) for i in range(1200))  # 5 minutes
    song = Song(Key(0, "major"), 120.0, 150, (Part("bass", notes),), sections_for(150), ())
    midi = song_to_midi(song)
    inst = {"bass": Instrument(gm_soundfont, 0, 33)}
    clean = render.render_stems(midi, inst)["bass"]
    killed: list[int] = []

    def kill_mid_render() -> None:
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            for worker in render._workers:
                process = worker.process
                if process is not None and worker.alive() and _has_child(process.pid):
                    os.killpg(process.pid, signal.SIGKILL)  # the worker and its render fork
                    killed.append(process.pid)
                    return
            time.sleep(0.002)

    killer = threading.Thread(target=kill_mid_render)
    killer.start()
    again = render.render_stems(midi, inst)["bass"]
    killer.join()
    assert killed, "the render ended before the worker could be killed"
    assert all(w.process is None or w.process.pid not in killed for w in render._workers)
    np.testing.assert_array_equal(again, clean)


def test_four_sessions_generating_at_once(app_env) -> None:
    font = app_env["soundfonts"] / "sf_GMbank.sf2"
    instruments = {p: replace(i, soundfont=font) for p, i in default_instruments().items()}
    levels = {"rain": -24.0, "vinyl": -30.0}
    sessions = app_env["user"] / "sessions"

    def session(n: int) -> Path:
        request = TrackRequest(
            GenerationConfig(seed=100 + n, key=Key.parse("D-minor"), bpm=80.0 + n, bars=8),
            app_env["checkpoints"] / "melody",
            app_env["checkpoints"] / "chords",
            instruments,
            levels,
            resolve_effects(levels),
        )
        folder = sessions / f"s{n}"
        folder.mkdir(parents=True, exist_ok=True)
        out = unique_path(folder, f"take-seed{request.config.seed}")
        write_track(make_track(request), request, out, mp3=False)
        return out

    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(session, range(4)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"four sessions at once: peak RSS of this process {peak_mb} MB")
    assert len({o.parent for o in outs}) == 4
    digests = {}
    for n, out in enumerate(outs):
        files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
        assert [str(f) for f in files][:3] == ["mix.wav", "recipe.json", "song.mid"]
        digests[n] = hashlib.sha256((out / "mix.wav").read_bytes()).hexdigest()
        request = load_recipe(out / "recipe.json")
        assert request.config.seed == 100 + n
        again = unique_path(out.parent, "again")
        write_track(make_track(request), request, again, mp3=False)
        assert (again / "mix.wav").read_bytes() == (out / "mix.wav").read_bytes()
        assert (again / "song.mid").read_bytes() == (out / "song.mid").read_bytes()
    assert len(set(digests.values())) == 4  # four different tracks, none clobbered
