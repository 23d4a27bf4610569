"""Writing a mix or stem as WAV or FLAC (soundfile) or MP3 (pedalboard.io, LAME), tagged.

The tags say what a producer needs when the file lands in a DAW or a player: the title, the
tempo and the key (WAV: its INFO title and comment; FLAC: Vorbis comments; MP3: ID3 TIT2,
TBPM and TKEY, written by ffmpeg, which copies the encoded frames untouched).
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import LofiError

MP3_BITRATE = "192k"
GENRE = "Lo-fi"


@dataclass(frozen=True)
class Tags:
    """What a file says about its track."""

    title: str
    bpm: float
    key: str  # a key name like "D-minor" or "Eb-major"

    @property
    def key_code(self) -> str:
        """The key as ID3's TKEY and file names write it: "Dm", "Eb", "F#m"."""
        tonic, _, mode = self.key.partition("-")
        return tonic + ("m" if mode == "minor" else "")

    @property
    def comment(self) -> str:
        """'84 BPM, D minor'."""
        return f"{self.bpm:g} BPM, {self.key.replace('-', ' ')}"


def set_tags(f: sf.SoundFile, tags: Tags | None) -> None:
    """Tags a WAV or FLAC being written, before its first frame (it goes in the header)."""
    if tags is not None:
        f.title, f.comment, f.genre = tags.title, tags.comment, GENRE


def write_wav(audio: np.ndarray, path: Path, tags: Tags | None = None) -> None:
    """16-bit PCM at the project's sample rate; samples beyond full scale are clipped."""
    channels = 1 if audio.ndim == 1 else audio.shape[1]
    with sf.SoundFile(str(path), "w", SAMPLE_RATE, channels, "PCM_16", format="WAV") as f:
        set_tags(f, tags)
        f.write(np.clip(audio, -1.0, 1.0))


def flac_bytes(audio: np.ndarray, tags: Tags | None = None) -> bytes:
    """Lossless FLAC (16 bit) of a stem: one channel when both of a stereo stem's are the same."""
    # 16-bit samples (a stem read back from its WAV) stay exactly as they are.
    pcm = audio if audio.dtype == np.int16 else np.round(np.clip(audio, -1, 1) * 32767)
    pcm = pcm.astype(np.int16)
    if pcm.ndim == 2 and pcm.shape[1] == 2 and np.array_equal(pcm[:, 0], pcm[:, 1]):
        pcm = pcm[:, 0]
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    buffer = io.BytesIO()
    with sf.SoundFile(buffer, "w", SAMPLE_RATE, channels, "PCM_16", format="FLAC") as f:
        set_tags(f, tags)
        f.write(pcm)
    return buffer.getvalue()


def write_mp3(
    audio: np.ndarray, path: Path, bitrate: str = MP3_BITRATE, tags: Tags | None = None
) -> None:
    """Constant-bitrate MP3 with a LAME/Xing header (players show the right duration)."""
    data = mp3_bytes(audio, bitrate)
    Path(path).write_bytes(data if tags is None else tag_mp3(data, tags))


def mp3_bytes(audio: np.ndarray, bitrate: str = MP3_BITRATE) -> bytes:
    """The MP3 file's bytes (pedalboard.io encodes in memory, no ffmpeg)."""
    from pedalboard.io import AudioFile

    data = np.ascontiguousarray(np.clip(audio, -1.0, 1.0).T, dtype=np.float32)
    buffer = io.BytesIO()
    try:
        with AudioFile(buffer, "w", SAMPLE_RATE, data.shape[0], quality=bitrate, format="mp3") as f:
            f.write(data)
    except (OSError, ValueError, RuntimeError) as exc:
        raise LofiError(f"cannot encode the MP3: {exc}") from exc
    return buffer.getvalue()


def tag_mp3(data: bytes, tags: Tags) -> bytes:
    """The MP3 with an ID3v2.3 tag: title, BPM and key (ffmpeg copies the frames as they are).

    Raises:
        LofiError: if ffmpeg is missing or fails.
    """
    with tempfile.TemporaryDirectory(prefix="lofi-mp3-") as tmp:
        source, tagged = Path(tmp) / "in.mp3", Path(tmp) / "out.mp3"
        source.write_bytes(data)
        meta = {"title": tags.title, "TBPM": f"{round(tags.bpm)}", "TKEY": tags.key_code}
        meta |= {"comment": tags.comment, "genre": GENRE}
        cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source)]
        cmd += ["-map", "0:a", "-c", "copy", "-map_metadata", "-1", "-id3v2_version", "3"]
        cmd += ["-write_xing", "1", "-fflags", "+bitexact"]  # same input, same bytes
        for name, value in meta.items():
            cmd += ["-metadata", f"{name}={value}"]
        try:
            subprocess.run([*cmd, str(tagged)], check=True, capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            raise LofiError(f"cannot tag the MP3 (is ffmpeg installed?): {exc}") from exc
        return tagged.read_bytes()
