"""The studio's track, first bars first: playable stems within a second, then the rest.

Generate composes at once, then (on a small pool) renders the first FIRST_BARS bars of every
part and writes them as stem pieces the browser can fetch; the whole render follows and is
written as each stem's second piece, so the player joins the two without a gap. Last, the
whole track is mixed and mastered as `make_track` does and its files written (mix.wav,
song.mid, stems/, recipe.json), which the downloads and Bounce use.

The browser plays the stems and the effect beds (a bed is one looping buffer) through its
own gain per source, so mute, solo and volume act at once without a new render; Bounce
(mixer.py) makes that mix on the server.
"""

from __future__ import annotations

import math
import shutil
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from lofi.audio.effects import load_effect
from lofi.audio.mix import LOOP_CROSSFADE_S, loop_effect
from lofi.audio.placement import render_placed
from lofi.audio.render import song_frames
from lofi.audio.stream import FIRST_BARS, Mixdown, bar_frames, gain_for
from lofi.audio.tape import player_master
from lofi.compose.midi import song_to_midi
from lofi.compose.song import compose
from lofi.core.constants import BEATS_PER_BAR, SAMPLE_RATE
from lofi.core.parts import all_tracks
from lofi.core.paths import PROJECT_ROOT
from lofi.core.settings import LIMITS, MIX
from lofi.core.types import Song
from lofi.models import SongModels
from lofi.service.recipe import TrackRequest, validate_request
from lofi.service.storage import begin_writing, end_writing, prune
from lofi.service.takes import save_take
from lofi.service.track import Track, mix_stems

STATIC_URL = "app/static"  # Streamlit serves PROJECT_ROOT/static here (enableStaticServing)
KEEP_TAKES = 3  # takes per browser session whose player audio stays on disk
STALE_S = 24 * 3600.0  # player folders untouched this long are removed
BEDS = "_beds"  # the effect beds' loop files, shared by every session
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="studio")


def static_root() -> Path:
    """The folder of the player's pieces (served by Streamlit's static file server)."""
    return PROJECT_ROOT / "static" / "studio"


@dataclass
class PlayerTake:
    """One Generate: what the player fetches, and the files once the whole track is made."""

    id: str
    request: TrackRequest
    song: Song
    midi: bytes
    session: Path  # the studio session's folder: the take is saved there when made
    folder: Path  # the player's pieces, served as static files
    total_frames: int
    first_frames: int
    clicked: float  # perf_counter when Generate was pressed
    label: str = "Generate"  # how the take was made ("new drums", …)
    parent: int | None = None  # the take it was made from
    out: Path | None = None  # the saved take's folder, once the whole track is made
    pieces: dict[str, list[tuple[Path, int]]] = field(default_factory=dict)  # part → pieces
    beds: dict[str, tuple[Path, int]] = field(default_factory=dict)  # bed → (file, loop start)
    gain_db: float = 0.0  # the player's master gain (from the first piece, as the radio's)
    master: dict[str, Any] = field(default_factory=dict)  # its settings (tape.player_master)
    timings: dict[str, float] = field(default_factory=dict)
    track: Track | None = None
    paths: dict[str, Path] = field(default_factory=dict)
    error: str | None = None
    future: Future[None] | None = None
    ready: threading.Event = field(default_factory=threading.Event)  # first pieces on disk

    @property
    def playable(self) -> bool:
        """Whether the first bars are on disk (and nothing failed)."""
        return self.ready.is_set() and self.error is None

    @property
    def done(self) -> bool:
        """Whether the take is saved, or failed."""
        return bool(self.paths) or self.error is not None

    def wait_first(self, timeout: float) -> bool:
        """Waits until the first bars are playable, the make failed or `timeout` passed."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.ready.wait(0.02) or self.error is not None:
                break
        return self.playable

    def wait_done(self, timeout: float) -> bool:
        """Waits until the take is saved (True), failed or `timeout` seconds passed."""
        deadline = time.perf_counter() + timeout
        while not self.done and time.perf_counter() < deadline:
            time.sleep(0.02)
        return bool(self.paths)

    def for_player(self) -> dict[str, Any]:
        """What the browser's player needs: piece URLs, levels, and what to draw."""
        c = self.request.config
        if not self.master:
            self.master = player_master(self.request.tape, self.request.mix, self.midi)
        beat = 60.0 / c.bpm

        def url(path: Path) -> str:
            return f"{STATIC_URL}/{path.relative_to(PROJECT_ROOT / 'static').as_posix()}"

        stems = [
            {
                "name": part,
                "gain_db": self.request.instruments[part].gain_db,
                "segments": [{"url": url(p), "frames": n} for p, n in pieces],
            }
            for part, pieces in in_part_order(self.pieces)
        ]
        beds = [
            {
                "name": name,
                "url": url(path),
                "loop_start": start,
                "level_db": _json_level(self.request.effects.get(name, -math.inf)),
            }
            for name, (path, start) in sorted(self.beds.items())
        ]
        parts = [p.name for p in self.song.parts]
        # The part the user's loop plays (drawn apart from the generated ones), else -1.
        loop = self.request.loop
        own = parts.index(loop.part) if loop is not None and loop.part in parts else -1
        pitches = [n.pitch for p in self.song.parts if not p.is_drum for n in p.notes] or [60]
        low, high = MIX.instrument_gain_db_range.low, MIX.instrument_gain_db_range.high
        strips = [
            {
                "name": part,
                "kind": "part",
                "label": part,
                "level_db": inst.gain_db,
                "range": [min(low, inst.gain_db), max(high, inst.gain_db)],
            }
            for part, inst in in_part_order(self.request.instruments)
            if part not in self.request.muted
        ] + [
            {
                "name": name,
                "kind": "bed",
                "label": name,
                "level_db": _json_level(level),
                "range": [MIX.effect_off_db, max(MIX.effect_max_db, level)],
            }
            for name, level in sorted(self.request.effects.items())
        ]
        chords = chord_runs(self.song.chords)
        return {
            "take": self.id,
            "frames": self.total_frames,
            "first_frames": self.first_frames,
            "gain_db": self.gain_db,
            "lowpass_hz": self.request.tape.lowpass_hz,  # the player's master follows the tape
            "master": self.master,  # the player's master mirrors the server's
            "bpm": c.bpm,
            "bars": self.song.bars,
            "low": min(pitches),
            "high": max(pitches),
            "beats_per_bar": BEATS_PER_BAR,
            "strips": strips,
            "files_done": bool(self.paths),
            "key": c.key.name,
            "stems": stems if self.playable else [],
            "beds": beds if self.playable else [],
            "stems_done": all(len(p) == 2 for p in self.pieces.values()) or self.first_only,
            "sections": [[s.start_bar, s.bars, s.name] for s in self.song.sections],
            "chords": [[round(t * beat, 3), round(d * beat, 3), n] for t, d, n in chords],
            "notes": [
                [round(n.onset * beat, 3), round(n.duration * beat, 3), n.pitch, i, int(i == own)]
                for i, part in enumerate(self.song.parts)
                if not part.is_drum
                for n in part.notes
            ],
            "drums": [
                round(n.onset * beat, 3) for p in self.song.parts if p.is_drum for n in p.notes
            ],
            "parts": parts,
            "loop_part": loop.part if loop is not None else None,
            "error": self.error,
        }

    @property
    def first_only(self) -> bool:
        """Whether the first piece is the whole track (a song of at most FIRST_BARS bars)."""
        return self.first_frames >= self.total_frames


