"""One request to one finished track: compose → MIDI → render → mix → files."""

from __future__ import annotations

import io
import math
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lofi.audio.effects import list_effects, load_effect
from lofi.audio.export import Tags, flac_bytes, write_mp3, write_wav
from lofi.audio.mix import combine, master
from lofi.audio.placement import duck_gain, kick_frames, render_placed
from lofi.audio.render import song_frames
from lofi.compose.midi import song_to_midi
from lofi.compose.song import compose
from lofi.core.errors import EffectError
from lofi.core.paths import effects_dir
from lofi.core.settings import MIX
from lofi.core.types import GenerationConfig, Song
from lofi.models import SongModels
from lofi.service.recipe import TrackRequest, request_models, save_recipe, validate_request

Progress = Callable[[str, float], object]  # stage name, fraction done


def ensure_default_effects(folder: Path | None = None) -> None:
    """Makes the default effect beds a data directory lacks (an installed lofi's first run).

    Files already there are kept: only missing beds are written.
    """
    import shutil
    import tempfile

    from lofi.audio.effects import make_default_effects

    folder = folder or effects_dir()
    wanted = [name for name in MIX.effect_levels() if not (folder / f"{name}.wav").is_file()]
    if not wanted:
        return
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".beds-") as tmp:
        made = make_default_effects(Path(tmp))
        for name in wanted:
            if name in made and not (folder / f"{name}.wav").exists():
                shutil.move(made[name], folder / f"{name}.wav")


def resolve_effects(levels: dict[str, float], folder: Path | None = None) -> dict[str, Path]:
    """The bed file of each named effect; EffectError naming any that is not there."""
    available = list_effects(folder or effects_dir())
    missing = [name for name in levels if name not in available]
    if missing:
        names = ", ".join(sorted(available)) or "none"
        raise EffectError(f"no effect named {', '.join(missing)}; available: {names}")
    return {name: available[name] for name in levels}


@dataclass
class Track:
    """A made track in memory: the song, its MIDI, stems, the master and stage timings."""

    song: Song
    midi: bytes
    stems: dict[str, np.ndarray]
    mix: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)


