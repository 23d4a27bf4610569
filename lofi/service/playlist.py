"""Hour-long mixes: distinct tracks one after another with crossfades, streamed to disk.

Only one track is in memory at a time (plus the crossfade's tail of the one before); the mix
is appended to mix.wav block by block, the MP3 is encoded from that file by ffmpeg with the
cue points as ID3 chapters, and playlist.json holds every track's recipe, so the same
playlist can be made again byte for byte.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from lofi.compose.song import compose
from lofi.core.constants import FORMAT_VERSION, SAMPLE_RATE
from lofi.core.errors import ConfigError, LofiError, RecipeError
from lofi.core.settings import GENERATION, MIX
from lofi.core.types import Song
from lofi.models import SongModels
from lofi.service.novelty import DriftLimits, History, distinct, drift, first_config
from lofi.service.recipe import TrackRequest, from_recipe, request_models, to_recipe
from lofi.service.track import make_track

PLAYLIST_KIND = "lofi-playlist"
BLOCK_FRAMES = 1 << 18
Progress = Callable[[int, float, float], object]  # tracks done, seconds written, target


@dataclass(frozen=True)
class PlaylistPlan:
    """How to draw a playlist: the seed, its length and the limits the tracks drift within."""

    seed: int = 1
    minutes: float = 60.0
    bars: int = 48
    crossfade_s: float = 4.0
    limits: DriftLimits = field(default_factory=DriftLimits)

    def checked(self) -> PlaylistPlan:
        """This plan, or ConfigError naming the first setting out of range."""
        if not 0 < self.minutes <= 24 * 60:
            raise ConfigError("a playlist lasts more than 0 and at most 1440 minutes")
        if not 0 <= self.crossfade_s <= 20:
            raise ConfigError("the crossfade is 0–20 seconds")
        if self.bars not in GENERATION.bars_range:
            raise ConfigError(f"a track lasts {GENERATION.bars_range} bars")
        self.limits.checked()
        return self


def draw_requests(
    plan: PlaylistPlan, base: TrackRequest, models: SongModels
) -> Iterator[tuple[TrackRequest, Song]]:
    """Endless distinct tracks whose settings drift from one to the next.

    A song sharing a 4-bar chord+melody fragment with an earlier one is drawn again with a new
    seed.
    """
    rng = np.random.default_rng(plan.seed)
    history = History()
    config = first_config(plan.limits, plan.bars, rng)
    while True:
        config, song = distinct(config, lambda c: compose(c, models), history, rng)
        yield replace(base, config=config), song
        config = drift(config, plan.limits, rng)


class CrossfadeWriter:
    """Appends tracks to one WAV, each overlapping the one before by the crossfade.

    The crossfade is equal power; the mix lasts the sum of the tracks less one crossfade per
    join.
    """

    def __init__(self, path: Path, crossfade_s: float) -> None:
        import soundfile as sf

        self.file = sf.SoundFile(str(path), "w", SAMPLE_RATE, 2, subtype="PCM_16", format="WAV")
        self.overlap = round(crossfade_s * SAMPLE_RATE)
        self.tail = np.zeros((0, 2), dtype=np.float32)
        self.frames = 0  # written so far, tail excluded

    def add(self, audio: np.ndarray) -> int:
        """Adds a track; returns the frame at which it starts in the mix."""
        if len(audio) < 2 * self.overlap:
            raise LofiError("a track is shorter than two crossfades")
        start = self.frames
        n = len(self.tail)
        if n:
            ramp = np.linspace(0.0, math.pi / 2, n, dtype=np.float32)[:, None]
            joined = self.tail * np.cos(ramp) + audio[:n] * np.sin(ramp)
            self._write(joined)
        self._write(audio[n : len(audio) - self.overlap])
        self.tail = audio[len(audio) - self.overlap :].copy()
        return start

    def _write(self, audio: np.ndarray) -> None:
        for start in range(0, len(audio), BLOCK_FRAMES):  # clipped a block at a time
            self.file.write(np.clip(audio[start : start + BLOCK_FRAMES], -1.0, 1.0))
        self.frames += len(audio)

    def close(self) -> int:
        """Writes the last tail; returns the mix's length in frames."""
        self._write(self.tail)
        self.tail = self.tail[:0]
        self.file.close()
        return self.frames


