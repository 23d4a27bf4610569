"""Lofi radio: an endless queue of distinct tracks made ahead of the listener.

Each listener has a RadioSession; every session's tracks are made on one small pool shared
by the whole server (the render workers are shared too), one track at a time per session
and only while the listener is fewer than LOOKAHEAD tracks ahead. A track's first bars are
written first (sound within a second), the rest follows; old tracks' audio is deleted, their
recipes stay, so the history can always be made again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lofi.audio.effects import load_effect
from lofi.audio.export import set_tags
from lofi.audio.render import song_frames
from lofi.audio.stream import stream_track
from lofi.compose.around_loop import LoopPart
from lofi.compose.midi import song_to_midi
from lofi.compose.song import compose
from lofi.core.constants import SAMPLE_RATE
from lofi.core.paths import PROJECT_ROOT
from lofi.core.types import Song
from lofi.models import SongModels
from lofi.service.novelty import DriftLimits, History, distinct, drift, first_config
from lofi.service.recipe import TrackRequest, to_recipe
from lofi.service.track import track_tags

LOOKAHEAD = 2  # tracks made beyond the one playing
THEME_EVERY = 4  # a station theme plays on the first track and every fourth after it
KEEP_AUDIO = 3  # tracks before the one playing whose audio stays on disk
HISTORY_MAX = 500  # tracks remembered per session (recipes, chords)
STALE_S = 24 * 3600.0  # radio folders untouched this long are removed
STATIC_URL = "app/static"  # Streamlit serves PROJECT_ROOT/static here (enableStaticServing)
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="radio")


def static_root() -> Path:
    """Where the radio's audio files go: the folder Streamlit serves as static files."""
    return PROJECT_ROOT / "static" / "radio"


@dataclass(frozen=True)
class RadioSettings:
    """A radio session's settings: drift limits, bars per track, crossfade and seed."""

    limits: DriftLimits = field(default_factory=DriftLimits)
    bars: int = 32
    crossfade_s: float = 4.0
    seed: int | None = None  # None: a new seed per session
    # A user's loop as the station's theme: every THEME_EVERY-th track is built around it,
    # at its own key and tempo; the drift goes on from the other tracks.
    theme: LoopPart | None = None


@dataclass
class RadioTrack:
    """One track of the radio: its request, song, audio pieces on disk and whether it is done."""

    index: int
    request: TrackRequest
    song: Song
    total_frames: int
    pieces: list[tuple[Path, int]] = field(default_factory=list)  # file, frames
    done: bool = False
    liked: bool = False
    made_s: float = 0.0  # from the job's start to the whole track on disk
    first_s: float = 0.0  # from the job's start to the first piece on disk
    ready_at: float = 0.0  # wall clock when the whole track was on disk
    pruned: bool = False

    @property
    def seconds(self) -> float:
        """The track's length in seconds."""
        return self.total_frames / SAMPLE_RATE

    @property
    def title(self) -> str:
        """'#3 · A-minor · 80 BPM · seed 12', as the player shows it."""
        c = self.request.config
        return f"#{self.index + 1} · {c.key.name} · {c.bpm:g} BPM · seed {c.seed}"

    def recipe(self) -> dict[str, Any]:
        """The track's recipe.json content, which makes the same track again."""
        return to_recipe(self.request)

    def wav_bytes(self) -> bytes:
        """The whole track as one WAV (its pieces joined)."""
        import io

        import soundfile as sf

        buffer = io.BytesIO()
        with sf.SoundFile(buffer, "w", SAMPLE_RATE, 2, subtype="PCM_16", format="WAV") as out:
            set_tags(out, track_tags(self.request.config))  # title, BPM and key
            for path, _ in self.pieces:
                out.write(sf.read(str(path), dtype="int16")[0])
        return buffer.getvalue()

    def for_player(self, session_id: str) -> dict[str, Any]:
        """What the browser's player needs: the pieces' URLs, the length, what to show."""
        c = self.request.config
        beat = 60.0 / c.bpm
        notes = [
            [round(n.onset * beat, 3), round(n.duration * beat, 3), n.pitch, i]
            for i, part in enumerate(self.song.parts)
            if not part.is_drum
            for n in part.notes
        ]
        return {
            "index": self.index,
            "title": self.title,
            "key": c.key.name,
            "bpm": c.bpm,
            "frames": self.total_frames,
            "done": self.done,
            "made_s": round(self.made_s if self.done else self.first_s, 3),
            "segments": [
                {"url": f"{STATIC_URL}/radio/{session_id}/{p.name}", "frames": n}
                for p, n in self.pieces
            ],
            "chords": [[round(t * beat, 3), name] for t, _, name in self.song.chords],
            "notes": notes,
        }


