"""A seeded set of malformed uploads: named edge cases first, then random mutations."""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass

import numpy as np

from tests.fuzz import archives
from tests.fuzz.files import MIDI, XML, lying_wav, tiny_sf2, wav, zip_of
from tests.fuzz.scores import LYING_MIDI_HEX, long_musicxml, many_track_midi


@dataclass(frozen=True)
class Case:
    """One upload: which function takes it (soundfont, effect, corpus) and its files."""

    kind: str
    label: str
    files: tuple[tuple[str, bytes], ...]


def _mp3() -> bytes:
    import io

    from pedalboard.io import AudioFile

    buffer = io.BytesIO()
    with AudioFile(buffer, "w", 44_100, 2, format="mp3") as f:
        f.write(np.zeros((2, 44_100), np.float32))
    return buffer.getvalue()


def _sizes_lie(data: bytes, rng: np.random.Generator) -> bytes:
    """Overwrites the size field of a random RIFF/MIDI chunk with a random or huge value."""
    marks = [
        i + 4
        for tag in (b"RIFF", b"LIST", b"smpl", b"phdr", b"pdta", b"data", b"fmt ", b"MTrk", b"MThd")
        for i in range(len(data))
        if data.startswith(tag, i)
    ]
    out = bytearray(data)
    at = int(rng.choice(marks)) if marks else 4
    value = int(rng.choice([0, 1, 3, 0x7FFFFFFF, 0xFFFFFFFF, int(rng.integers(0, 2**32))]))
    big_endian = data[:4] == b"MThd"
    out[at : at + 4] = struct.pack(">I" if big_endian else "<I", value)
    return bytes(out)


def mutate(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """One random damage: truncation, bit flips, a lying size, inserted or random bytes."""
    how = str(rng.choice(["truncate", "flip", "sizes", "insert", "random", "zero"]))
    if how == "truncate":
        return how, data[: int(rng.integers(0, max(1, len(data))))]
    if how == "flip":
        out = bytearray(data)
        for _ in range(int(rng.integers(1, 9))):
            i = int(rng.integers(0, len(out)))
            out[i] ^= 1 << int(rng.integers(0, 8))
        return how, bytes(out)
    if how == "sizes":
        return how, _sizes_lie(data, rng)
    if how == "insert":
        i = int(rng.integers(0, len(data)))
        return how, data[:i] + rng.bytes(int(rng.integers(1, 64))) + data[i:]
    if how == "random":
        return how, data[:4] + rng.bytes(int(rng.integers(0, 4096)))
    return how, b""


def _midi_with(meta: bytes) -> bytes:
    """A one-track MIDI file: `meta` (a hostile meta event), then one note."""
    track = b"\x00" + meta + b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff\x2f\x00"
    head = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96)
    return head + b"MTrk" + struct.pack(">I", len(track)) + track


def _bzip2_bomb(declared: int) -> bytes:
    return archives.method_bomb(zipfile.ZIP_BZIP2, archives.bzip2_zeros(25), declared)


def _lzma_bomb() -> bytes:
    return archives.method_bomb(zipfile.ZIP_LZMA, archives.lzma_zeros(64 << 20), 1000)


