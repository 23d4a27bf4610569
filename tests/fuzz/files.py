"""Small valid files of every kind the studio takes, made here, to mutate."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

MIDI = (Path(__file__).parents[1] / "data" / "midi" / "tiny_c_major.mid").read_bytes()
XML = (Path(__file__).parents[1] / "data" / "midi" / "tiny.xml").read_bytes()


def _chunk(cid: bytes, body: bytes) -> bytes:
    pad = b"\0" if len(body) % 2 else b""
    return cid + struct.pack("<I", len(body)) + body + pad


def _list(kind: bytes, *chunks: bytes) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def _name(text: str, size: int = 20) -> bytes:
    return text.encode().ljust(size, b"\0")[:size]


def tiny_sf2(version: int = 2) -> bytes:
    """A one-preset SoundFont: a looped 441 Hz sine (20 periods of 100 samples)."""
    n = 2000
    sine = (np.sin(2 * np.pi * np.arange(n) / 100) * 12_000).astype("<i2")
    smpl = sine.tobytes() + bytes(2 * 46)  # the spec's 46 zero samples after a sample
    phdr = _name("Tiny Sine") + struct.pack("<HHHIII", 0, 0, 0, 0, 0, 0)
    phdr += _name("EOP") + struct.pack("<HHHIII", 0, 0, 1, 0, 0, 0)
    pbag = struct.pack("<HHHH", 0, 0, 1, 0)
    pgen = struct.pack("<HH", 41, 0) + struct.pack("<HH", 0, 0)  # instrument 0
    inst = _name("Sine") + struct.pack("<H", 0) + _name("EOI") + struct.pack("<H", 1)
    ibag = struct.pack("<HHHH", 0, 0, 2, 0)
    igen = struct.pack("<HH", 54, 1) + struct.pack("<HH", 53, 0) + struct.pack("<HH", 0, 0)
    shdr = _name("sine") + struct.pack("<IIIIIBbHH", 0, n, 100, 1900, 44_100, 69, 0, 0, 1)
    shdr += _name("EOS") + bytes(26)
    body = b"sfbk" + _list(
        b"INFO",
        _chunk(b"ifil", struct.pack("<HH", version, 1)),
        _chunk(b"isng", b"EMU8000\0"),
        _chunk(b"INAM", b"Tiny\0\0"),
    )
    body += _list(b"sdta", _chunk(b"smpl", smpl))
    body += _list(
        b"pdta",
        _chunk(b"phdr", phdr),
        _chunk(b"pbag", pbag),
        _chunk(b"pmod", bytes(10)),
        _chunk(b"pgen", pgen),
        _chunk(b"inst", inst),
        _chunk(b"ibag", ibag),
        _chunk(b"imod", bytes(10)),
        _chunk(b"igen", igen),
        _chunk(b"shdr", shdr),
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wav(
    subtype: str = "PCM_16",
    channels: int = 2,
    rate: int = 44_100,
    seconds: float = 0.5,
    level: float = 0.05,
) -> bytes:
    """Noise (quiet by default) as a WAV of this sample format, channel count, rate, length."""
    frames = int(rate * seconds)
    rng = np.random.default_rng(frames + channels)
    audio = (rng.standard_normal((frames, channels)) * level).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, audio, rate, subtype=subtype, format="WAV")
    return buffer.getvalue()


def lying_wav(rate: int = 7, frames: int = 2**31) -> bytes:
    """A 16-bit mono WAV header that declares `frames` at `rate` Hz over a few samples."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    data = bytes(64)
    body = b"WAVE" + _chunk(b"fmt ", fmt) + b"data" + struct.pack("<I", min(frames * 2, 2**32 - 1))
    return b"RIFF" + struct.pack("<I", 2**32 - 1) + body + data


def zip_of(
    entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED, flag_utf8: bool = False
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)
    raw = buffer.getvalue()
    return raw