def fitted_request(
    request: TrackRequest, remaining_s: float, crossfade_s: float, first: bool = False
) -> TrackRequest | None:
    """The track cut to whole phrases so the mix ends near its target, or None to end it now.

    A track lasts its bars plus the render's tail and overlaps the one before by the
    crossfade; the last one keeps the four-bar phrases the studio's length moves by, so the
    mix lands within two bars of the target instead of up to a whole track over it. When even
    the shortest track would overshoot by more than stopping falls short, the mix ends
    (after its `first` track: a mix holds at least one; it overlaps nothing).
    """
    crossfade_s = 0.0 if first else crossfade_s
    config = request.config
    bar_s = 4 * 60.0 / config.bpm
    step, shortest = GENERATION.bars_step, GENERATION.bars_range.low
    bars = round((remaining_s + crossfade_s - MIX.tail_s) / bar_s / step) * step
    if bars >= config.bars:
        return request
    if bars < shortest:
        shortest_s = shortest * bar_s + MIX.tail_s - crossfade_s
        if remaining_s < shortest_s / 2 and not first:
            return None
        bars = shortest
    return replace(request, config=replace(config, bars=bars))


def _timestamp(seconds: float) -> str:
    """mm:ss:ff with 75 frames a second, as cue sheets count."""
    frames = round(seconds * 75)
    return f"{frames // (75 * 60):02d}:{frames // 75 % 60:02d}:{frames % 75:02d}"


def _title(entry: dict[str, Any]) -> str:
    return f"{entry['index']:02d} · {entry['key']} · {entry['bpm']:g} BPM · seed {entry['seed']}"


def write_cue_sheet(entries: list[dict[str, Any]], path: Path, audio_name: str) -> None:
    """Writes a CUE sheet: one titled track per entry, indexed where it starts in the audio."""
    lines = ['PERFORMER "LoFi Studio"', 'TITLE "LoFi playlist"', f'FILE "{audio_name}" WAVE']
    for entry in entries:
        lines += [
            f"  TRACK {entry['index']:02d} AUDIO",
            f'    TITLE "{_title(entry)}"',
            f"    INDEX 01 {_timestamp(entry['start_s'])}",
        ]
    path.write_text("\n".join(lines) + "\n")


def encode_mp3(wav: Path, mp3: Path, entries: list[dict[str, Any]], total_s: float) -> None:
    """Encodes the WAV to MP3 with ffmpeg (streamed, flat memory), one ID3 chapter per track."""
    meta = [";FFMETADATA1", "title=LoFi playlist", "artist=LoFi Studio"]
    for i, entry in enumerate(entries):
        end = entries[i + 1]["start_s"] if i + 1 < len(entries) else total_s
        meta += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(entry['start_s'] * 1000)}",
            f"END={round(end * 1000)}",
            f"title={_title(entry)}",
        ]
    chapters = mp3.with_name(".chapters.txt")
    chapters.write_text("\n".join(meta) + "\n")
    tmp = mp3.with_name(f".{mp3.name}.tmp")
    cmd = [
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-i", str(chapters),
        "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1", "-c:a", "libmp3lame",
        "-b:a", "192k", "-id3v2_version", "3", "-bitexact", "-f", "mp3", str(tmp),
    ]  # fmt: skip
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=3600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise LofiError(f"cannot write the MP3 (is ffmpeg installed?): {exc}") from exc
    finally:
        chapters.unlink(missing_ok=True)
    tmp.replace(mp3)


@dataclass
class PlaylistResult:
    """A written playlist: its folder, the cue entries, its length and the songs in it."""

    folder: Path
    entries: list[dict[str, Any]]
    seconds: float
    songs: list[Song]


