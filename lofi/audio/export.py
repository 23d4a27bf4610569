"""Writing a mix or stem as WAV (soundfile) or MP3 (pedalboard.io, LAME)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import LofiError

MP3_BITRATE = "192k"


def write_wav(audio: np.ndarray, path: Path) -> None:
    """16-bit PCM at the project's sample rate; samples beyond full scale are clipped."""
    sf.write(str(path), np.clip(audio, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16", format="WAV")


def write_mp3(audio: np.ndarray, path: Path, bitrate: str = MP3_BITRATE) -> None:
    """Constant-bitrate MP3 with a LAME/Xing header (players show the right duration)."""
    Path(path).write_bytes(mp3_bytes(audio, bitrate))


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
