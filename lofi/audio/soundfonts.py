"""SoundFont files: instruments, presets read from the file itself, and validation."""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from lofi.core.errors import ConfigError, SoundFontError
from lofi.core.paths import FALLBACK_SOUNDFONT_NAME, SYSTEM_SOUNDFONT, soundfonts_dir
from lofi.core.settings import LIMITS

SUFFIXES = (".sf2", ".sf3")
PHDR_RECORD = 38  # bytes per preset header


@dataclass(frozen=True)
class Instrument:
    """What plays a part: a SoundFont, its bank and program, and a gain in dB."""

    soundfont: Path
    bank: int
    program: int
    gain_db: float = 0.0


@dataclass(frozen=True)
class Preset:
    """One preset a SoundFont offers: bank, program and its name."""

    bank: int
    program: int
    name: str


def _chunks(data: bytes | mmap.mmap, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    """RIFF sub-chunks between start and end: id (or LIST type) → (offset, size)."""
    out: dict[bytes, tuple[int, int]] = {}
    pos = start
    while pos + 8 <= end:
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if body + size > end:
            raise SoundFontError("a chunk runs past the end of the file")
        if cid == b"LIST":
            out[data[body : body + 4]] = (body + 4, size - 4)
        else:
            out[cid] = (body, size)
        pos = body + size
        if size & 1 and not _looks_like_id(data[pos : pos + 4]):
            pos += 1  # the RIFF pad byte; some .sf3 writers leave it out
    return out


def _looks_like_id(raw: bytes) -> bool:
    return len(raw) == 4 and all(32 <= b < 127 for b in raw)


def list_presets(path: Path | str) -> list[Preset]:
    """Presets (bank, program, name) from the file's phdr chunk, sorted; no FluidSynth needed."""
    path = Path(path)
    data = _read_checked(path)
    try:
        top = _chunks(data, 12, len(data))
        if b"pdta" not in top:
            raise SoundFontError("it has no preset data (pdta)")
        pstart, psize = top[b"pdta"]
        pdta = _chunks(data, pstart, pstart + psize)
        if b"phdr" not in pdta:
            raise SoundFontError("it has no preset headers (phdr)")
        off, size = pdta[b"phdr"]
    except SoundFontError as exc:
        raise SoundFontError(f"{path.name} is not a usable SoundFont: {exc}") from None
    if size % PHDR_RECORD or size < 2 * PHDR_RECORD:
        raise SoundFontError(f"{path.name} is not a usable SoundFont: broken preset headers")
    presets = set()
    for i in range(size // PHDR_RECORD - 1):  # the last record is the terminal "EOP"
        rec = data[off + i * PHDR_RECORD : off + (i + 1) * PHDR_RECORD]
        name = rec[:20].split(b"\0", 1)[0].decode("latin-1").strip()
        program, bank = struct.unpack("<HH", rec[20:24])
        if program < 128 and bank <= 128:
            presets.add(Preset(bank, program, name or f"Preset {bank}:{program}"))
    if not presets:
        raise SoundFontError(f"{path.name} has no presets")
    return sorted(presets, key=lambda p: (p.bank, p.program, p.name))


def _read_checked(path: Path) -> mmap.mmap:
    if not path.is_file():
        raise SoundFontError(f"SoundFont {path} does not exist")
    size = path.stat().st_size
    if size > LIMITS.soundfont_bytes:
        raise SoundFontError(
            f"SoundFont {path.name} is too large ({size >> 20} MB; the limit "
            f"is {LIMITS.soundfont_bytes >> 20} MB)"
        )
    if path.suffix.lower() not in SUFFIXES:
        raise SoundFontError(f"{path.name} is not a .sf2 or .sf3 file")
    if size == 0:
        raise SoundFontError(f"{path.name} is an empty file")
    if size < 12:
        raise SoundFontError(f"{path.name} is not a SoundFont (no RIFF sfbk header)")
    with path.open("rb") as f:  # mapped, not read: a large file costs no memory here
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise SoundFontError(f"{path.name} is not a SoundFont (no RIFF sfbk header)")
    return data


def fallback_soundfont() -> Path:
    """The General MIDI SoundFont setup copies into the SoundFonts folder (sf_GMbank.sf2)."""
    return soundfonts_dir() / FALLBACK_SOUNDFONT_NAME


def lofi_kit() -> Path:
    """The sampled lofi kit setup makes in the SoundFonts folder (lofi.audio.kits)."""
    from lofi.audio.kits import KIT_FILE

    return soundfonts_dir() / KIT_FILE


def gm_kit() -> Instrument:
    """The General MIDI jazz kit (the kit before the sampled one, and the user's choice)."""
    sf = SYSTEM_SOUNDFONT if SYSTEM_SOUNDFONT.is_file() else fallback_soundfont()
    return Instrument(sf, 128, 32, -2.0)  # the fallback has a Jazz kit at 128:32 too


def kit_instrument() -> Instrument:
    """The sampled lofi kit when setup made it, else the General MIDI jazz kit."""
    from lofi.audio.kits import KIT_BANK, KIT_PROGRAM

    kit = lofi_kit()
    return Instrument(kit, KIT_BANK, KIT_PROGRAM, 0.0) if kit.is_file() else gm_kit()


def default_instruments() -> dict[str, Instrument]:
    """FM electric piano chords, vibraphone lead, fingered bass and the sampled lofi kit.

    The chords' piano is `python -m lofi.tools.keys`'s pick (docs/keys.md).
    """
    # fallback_soundfont has the same General MIDI numbers
    sf = SYSTEM_SOUNDFONT if SYSTEM_SOUNDFONT.is_file() else fallback_soundfont()
    return {
        "chords": Instrument(sf, 0, 5, 0.0),
        "melody": Instrument(sf, 0, 11, 1.0),
        "bass": Instrument(sf, 0, 33, 0.0),
        "drums": kit_instrument(),
    }


def parse_instrument_spec(spec: str) -> Instrument:
    """Reads PATH[:BANK:PROGRAM] (program defaults to 0:0)."""
    parts = spec.rsplit(":", 2)
    bank, program = 0, 0
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        path, bank, program = Path(parts[0]), int(parts[1]), int(parts[2])
    else:
        path = Path(spec)
    if not (0 <= bank <= 128 and 0 <= program <= 127):
        raise ConfigError(f"bank {bank} / program {program} out of range in {spec!r}")
    presets = list_presets(path)
    if not any(p.bank == bank and p.program == program for p in presets):
        raise SoundFontError(
            f"{path.name} has no preset {bank}:{program}; see `python -m lofi presets {path}`"
        )
    return Instrument(path.expanduser().resolve(), bank, program)


def available_soundfonts() -> list[Path]:
    """The project's and the user's SoundFonts, then the system's MuseScore one."""
    folder = soundfonts_dir()
    found = (
        sorted(
            p
            for p in folder.iterdir()
            if p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
        )
        if folder.is_dir()
        else []
    )
    if SYSTEM_SOUNDFONT.is_file():
        found.insert(0, SYSTEM_SOUNDFONT)
    return found
