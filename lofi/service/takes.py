"""A studio session's takes: every track it made, each in a folder of its own.

A take folder holds mix.wav, song.mid, recipe.json and take.json (its number, how it was made
and from which take); the MP3 and the stems are written when first asked for, so a take
costs about its WAV on disk. The session stays under a disk cap: the least recently used
takes go first, never one the user pinned or downloaded a file of.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from lofi.audio.export import write_wav
from lofi.audio.placement import render_placed
from lofi.core.errors import LofiError
from lofi.core.parts import all_tracks, tracks
from lofi.core.settings import LIMITS
from lofi.core.types import reseed_part, with_part_seeds
from lofi.service.recipe import TrackRequest, load_recipe
from lofi.service.storage import (
    is_downloaded,
    is_kept,
    is_pinned,
    mark_downloaded,
    pin,
    prune,
    unpin,
)
from lofi.service.track import Track, mp3_of, recipe_tags, stems_zip, write_track
from lofi.service.uploads import unique_path

TAKE_FILE = "take.json"
PARTIAL = ".partial-"  # a take folder being written
LEFTOVER_S = 3600.0  # a cut-off take's folder untouched this long is removed
STEMS = "stems"
# How a take was made, in a producer's words.
PART_ACTIONS = {
    "drums": "new drums",
    "melody": "new melody over the same chords",
    "chords": "new chords, same groove",
    "bass": "new bass",
}
DOWNLOADS = {
    "wav": ("mix.wav", "audio/wav"),
    "mp3": ("mix.mp3", "audio/mpeg"),
    "midi": ("song.mid", "audio/midi"),
    "recipe": ("recipe.json", "application/json"),
    "stems": ("stems.zip", "application/zip"),
}


@dataclass(frozen=True)
class Take:
    """One track of a session, as its folder describes it."""

    folder: Path
    number: int
    label: str  # "Generate", "new drums", …
    parent: int | None  # the take it was made from
    made: float  # seconds since the epoch
    key: str
    bpm: float
    bars: int
    seed: int
    pinned: bool
    downloaded: bool
    size: int  # bytes on disk

    @property
    def wav(self) -> Path:
        """The take's mix.wav."""
        return self.folder / "mix.wav"

    @property
    def title(self) -> str:
        """'Take 3 · new drums of take 2'."""
        made_from = f" of take {self.parent}" if self.parent else ""
        return f"Take {self.number} · {self.label}{made_from}"

    @property
    def summary(self) -> str:
        """Key, tempo, bars and seed in one line."""
        return f"{self.key} · {self.bpm:g} BPM · {self.bars} bars · seed {self.seed}"


def new_request(request: TrackRequest) -> TrackRequest:
    """A request whose parts each have their own seed, so any part can be made again."""
    return replace(request, config=with_part_seeds(request.config))


