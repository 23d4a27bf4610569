"""Hand-built zip archives a well-behaved writer would not make."""

from __future__ import annotations

import bz2
import functools
import lzma
import struct
import zipfile
import zlib

from tests.fuzz.files import zip_of


def _local(name: bytes, data: bytes, usize: int, crc: int, flags: int, extra: bytes) -> bytes:
    head = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        45,
        flags,
        8,
        0,
        0x21,
        crc,
        min(len(data), 0xFFFFFFFF),
        min(usize, 0xFFFFFFFF),
        len(name),
        len(extra),
    )
    return head + name + extra + data


def _central(
    name: bytes, data: bytes, usize: int, crc: int, offset: int, flags: int, mode: int, extra: bytes
) -> bytes:
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            0x031E,
            45,
            flags,
            8,
            0,
            0x21,
            crc,
            min(len(data), 0xFFFFFFFF),
            min(usize, 0xFFFFFFFF),
            len(name),
            len(extra),
            0,
            0,
            0,
            mode << 16,
            offset,
        )
        + name
        + extra
    )


def raw_zip(
    members: list[tuple[bytes, bytes, int, int, int]], crcs: list[int] | None = None
) -> bytes:
    """A zip of (name, deflated data, declared size, flags, unix mode) members."""
    out = b""
    central = b""
    for i, (name, data, usize, flags, mode) in enumerate(members):
        crc = crcs[i] if crcs else 0
        extra = b""
        if usize > 0xFFFFFFFE:
            extra = struct.pack("<HHQQ", 1, 16, usize, len(data))
        central += _central(name, data, usize, crc, len(out), flags, mode, extra)
        out += _local(name, data, usize, crc, flags, extra)
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0
    )
    return out + central + end


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zeros_deflated(total: int) -> bytes:
    """Raw deflate of `total` zero bytes, built from one repeated fully-flushed block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = 1 << 20
    piece = c.compress(bytes(block)) + c.flush(zlib.Z_FULL_FLUSH)
    return piece * (total // block) + c.flush()


def bomb(unpacked: int, declared: int) -> bytes:
    """One .mid member that unpacks to `unpacked` zero bytes and declares `declared`."""
    return raw_zip([(b"bomb.mid", zeros_deflated(unpacked), declared, 0, 0o100644)])


def invalid_utf8_name(midi: bytes) -> bytes:
    """A member flagged as UTF-8 whose name is not."""
    member = (b"caf\xe9\xff.mid", deflate(midi), len(midi), 0x800, 0o100644)
    return raw_zip([member], [zlib.crc32(midi)])


def symlink(midi: bytes) -> bytes:
    """A member that is a symbolic link to /etc/passwd, named like a score."""
    target = b"/etc/passwd"
    return raw_zip(
        [
            (b"link.mid", deflate(target), len(target), 0, 0o120777),
            (b"real.mid", deflate(midi), len(midi), 0, 0o100644),
        ],
        [zlib.crc32(target), zlib.crc32(midi)],
    )


def corrupt_member(midi: bytes, method: int, seed: int) -> bytes:
    """A zip with the member's compressed bytes flipped in the middle (method's decoder)."""
    raw = bytearray(zip_of({"a.mid": midi * 4}, method))
    start = 30 + len("a.mid")
    size = struct.unpack("<I", raw[18:22])[0]
    for k in range(3):
        raw[start + (size * (k + 1)) // 4] ^= 0x55 + seed % 7 + k
    return bytes(raw)


def many_members(midi: bytes, n: int = 1000) -> bytes:
    return zip_of({f"m/{i:04d}.txt": b"x" for i in range(n)} | {"m/one.mid": midi})


def traversal(midi: bytes, name: str) -> bytes:
    return zip_of({name: midi})


METHODS = {"deflate": zipfile.ZIP_DEFLATED, "lzma": zipfile.ZIP_LZMA, "bzip2": zipfile.ZIP_BZIP2}


_BLOCK_MAGIC = 0x314159265359
_END_MAGIC = 0x177245385090


@functools.lru_cache(maxsize=4)
def bzip2_zeros(blocks: int) -> bytes:
    """A bzip2 stream of `blocks` × 40 MiB of zeros, by repeating one compressed block.

    bzip2 blocks are independent and bit-aligned, so one block's bits repeated, with the
    stream's combined CRC worked out, decode as the whole: a gigabyte costs milliseconds.
    """
    one = bz2.compress(bytes(40 << 20), 9)
    bits = int.from_bytes(one, "big")
    total = len(one) * 8
    text = format(bits, f"0{total}b")
    end = text.rindex(format(_END_MAGIC, "048b"))
    block = text[32:end]  # after "BZh9", up to the end-of-stream marker
    block_crc = int(block[48:80], 2)
    combined = 0
    for _ in range(blocks):
        combined = (((combined << 1) | (combined >> 31)) & 0xFFFFFFFF) ^ block_crc
    out = text[:32] + block * blocks + format(_END_MAGIC, "048b") + format(combined, "032b")
    out += "0" * (-len(out) % 8)
    return int(out, 2).to_bytes(len(out) // 8, "big")


def lzma_zeros(total: int) -> bytes:
    """A zip LZMA member's bytes (version, properties, raw LZMA1) for `total` zero bytes."""
    filters = [{"id": lzma.FILTER_LZMA1, "preset": 0}]
    encode = lzma._encode_filter_properties  # type: ignore[attr-defined]
    props = encode(filters[0])
    c = lzma.LZMACompressor(lzma.FORMAT_RAW, filters=filters)
    chunk = bytes(1 << 22)
    body = b"".join(c.compress(chunk) for _ in range(total >> 22)) + c.flush()
    return struct.pack("<BBH", 9, 4, len(props)) + props + body


def method_bomb(method: int, data: bytes, declared: int) -> bytes:
    """One .mid member of compression `method` holding `data`, declaring `declared` bytes."""
    blob = bytearray(raw_zip([(b"bomb.mid", data, declared, 0, 0o100644)]))
    blob[8:10] = struct.pack("<H", method)
    central = blob.rindex(b"PK\x01\x02")
    blob[central + 10 : central + 12] = struct.pack("<H", method)
    return bytes(blob)