def in_part_order(by_part: dict[str, Any]) -> list[tuple[str, Any]]:
    """The parts in the band's order: chords, melody, bass, drums (a recipe's are sorted)."""
    rank = {part: i for i, part in enumerate(all_tracks())}
    return sorted(by_part.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def _json_level(level: float) -> float | None:
    return level if math.isfinite(level) else None


def start_take(
    request: TrackRequest,
    models: SongModels,
    session: Path,
    player: str = "default",
    label: str = "Generate",
    parent: int | None = None,
) -> PlayerTake:
    """Composes now and makes the audio on the pool; the returned take fills as it is made.

    The take is saved as the session's next take (`save_take`) when the whole track is made.

    Args:
        request: what to make.
        models: the loaded samplers of the request's models.
        session: the studio session's folder of takes.
        player: the browser session's id; its player pieces live in a folder of that name.
        label: how the take was made ("Generate", "new drums", …).
        parent: the number of the take it was made from.

    Raises:
        LofiError: bad settings or a composition that cannot be made (nothing is started).
    """
    clicked = time.perf_counter()
    validate_request(request)
    song = compose(request.config, models, request.arrangement, request.loop)
    midi = song_to_midi(song, {p: i.program for p, i in request.instruments.items()})
    total = song_frames(midi)
    root = static_root() / _safe(player)
    take = PlayerTake(
        id=uuid.uuid4().hex[:12],
        request=request,
        song=song,
        midi=midi,
        session=session,
        folder=root / "pending",
        total_frames=total,
        first_frames=min(bar_frames(request.config.bpm, FIRST_BARS), total),
        clicked=clicked,
        label=label,
        parent=parent,
    )
    take.folder = root / take.id
    take.folder.mkdir(parents=True, exist_ok=True)
    take.timings["compose"] = time.perf_counter() - clicked
    begin_writing(root)  # until _make ends: another session's prune leaves this player
    try:
        _prune(root, keep=take.folder)
        take.future = _pool.submit(_make, take)
    except BaseException:
        end_writing(root)
        raise
    return take


def _make(take: PlayerTake) -> None:
    try:
        _make_audio(take)
    except Exception as exc:  # shown by the page
        take.error = str(exc) or type(exc).__name__
        take.ready.set()
    finally:
        end_writing(take.folder.parent)


def _make_audio(take: PlayerTake) -> None:
    request = take.request
    playing = {p: i for p, i in request.instruments.items() if p not in request.muted}
    t = time.perf_counter()
    effects = {name: (_bed(request.effect_paths[name]), lv) for name, lv in request.effects.items()}
    first = render_placed(take.midi, playing, request.mix, frames=take.first_frames)
    for part, audio in first.items():
        path = take.folder / f"{part}-a.wav"
        _write_wav(path, audio)
        take.pieces[part] = [(path, len(audio))]
    for name, (bed, _) in effects.items():
        take.beds[name] = _write_bed(request.effect_paths[name], bed)
    audible = {n: (b, lv) for n, (b, lv) in effects.items() if math.isfinite(lv)}
    take.gain_db = gain_for(Mixdown(audible, take.total_frames).mix(first, 0, take.first_frames))
    take.timings["first_bars"] = time.perf_counter() - t
    take.timings["first_audio"] = time.perf_counter() - take.clicked
    take.ready.set()  # playable from now on
    t = time.perf_counter()
    stems = render_placed(take.midi, playing, request.mix)
    take.timings["render"] = time.perf_counter() - t
    if take.first_frames < take.total_frames:
        for part, audio in stems.items():
            path = take.folder / f"{part}-b.wav"
            _write_wav(path, audio[take.first_frames :])
            take.pieces[part].append((path, len(audio) - take.first_frames))
    t = time.perf_counter()
    mix = mix_stems(stems, request, take.total_frames, take.midi)
    take.timings["mix"] = time.perf_counter() - t
    take.track = Track(take.song, take.midi, stems, mix, dict(take.timings))
    take.out = save_take(take.track, request, take.session, take.label, take.parent)
    take.timings["made"] = time.perf_counter() - take.clicked
    take.paths = {k: take.out / n for k, n in (("wav", "mix.wav"), ("midi", "song.mid"))}
    take.paths["recipe"] = take.out / "recipe.json"


def _write_wav(path: Path, audio: np.ndarray) -> None:
    """A 16-bit WAV through a temporary name: the browser never reads a half-written file."""
    import soundfile as sf

    tmp = path.with_name(f".{path.name}.tmp")
    sf.write(str(tmp), np.clip(audio, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16", format="WAV")
    tmp.replace(path)


def _bed(path: Path) -> np.ndarray:
    st = path.stat()
    return _load_bed(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8)
def _load_bed(path: str, size: int, mtime_ns: int) -> np.ndarray:
    bed = load_effect(Path(path))
    bed.flags.writeable = False  # shared between takes
    return bed


def _write_bed(source: Path, bed: np.ndarray) -> tuple[Path, int]:
    """The bed as `loop_effect` lays it out, at 0 dB: its head, then one looping period.

    The seam is crossfaded as `loop_effect` does; the file is written once per bed file and
    shared by every take. Returns the file and the loop's first frame.
    """
    n = len(bed)
    fade = min(int(LOOP_CROSSFADE_S * SAMPLE_RATE), n // 3)
    period = max(1, n - fade)
    st = source.stat()
    path = static_root() / BEDS / f"{_safe(source.stem)}-{st.st_size}-{st.st_mtime_ns}.wav"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_wav(path, loop_effect(bed, 2 * period, 0.0))
    return path, period


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:64] or "_"


def _prune(root: Path, keep: Path) -> None:
    """Keeps the newest KEEP_TAKES takes of this session's player; other players' go.

    Those stale, then (least recently used first) those past the players' total cap.
    """
    takes = sorted(
        (p for p in root.iterdir() if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
    )
    for old in takes[: max(0, len(takes) - (KEEP_TAKES - 1))]:
        shutil.rmtree(old, ignore_errors=True)
    # Other sessions' players: stale ones go, then the least recently used past the cap.
    ours = {root.resolve(), (static_root() / BEDS).resolve()}  # the beds are shared
    prune(static_root(), LIMITS.studio_static_bytes, STALE_S, keep=lambda p: p.resolve() in ours)


def chord_runs(chords: tuple[tuple[float, float, str], ...]) -> list[tuple[float, float, str]]:
    """The song's chords with each run of one chord held as one event (the roll's labels).

    A learned piano's harmony is heard beat by beat; labelled per beat, a held chord wrote
    its name on every beat and the names ran into each other.
    """
    runs: list[tuple[float, float, str]] = []
    for at, length, name in chords:
        if runs and runs[-1][2] == name and abs(runs[-1][0] + runs[-1][1] - at) < 1e-6:
            start, _, _ = runs[-1]
            runs[-1] = (start, at + length - start, name)
        else:
            runs.append((at, length, name))
    return runs
