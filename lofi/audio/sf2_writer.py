"""Writing a one-preset SoundFont 2 file of one-shot samples, one key each (a drum kit).

Hand-written: no packaged library writes SoundFonts (sf2utils and FluidSynth only read them);
the format is RIFF chunks of fixed-size records (SoundFont 2.01 specification, sections 5–8),
and a drum kit needs only its simplest part: one instrument of single-key zones.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Generator numbers (SoundFont 2.01, section 8.1.2).
PAN, RELEASE_VOL_ENV, INSTRUMENT, KEY_RANGE = 17, 38, 41, 43
ATTENUATION, SAMPLE_ID, SAMPLE_MODES, EXCLUSIVE_CLASS, ROOT_KEY = 48, 53, 54, 57, 58
MONO_SAMPLE = 1
PAD_FRAMES = 46  # zero samples after each sample, as the specification asks


@dataclass(frozen=True)
class Zone:
    """One key of the kit: its sample (mono, -1…1) and how it plays."""

    key: int
    sample: str  # a name in the samples given to `write_kit`
    pan: float = 0.0  # -1 left … 1 right
    attenuation_db: float = 0.0
    release_s: float = 1.0  # how long the sample rings after the note-off
    exclusive: int = 0  # keys of one class cut each other off (the hi-hat); 0: none


def _chunk(cid: bytes, body: bytes) -> bytes:
    pad = b"\0" if len(body) % 2 else b""
    return cid + struct.pack("<I", len(body)) + body + pad


def _list(kind: bytes, *chunks: bytes) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def _name(text: str) -> bytes:
    return text.encode("ascii", "replace")[:19].ljust(20, b"\0")


def _zstr(text: str) -> bytes:
    raw = text.encode("ascii", "replace") + b"\0"
    return raw + (b"\0" if len(raw) % 2 else b"")


def _timecents(seconds: float) -> int:
    return round(1200 * float(np.log2(max(seconds, 0.001))))


def _gen(oper: int, amount: int) -> bytes:
    return struct.pack("<Hh", oper, amount)


def _range(oper: int, low: int, high: int) -> bytes:
    return struct.pack("<HBB", oper, low, high)


def write_kit(
    path: Path,
    name: str,
    samples: dict[str, np.ndarray],
    zones: list[Zone],
    sample_rate: int,
    bank: int = 128,
    program: int = 0,
    comment: str = "",
) -> None:
    """Writes the kit as a SoundFont: one preset (`bank`:`program`) of one instrument.

    Args:
        path: the .sf2 file to write.
        name: the preset's and instrument's name.
        samples: name → mono float samples in -1…1.
        zones: the keys, each naming one of the samples.
        sample_rate: of every sample.
        bank: the preset's bank (128: a percussion kit).
        program: the preset's program.
        comment: the file's ICMT text (sources and licences).
    """
    names = sorted(samples)
    data, headers = [], []
    offset = 0
    for sample_name in names:
        pcm = np.round(np.clip(samples[sample_name], -1.0, 1.0) * 32767).astype("<i2")
        data.append(pcm.tobytes() + b"\0\0" * PAD_FRAMES)
        start, end = offset, offset + len(pcm)
        loop_start, loop_end = start + min(8, len(pcm) // 4), max(start + 1, end - 8)
        headers.append(
            _name(sample_name)
            + struct.pack("<IIIII", start, end, loop_start, loop_end, sample_rate)
            + struct.pack("<BbHH", 60, 0, 0, MONO_SAMPLE)
        )
        offset = end + PAD_FRAMES
    shdr = b"".join(headers) + _name("EOS") + b"\0" * 26
    index = {sample_name: i for i, sample_name in enumerate(names)}
    igen: list[bytes] = []
    ibag: list[bytes] = []
    for zone in sorted(zones, key=lambda z: z.key):
        ibag.append(struct.pack("<HH", len(igen), 0))
        igen += [
            _range(KEY_RANGE, zone.key, zone.key),
            _gen(PAN, round(zone.pan * 500)),
            _gen(RELEASE_VOL_ENV, _timecents(zone.release_s)),
            _gen(ATTENUATION, round(zone.attenuation_db * 10)),
            _gen(SAMPLE_MODES, 0),
            _gen(EXCLUSIVE_CLASS, zone.exclusive),
            _gen(ROOT_KEY, zone.key),
            _gen(SAMPLE_ID, index[zone.sample]),
        ]
    ibag.append(struct.pack("<HH", len(igen), 0))
    igen.append(b"\0" * 4)
    inst = _name(name) + struct.pack("<H", 0) + _name("EOI") + struct.pack("<H", len(ibag) - 1)
    phdr = (
        _name(name)
        + struct.pack("<HHHIII", program, bank, 0, 0, 0, 0)
        + _name("EOP")
        + struct.pack("<HHHIII", 0, 0, 1, 0, 0, 0)
    )
    pbag = struct.pack("<HH", 0, 0) + struct.pack("<HH", 1, 0)
    pgen = _gen(INSTRUMENT, 0) + b"\0" * 4
    info = _list(
        b"INFO",
        _chunk(b"ifil", struct.pack("<HH", 2, 1)),
        _chunk(b"isng", _zstr("EMU8000")),
        _chunk(b"INAM", _zstr(name)),
        *([_chunk(b"ICMT", _zstr(comment))] if comment else []),
    )
    sdta = _list(b"sdta", _chunk(b"smpl", b"".join(data)))
    pdta = _list(
        b"pdta",
        _chunk(b"phdr", phdr),
        _chunk(b"pbag", pbag),
        _chunk(b"pmod", b"\0" * 10),
        _chunk(b"pgen", pgen),
        _chunk(b"inst", inst),
        _chunk(b"ibag", b"".join(ibag)),
        _chunk(b"imod", b"\0" * 10),
        _chunk(b"igen", b"".join(igen)),
        _chunk(b"shdr", shdr),
    )
    body = b"sfbk" + info + sdta + pdta
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(_chunk(b"RIFF", body))
    tmp.replace(path)