def make_track(
    request: TrackRequest,
    progress: Progress | None = None,
    models: SongModels | None = None,
    keep_stems: bool = True,
) -> Track:
    """Composes, renders and mixes in memory; nothing is written.

    Args:
        request: what to make (settings, models, instruments, effects, tape).
        progress: called with each stage's name and the fraction done.
        models: already loaded samplers for the request's checkpoints (the UI caches them).
        keep_stems: False lets the stems go before the master runs (the Track's `stems` is
            then empty): a long mix that needs only the master holds fewer copies at once.
    """
    report = progress or (lambda stage, fraction: None)
    validate_request(request)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    report("composing", 0.0)
    models = models or request_models(request)
    song = compose(request.config, models, request.arrangement, request.loop)
    midi = song_to_midi(song, {p: i.program for p, i in request.instruments.items()})
    timings["compose"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    report("rendering", 0.3)
    playing = {p: i for p, i in request.instruments.items() if p not in request.muted}
    stems = render_placed(midi, playing, request.mix)
    timings["render"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    report("mixing", 0.8)
    mixed = [_combine(stems, request, song_frames(midi), midi)]
    if not keep_stems:
        stems = {}
    mix = master(mixed.pop(), request.tape, request.mix)  # handed the only reference
    timings["mix"] = time.perf_counter() - t2
    report("done", 1.0)
    return Track(song, midi, stems, mix, timings)


def _combine(
    stems: dict[str, np.ndarray], request: TrackRequest, frames: int, midi: bytes
) -> np.ndarray:
    effects = {
        name: (load_effect(request.effect_paths[name]), level)
        for name, level in request.effects.items()
        if math.isfinite(level)
    }
    stems = stems or {"silence": np.zeros((frames, 2), np.float32)}
    duck = None
    if request.mix.stereo and request.mix.ducking and effects:
        duck = duck_gain(kick_frames(midi), 0, max(len(s) for s in stems.values()))
    return combine(stems, effects, duck=duck)


def mix_stems(
    stems: dict[str, np.ndarray], request: TrackRequest, frames: int, midi: bytes
) -> np.ndarray:
    """The master of placed stems and the request's audible beds, as `make_track` makes it.

    Args:
        stems: part → placed stem (a track whose every part is muted has none).
        request: the effect beds, their levels, the tape and the mix.
        frames: the track's length, used when there are no stems.
        midi: the song (the beds duck under its kicks).
    """
    return master(_combine(stems, request, frames, midi), request.tape, request.mix)


def write_track(
    track: Track, request: TrackRequest, out: Path, mp3: bool = True, stems: bool = True
) -> dict[str, Path]:
    """Writes mix.wav, mix.mp3, song.mid, stems/*.wav and recipe.json into a new folder.

    Args:
        track: the made track.
        request: the request that made it (for recipe.json).
        out: the folder, created if missing.
        mp3: write mix.mp3 too (the studio makes it when first asked for).
        stems: write stems/*.wav too (likewise).

    Returns:
        Each written file by kind (wav, midi, recipe, mp3).
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = {"wav": out / "mix.wav", "midi": out / "song.mid", "recipe": out / "recipe.json"}
    tags = track_tags(request.config)
    t = time.perf_counter()
    write_wav(track.mix, paths["wav"], tags)
    track.timings["write_wav"] = time.perf_counter() - t
    paths["midi"].write_bytes(track.midi)
    save_recipe(request, paths["recipe"])
    if stems:
        stems_dir = out / "stems"
        stems_dir.mkdir(exist_ok=True)
        for name, audio in track.stems.items():
            write_wav(audio, stems_dir / f"{name}.wav")
    if mp3:
        t = time.perf_counter()
        paths["mp3"] = out / "mix.mp3"
        write_mp3(track.mix, paths["mp3"], tags=tags)
        track.timings["write_mp3"] = time.perf_counter() - t
    return paths


def track_tags(config: GenerationConfig) -> Tags:
    """The title, tempo and key the track's files carry."""
    return _tags(config.key.name, config.bpm, config.seed)


def _tags(key: str, bpm: float, seed: int) -> Tags:
    return Tags(f"Lofi in {key.replace('-', ' ')}, seed {seed}", bpm, key)


def recipe_tags(folder: Path) -> tuple[Tags, str]:
    """The tags of the track whose recipe.json is in `folder`, and its files' base name.

    The base name puts the tempo and key first, as producers name files for a DAW:
    'lofi_84bpm_Dm_seed7'.

    Raises:
        RecipeError: if the recipe cannot be read.
    """
    import json

    from lofi.core.errors import RecipeError

    try:
        data = json.loads((folder / "recipe.json").read_text())
        key, bpm, seed = str(data["key"]), float(data["bpm"]), int(data["seed"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RecipeError(f"cannot read the track's recipe.json: {exc}") from exc
    tags = _tags(key, bpm, seed)
    return tags, f"lofi_{bpm:g}bpm_{tags.key_code}_seed{seed}"


def stems_zip(stems_dir: Path, tags: Tags, base: str) -> bytes:
    """The stems as one deflated .zip of FLACs: lossless, mono where a stem is, tagged.

    Each is named BASE_PART.flac (BASE holds the tempo and key, see `recipe_tags`).
    """
    import soundfile as sf

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(stems_dir.glob("*.wav")):
            audio, _ = sf.read(str(path), dtype="int16", always_2d=True)
            part = path.stem
            named = Tags(f"{tags.title} ({part})", tags.bpm, tags.key)
            # A fixed date: the same stems make the same zip.
            info = zipfile.ZipInfo(f"{base}_{part}.flac", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, flac_bytes(audio, named))
    return buffer.getvalue()


def mp3_of(out: Path) -> bytes:
    """The track's MP3, encoded from mix.wav on first use and kept beside it, tagged."""
    path = out / "mix.mp3"
    if not path.exists():
        import soundfile as sf

        audio, _ = sf.read(out / "mix.wav", dtype="float32")
        tmp = out / ".mix.mp3.tmp"
        write_mp3(audio, tmp, tags=recipe_tags(out)[0])
        tmp.replace(path)
    return path.read_bytes()