def named_cases() -> list[Case]:
    """Every edge case the brief names, once."""
    sf2, midi = tiny_sf2(), MIDI
    c: list[Case] = [
        Case("soundfont", "valid sf2", (("tiny.sf2", sf2),)),
        Case("soundfont", "valid sf3", (("tiny.sf3", tiny_sf2(3)),)),
        Case("soundfont", "zero length", (("tiny.sf2", b""),)),
        Case("soundfont", "header only", (("tiny.sf2", sf2[:12]),)),
        Case("soundfont", "riff size huge", (("tiny.sf2", sf2[:4] + b"\xff" * 4 + sf2[8:]),)),
        Case("soundfont", "wav named sf2", (("tiny.sf2", wav()),)),
    ]
    for subtype, ch, rate, secs, label in [
        ("PCM_16", 2, 44_100, 0.5, "16-bit stereo"),
        ("PCM_U8", 2, 44_100, 0.5, "8-bit"),
        ("PCM_24", 2, 44_100, 0.5, "24-bit"),
        ("PCM_32", 2, 44_100, 0.5, "32-bit int"),
        ("FLOAT", 2, 44_100, 0.5, "32-bit float"),
        ("PCM_16", 1, 44_100, 0.5, "mono"),
        ("PCM_16", 2, 44_100, 0.0, "0 frames"),
        ("PCM_16", 1, 1, 5.0, "1 Hz"),
        ("PCM_16", 2, 96_000, 0.5, "96 kHz"),
        ("PCM_16", 4, 44_100, 0.2, "4 channels"),
    ]:
        c.append(Case("effect", label, (("bed.wav", wav(subtype, ch, rate, secs)),)))
    c += [
        Case("effect", "7 Hz lying length", (("bed.wav", lying_wav()),)),
        Case("effect", "mp3 named wav", (("bed.wav", _mp3()),)),
        Case("effect", "zero length", (("bed.wav", b""),)),
        Case("effect", "float samples of 1e30", (("bed.wav", wav("FLOAT", level=1e30)),)),
        Case("effect", "float samples of inf", (("bed.wav", wav("FLOAT", level=np.inf)),)),
        Case("corpus", "valid midi", (("tiny.mid", midi),)),
        Case("corpus", "valid xml", (("tiny.xml", XML),)),
        Case("corpus", "37-byte lying midi", (("tiny.mid", bytes.fromhex(LYING_MIDI_HEX)),)),
        Case("corpus", "5000 tracks", (("tiny.mid", many_track_midi(5000)),)),
        Case("corpus", "30000 measures", (("tiny.xml", long_musicxml(30_000)),)),
        Case("corpus", "zero length", (("tiny.mid", b""),)),
        Case(
            "corpus",
            "too large beside small",
            (("big.mid", midi + bytes(6 << 20)), ("tiny.mid", midi)),
        ),
        Case("corpus", "zip invalid utf-8 name", (("a.zip", archives.invalid_utf8_name(midi)),)),
        Case("corpus", "zip symlink", (("a.zip", archives.symlink(midi)),)),
        Case("corpus", "zip 1000 members", (("a.zip", archives.many_members(midi)),)),
        Case("corpus", "zip declares 10 GB", (("a.zip", archives.bomb(1 << 20, 10 << 30)),)),
        Case("corpus", "zip unpacks to 1 GB", (("a.zip", archives.bomb(1 << 30, 100)),)),
        Case("corpus", "zero-length zip", (("a.zip", b""),)),
        Case("corpus", "tempo 0", (("t.mid", _midi_with(b"\xff\x51\x03\x00\x00\x00")),)),
        Case("corpus", "tempo cut short", (("t.mid", _midi_with(b"\xff\x51\x01\x07")),)),
        Case("corpus", "NUL in name", (("a\x00b.mid", midi),)),
        Case("effect", "NUL in name", (("bed\x00.wav", wav()),)),
        Case("soundfont", "NUL before the suffix", (("font.sf2\x00.exe", sf2),)),
        Case("corpus", "zip bzip2 1 GB declares 1000", (("a.zip", _bzip2_bomb(1000)),)),
        Case("corpus", "zip bzip2 1 GB declares 1 MB", (("a.zip", _bzip2_bomb(1 << 20)),)),
        Case("corpus", "zip lzma 64 MB declares 1000", (("a.zip", _lzma_bomb()),)),
    ]
    for name in ("../../evil.mid", "/tmp/evil.mid", "C:\\evil.mid", "a/../../evil.mid"):
        c.append(Case("corpus", f"zip member {name}", (("a.zip", archives.traversal(midi, name)),)))
    for method, number in archives.METHODS.items():
        for seed in range(3):
            data = archives.corrupt_member(midi, number, seed)
            c.append(Case("corpus", f"zip {method} corrupt {seed}", (("a.zip", data),)))
    return c


def _bases() -> list[tuple[str, str, bytes]]:
    sf2 = tiny_sf2()
    return [
        ("soundfont", "tiny.sf2", sf2),
        ("soundfont", "tiny.sf3", tiny_sf2(3)),
        ("effect", "bed.wav", wav()),
        ("effect", "bed.wav", wav("PCM_24", 1, 96_000, 0.3)),
        ("corpus", "tiny.mid", MIDI),
        ("corpus", "tiny.xml", XML),
        ("corpus", "a.zip", zip_of({"x/a.mid": MIDI, "b.xml": XML})),
        ("corpus", "a.zip", zip_of({"a.mid": MIDI}, archives.METHODS["lzma"])),
        ("corpus", "a.zip", zip_of({"a.mid": MIDI}, archives.METHODS["bzip2"])),
    ]


def make_cases(seed: int, count: int) -> list[Case]:
    """The named cases, then seeded random mutations of valid files up to `count`."""
    rng = np.random.default_rng(seed)
    cases = named_cases()
    bases = _bases()
    while len(cases) < count:
        kind, name, data = bases[int(rng.integers(0, len(bases)))]
        how, mutated = mutate(data, rng)
        cases.append(Case(kind, f"{name} {how}", ((name, mutated),)))
    return cases
