"""Hostile score files: a lying MIDI, too many tracks, too many measures, a zip bomb."""

from __future__ import annotations

import io
import struct
import zipfile

# 37 bytes: one note held for 268,435,455 ticks at one tick per beat.
LYING_MIDI_HEX = "4d546864000000060001000100014d54726b0000000f00903c50ffffff7f803c0000ff2f00"


def many_track_midi(tracks: int) -> bytes:
    """A type-1 MIDI with this many tracks, each one note long."""
    body = b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff\x2f\x00"
    track = b"MTrk" + struct.pack(">I", len(body)) + body
    return b"MThd" + struct.pack(">IHHH", 6, 1, tracks, 96) + track * tracks


def long_musicxml(measures: int) -> bytes:
    """A one-part MusicXML score of this many one-note measures."""
    note = b"<note><pitch><step>C</step><octave>4</octave></pitch><duration>4</duration></note>"
    body = b"".join(b'<measure number="%d">%s</measure>' % (i + 1, note) for i in range(measures))
    return (
        b'<?xml version="1.0"?><score-partwise version="3.1"><part-list><score-part id="P1">'
        b'<part-name>x</part-name></score-part></part-list><part id="P1">'
        + body
        + b"</part></score-partwise>"
    )


def big_mxl(unpacked_bytes: int) -> bytes:
    """A .mxl whose score unpacks to `unpacked_bytes` (mostly spaces), written streaming."""
    buffer = io.BytesIO()
    block = b" " * (1 << 20)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("score.xml", "w", force_zip64=True) as member,
    ):
        member.write(b'<?xml version="1.0"?><score-partwise version="3.1">')
        for _ in range(unpacked_bytes // len(block)):
            member.write(block)
        member.write(b"</score-partwise>")
    return buffer.getvalue()