def regenerate_request(request: TrackRequest, part: str, seed: int) -> TrackRequest:
    """The same request with a new seed for `part`: that part is new, the rest the same.

    New chords bring a new bass line (it plays their roots) and a melody drawn again from its
    own seed over them; the drums stay note for note. Every other part stays note for note.
    """
    if part not in all_tracks():
        raise LofiError(f"unknown part {part!r}; the parts are {', '.join(all_tracks())}")
    if request.loop is not None and request.loop.part == part:
        raise LofiError(f"the {part} part is your loop, note for note; it has no other take")
    return replace(request, config=reseed_part(request.config, part, seed))


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _numbers(session: Path) -> list[int]:
    found = []
    for info in session.glob(f"*/{TAKE_FILE}"):
        try:
            found.append(int(json.loads(info.read_text())["number"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def save_take(
    track: Track,
    request: TrackRequest,
    session: Path,
    label: str = "Generate",
    parent: int | None = None,
    max_bytes: int | None = None,
) -> Path:
    """Writes the track as the session's next take, then prunes the session to its cap.

    Returns:
        The new take's folder (never pruned by this call).
    """
    session.mkdir(parents=True, exist_ok=True)
    number = max(_numbers(session), default=0) + 1
    name = f"take-{number:03d}-seed{request.config.seed}"
    # Written out of sight and renamed when whole: a take cut off midway leaves only a
    # hidden folder, which a later prune removes.
    tmp = Path(tempfile.mkdtemp(dir=session, prefix=f".{name}{PARTIAL}"))
    try:
        write_track(track, request, tmp, mp3=False, stems=False)
        note = {"number": number, "label": label, "parent": parent, "made": time.time()}
        (tmp / TAKE_FILE).write_text(json.dumps(note) + "\n")
        tmp.chmod(0o755)
        out = _publish(tmp, session, name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    prune_session(session, max_bytes, keep=[out])
    return out


def _publish(tmp: Path, session: Path, name: str) -> Path:
    """Renames the finished take folder to a free name (never over another take)."""
    for _ in range(1000):
        out = unique_path(session, name)
        try:
            tmp.rename(out)
            return out
        except OSError:  # taken meanwhile (a full folder is never replaced)
            if not out.exists():
                raise
    raise LofiError(f"no free name for {name} in the session")


def remove_leftovers(session: Path, older_than_s: float = LEFTOVER_S) -> list[Path]:
    """Removes what cut-off takes left: hidden partial folders and folders without a take.

    Only those untouched for `older_than_s`, so a take being written is never touched.
    """
    removed: list[Path] = []
    now = time.time()
    for folder in session.iterdir() if session.is_dir() else []:
        partial = folder.name.startswith(".") and PARTIAL in folder.name
        not_a_take = not folder.name.startswith(".") and not (folder / TAKE_FILE).is_file()
        with contextlib.suppress(OSError):
            stale = now - _newest(folder) > older_than_s
            if folder.is_dir() and (partial or not_a_take) and stale and not is_kept(folder):
                shutil.rmtree(folder)
                removed.append(folder)
    return removed


def _newest(folder: Path) -> float:
    times = [folder.stat().st_mtime]
    times += [p.stat().st_mtime for p in folder.rglob("*")]
    return max(times)


def prune_session(
    session: Path, max_bytes: int | None = None, keep: Iterable[Path] = ()
) -> list[Path]:
    """Least recently used takes go until the session fits its cap.

    Pinned and downloaded takes, and `keep`, stay.
    """
    cap = LIMITS.session_bytes if max_bytes is None else max_bytes
    return remove_leftovers(session) + prune(session, cap, math.inf, keep)


def read_take(folder: Path) -> Take:
    """The take in `folder`.

    Raises:
        LofiError: the folder holds no readable take.
    """
    try:
        note = json.loads((folder / TAKE_FILE).read_text())
        recipe = json.loads((folder / "recipe.json").read_text())
        parent = note.get("parent")
        return Take(
            folder=folder,
            number=int(note["number"]),
            label=str(note.get("label", "Generate")),
            parent=None if parent is None else int(parent),
            made=float(note.get("made", folder.stat().st_mtime)),
            key=str(recipe["key"]),
            bpm=float(recipe["bpm"]),
            bars=int(recipe["bars"]),
            seed=int(recipe["seed"]),
            pinned=is_pinned(folder),
            downloaded=is_downloaded(folder),
            size=_folder_size(folder),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LofiError(f"{folder.name} is not a readable take ({exc})") from exc


def list_takes(session: Path) -> list[Take]:
    """The session's takes, newest first (folders that are not takes are skipped)."""
    if not session.is_dir():
        return []
    takes = []
    for folder in session.iterdir():
        if folder.is_dir() and (folder / TAKE_FILE).is_file() and (folder / "mix.wav").is_file():
            try:
                takes.append(read_take(folder))
            except LofiError:
                continue
    return sorted(takes, key=lambda t: t.number, reverse=True)


def session_bytes(session: Path) -> int:
    """Bytes the session's takes hold on disk (0 for no folder)."""
    return _folder_size(session) if session.is_dir() else 0


def set_pinned(folder: Path, pinned: bool) -> None:
    """Pins the take (never pruned) or unpins it."""
    (pin if pinned else unpin)(folder)


def take_request(folder: Path) -> TrackRequest:
    """The request that made the take (from its recipe.json)."""
    return load_recipe(folder / "recipe.json")


def take_stems(folder: Path) -> dict[str, Path]:
    """Each part's WAV, rendered from the take's MIDI and recipe on first use and kept.

    The render is the one that made the take (same MIDI, SoundFonts and presets), so the
    stems are the same bytes as if they had been written with the mix.
    """
    stems = folder / STEMS
    wanted = {part: stems / f"{part}.wav" for part in tracks()}
    if all(p.is_file() for p in wanted.values()):
        return wanted
    request = take_request(folder)
    audio = render_placed((folder / "song.mid").read_bytes(), request.instruments, request.mix)
    tmp = folder / f".{STEMS}.tmp"
    tmp.mkdir(exist_ok=True)
    for part, samples in audio.items():
        write_wav(samples, tmp / f"{part}.wav")
    if stems.exists():  # another caller made them meanwhile: theirs are the same bytes
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.replace(stems)
    return {part: stems / f"{part}.wav" for part in audio}


def download_name(folder: Path, kind: str) -> str:
    """The file name a download of the take gets: 'lofi_84bpm_Dm_seed7.wav', '…_stems.zip'."""
    name = DOWNLOADS[kind][0]
    try:
        base = recipe_tags(folder)[1]
    except LofiError:
        return name
    suffix = {"stems": "_stems.zip", "recipe": "_recipe.json"}.get(kind, Path(name).suffix)
    return base + suffix


def take_file(folder: Path, kind: str) -> bytes:
    """A download of the take (wav, mp3, midi, recipe, stems); the take is kept from then on."""
    if kind not in DOWNLOADS:
        raise LofiError(f"no download {kind!r}; there are {', '.join(DOWNLOADS)}")
    mark_downloaded(folder)
    if kind == "mp3":
        return mp3_of(folder)
    if kind == "stems":
        take_stems(folder)
        return stems_zip(folder / STEMS, *recipe_tags(folder))
    return (folder / DOWNLOADS[kind][0]).read_bytes()