def make_playlist(
    tracks: Iterator[tuple[TrackRequest, Song | None]],
    out: Path,
    crossfade_s: float,
    target_s: float | None,
    recipe: dict[str, Any],
    mp3: bool = True,
    progress: Progress | None = None,
) -> PlaylistResult:
    """Makes tracks one at a time into DIR/mix.wav until the mix reaches `target_s`.

    It stops earlier if the tracks run out, then writes cue.json, mix.cue, playlist.json and
    mix.mp3.
    """
    out.mkdir(parents=True, exist_ok=True)
    writer = CrossfadeWriter(out / "mix.wav", crossfade_s)
    entries: list[dict[str, Any]] = []
    songs: list[Song] = []
    report = progress or (lambda done, seconds, target: None)
    try:
        for drawn, _song in tracks:
            request = drawn
            if target_s is not None:
                written = (writer.frames + len(writer.tail)) / SAMPLE_RATE
                fitted = fitted_request(drawn, target_s - written, crossfade_s, not entries)
                if fitted is None:
                    break
                request = fitted
            # The samplers are cached by model; the stems go before the master runs, and
            # the track goes before the next one is made: one track's master in memory.
            track = make_track(request, keep_stems=False)
            start = writer.add(track.mix)
            c = request.config
            entries.append({
                "index": len(entries) + 1,
                "start_s": start / SAMPLE_RATE,
                "frames": len(track.mix),
                "seed": c.seed, "key": c.key.name, "bpm": c.bpm, "bars": c.bars,
                "chords": [name for _, _, name in track.song.chords[:8]],
                "recipe": to_recipe(request),
            })  # fmt: skip
            songs.append(track.song)
            del track
            written = (writer.frames + len(writer.tail)) / SAMPLE_RATE
            report(len(entries), written, target_s or written)
            if target_s is not None and written >= target_s:
                break
    finally:
        total = writer.close()
    seconds = total / SAMPLE_RATE
    recipe = {**recipe, "tracks": [e["recipe"] for e in entries]}
    (out / "playlist.json").write_text(json.dumps(recipe, indent=1) + "\n")
    cue = {"seconds": seconds, "crossfade_s": crossfade_s, "tracks": entries}
    (out / "cue.json").write_text(json.dumps(cue, indent=1) + "\n")
    write_cue_sheet(entries, out / "mix.cue", "mix.wav")
    if mp3:
        encode_mp3(out / "mix.wav", out / "mix.mp3", entries, seconds)
    return PlaylistResult(out, entries, seconds, songs)


def plan_recipe(plan: PlaylistPlan) -> dict[str, Any]:
    """playlist.json's content: everything needed to make the same mix again."""
    return {
        "format_version": FORMAT_VERSION,
        "kind": PLAYLIST_KIND,
        "seed": plan.seed,
        "minutes": plan.minutes,
        "bars": plan.bars,
        "crossfade_s": plan.crossfade_s,
        "limits": {**asdict(plan.limits), "keys": list(plan.limits.keys)},
    }


def new_playlist(
    plan: PlaylistPlan,
    base: TrackRequest,
    out: Path,
    mp3: bool = True,
    progress: Progress | None = None,
) -> PlaylistResult:
    """Draws and makes a new playlist of `plan.minutes`."""
    plan.checked()
    models = request_models(base)  # the style's parts and form, as make_track uses them
    tracks = draw_requests(plan, base, models)
    return make_playlist(
        tracks, out, plan.crossfade_s, plan.minutes * 60, plan_recipe(plan), mp3, progress
    )


def replay_playlist(
    path: Path, out: Path, mp3: bool = True, progress: Progress | None = None
) -> PlaylistResult:
    """Makes the playlist a playlist.json describes again, track for track."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RecipeError(f"cannot read playlist recipe {Path(path).name}: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") != PLAYLIST_KIND:
        raise RecipeError(f"{Path(path).name} is not a playlist recipe (a track recipe?)")
    if data.get("format_version") != FORMAT_VERSION:
        raise RecipeError(f"playlist format {data.get('format_version')} is not {FORMAT_VERSION}")
    try:
        requests = [from_recipe(t) for t in data["tracks"]]
        crossfade = float(data["crossfade_s"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RecipeError(f"the playlist recipe is broken or incomplete ({exc!r})") from exc
    if not requests:
        raise RecipeError("the playlist recipe has no tracks")
    tracks = ((r, None) for r in requests)
    recipe = {k: v for k, v in data.items() if k != "tracks"}
    return make_playlist(tracks, out, crossfade, None, recipe, mp3, progress)