class RadioSession:
    """One listener's radio: the queue, the drift of settings and the history."""

    def __init__(self, base: TrackRequest, models: SongModels, settings: RadioSettings) -> None:
        settings.limits.checked()
        self.id = uuid.uuid4().hex[:12]
        self.base = base
        self.models = models
        self.settings = settings
        seed = settings.seed if settings.seed is not None else int(time.time_ns() % 2**31)
        self.rng = np.random.default_rng(seed)
        self.history = History()
        self.config = first_config(settings.limits, settings.bars, self.rng)
        self.tracks: list[RadioTrack] = []
        self.playing = 0
        self.lock = threading.Lock()
        self.job: Future[None] | None = None
        self.error: str | None = None
        self.started_at: dict[int, float] = {}  # track index → wall clock it began to play
        self.folder = static_root() / self.id
        self.folder.mkdir(parents=True, exist_ok=True)
        self.effects = {
            name: (load_effect(base.effect_paths[name]), level)
            for name, level in base.effects.items()
        }
        _remove_stale(static_root())

    def update(self, settings: RadioSettings, effects: dict[str, float]) -> None:
        """New limits apply from the next track made."""
        settings.limits.checked()
        with self.lock:
            self.settings = settings
            self.base = dataclasses.replace(self.base, effects=dict(effects))
            self.effects = {
                name: (bed, effects.get(name, level)) for name, (bed, level) in self.effects.items()
            }

    def ensure(self, playing: int | None = None, from_job: bool = False) -> None:
        """Moves the queue to `playing`, making the next track if fewer than LOOKAHEAD wait.

        Old tracks' audio is removed.
        """
        with self.lock:
            if playing is not None and playing != self.playing and playing < len(self.tracks):
                self.playing = playing
                self.started_at.setdefault(playing, time.time())
            busy = self.job is not None and not self.job.done() and not from_job
            ahead = len(self.tracks) - 1 - self.playing
            if not busy and ahead < LOOKAHEAD and self.error is None:
                self.job = _pool.submit(self._make_next)
            for track in self.tracks[: max(0, self.playing - KEEP_AUDIO)]:
                if not track.pruned:
                    for path, _ in track.pieces:
                        path.unlink(missing_ok=True)
                    track.pruned = True
            if len(self.tracks) > HISTORY_MAX:
                del self.tracks[: len(self.tracks) - HISTORY_MAX]

    def _make_next(self) -> None:
        try:
            self._make()
        except Exception as exc:  # shown on the page; the session stops making tracks
            self.error = str(exc) or type(exc).__name__
            raise

    def _make(self, follow: bool = True) -> None:
        started = time.perf_counter()
        with self.lock:
            settings, base, effects = self.settings, self.base, dict(self.effects)
            if self.tracks:
                self.config = drift(self.config, settings.limits, self.rng)
            config = dataclasses.replace(self.config, bars=settings.bars)
            index = self.tracks[-1].index + 1 if self.tracks else 0
        theme = settings.theme if index % THEME_EVERY == 0 else None
        if theme is not None:
            config = dataclasses.replace(config, key=theme.loop.key, bpm=theme.loop.bpm)
        config, song = distinct(
            config, lambda c: compose(c, self.models, loop=theme), self.history, self.rng
        )
        if theme is None:
            self.config = config
        request = dataclasses.replace(base, config=config, loop=theme)
        midi = song_to_midi(song)
        track = RadioTrack(index, request, song, song_frames(midi))
        pieces = stream_track(
            midi, request.instruments, effects, config.bpm, mix=request.mix, tape=request.tape
        )
        first = next(pieces)
        path = self.folder / f"{index:05d}-a.wav"
        _write_wav(path, [first])
        track.pieces.append((path, len(first)))
        track.first_s = time.perf_counter() - started
        with self.lock:
            self.tracks.append(track)  # playable from now on
        rest = self.folder / f"{index:05d}-b.wav"
        frames = _write_wav(rest, pieces)  # through a temporary name: never read half-written
        if frames:
            track.pieces.append((rest, frames))
        track.done = True
        track.made_s = time.perf_counter() - started
        track.ready_at = time.time()
        if follow:
            self.ensure(from_job=True)  # the next one, if still behind

    def make_now(self) -> RadioTrack:
        """Makes the next track in this thread (no look-ahead): for measuring the radio."""
        self._make(follow=False)
        return self.tracks[-1]

    def wait_first(self, timeout: float) -> bool:
        """Waits until the first track is playable (or `timeout` seconds pass)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.tracks or self.error:
                return bool(self.tracks)
            time.sleep(0.02)
        return bool(self.tracks)

    def like(self, index: int) -> None:
        """Toggles the liked mark of the track with that index."""
        for track in self.tracks:
            if track.index == index:
                track.liked = not track.liked

    def queue(self) -> list[dict[str, Any]]:
        """The tracks the player should know: the one playing and everything after it."""
        with self.lock:
            return [
                t.for_player(self.id)
                for t in self.tracks
                if t.index >= self.playing - 1 and t.pieces and not t.pruned
            ]

    def margins(self) -> list[float]:
        """Seconds each track was wholly on disk before it was needed.

        For each track that started playing after another; it was needed at the previous one's
        end less the crossfade.
        """
        out = []
        by_index = {t.index: t for t in self.tracks}
        for index, began in sorted(self.started_at.items()):
            prev, nxt = by_index.get(index), by_index.get(index + 1)
            if prev and nxt and nxt.ready_at:
                needed = began + prev.seconds - self.settings.crossfade_s
                out.append(needed - nxt.ready_at)
        return out

    def close(self) -> None:
        """Removes the session's folder and its audio."""
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder)


def _write_wav(path: Path, pieces: Iterator[np.ndarray] | list[np.ndarray]) -> int:
    """Writes the pieces to a temporary name, then renames it to `path`; returns frames."""
    import soundfile as sf

    tmp = path.with_name(f".{path.name}.tmp")
    frames = 0
    with sf.SoundFile(str(tmp), "w", SAMPLE_RATE, 2, subtype="PCM_16", format="WAV") as out:
        for piece in pieces:
            out.write(np.clip(piece, -1.0, 1.0))
            frames += len(piece)
    if frames:
        tmp.replace(path)
    else:
        tmp.unlink()
    return frames


def _remove_stale(root: Path) -> None:
    now = time.time()
    for folder in root.iterdir() if root.is_dir() else []:
        with contextlib.suppress(OSError):
            if now - folder.stat().st_mtime > STALE_S:
                shutil.rmtree(folder)
