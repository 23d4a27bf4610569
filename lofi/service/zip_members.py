"""Reading one zip member in bounded chunks, whatever its compression.

Python's zipfile hands a bzip2 or LZMA member's compressed bytes to the decompressor
without an output limit, so a few hundred bytes of bzip2 become a gigabyte in one call.
Here those members are read raw and decompressed with `max_length`, so no call returns
more than one chunk; stored and deflated members keep zipfile's reader (already bounded).
"""

from __future__ import annotations

import bz2
import copy
import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

RAW_READ = 1 << 14  # compressed bytes fed at a time
MAX_LZMA_DICT = 64 << 20  # the largest dictionary `xz -9` uses; more is refused unread


def _lzma_decoder(header: bytes) -> Any:
    """A raw LZMA1 decoder from a zip member's 4-byte version/size head and properties."""
    (psize,) = struct.unpack("<H", header[2:4])
    props = header[4 : 4 + psize]
    if psize != 5 or len(props) != 5:
        raise zipfile.BadZipFile("damaged LZMA properties")
    (dict_size,) = struct.unpack("<I", props[1:5])
    if dict_size > MAX_LZMA_DICT:
        raise zipfile.BadZipFile(f"an LZMA dictionary of {dict_size >> 20} MB")
    decode = lzma._decode_filter_properties  # type: ignore[attr-defined]  # zipfile uses it
    return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[decode(lzma.FILTER_LZMA1, props)])


def _raw(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    """The member's compressed bytes as a file (zipfile checks name and encryption)."""
    raw = copy.copy(info)
    raw.compress_type = zipfile.ZIP_STORED
    raw.file_size = info.compress_size
    raw.CRC = None  # type: ignore[assignment]  # checked on the decompressed bytes instead
    return archive.open(raw)


def member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, chunk: int) -> Iterator[bytes]:
    """The member's bytes, at most `chunk` at a time, CRC-checked at the end.

    Raises:
        zipfile.BadZipFile: a damaged member, a wrong CRC or an oversized LZMA dictionary;
        the decompressors' own errors (OSError, EOFError, lzma.LZMAError) pass through.
    """
    if info.compress_type not in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        with archive.open(info) as member:
            while data := member.read(chunk):
                yield data
        return
    left, crc = info.file_size, 0
    with _raw(archive, info) as raw:
        if info.compress_type == zipfile.ZIP_BZIP2:
            decoder: Any = bz2.BZ2Decompressor()
        else:
            head = raw.read(4)
            head += raw.read(struct.unpack("<H", head[2:4])[0] if len(head) == 4 else 0)
            decoder = _lzma_decoder(head)
        pending = b""
        while left > 0 and not decoder.eof:
            if decoder.needs_input:
                pending = raw.read(RAW_READ)
                if not pending:
                    raise EOFError("the member ends before its data does")
            data = decoder.decompress(pending, min(chunk, left))
            pending = b""
            left -= len(data)
            crc = zlib.crc32(data, crc)
            if data:
                yield data
    if left > 0 or crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
