"""The fast MIDI reader against music21 on real files: the same notes, within a tick."""

from pathlib import Path

import pytest

from lofi.core.types import Piece
from lofi.data.readers import parse_file, parse_file_music21

DATA = Path(__file__).parent / "data" / "midi"
GAME_FOLDERS = (
    Path("/usr/share/games/simutrans/music"),
    Path("/usr/share/games/openttd/baseset/openmsx"),
    Path("/usr/share/planetblupi/music"),
)


def _game_files() -> list[Path]:
    """The two smallest files of each installed Debian corpus (music21 is slow on big ones)."""
    files: list[Path] = []
    for folder in GAME_FOLDERS:
        files += sorted(folder.glob("*.mid"), key=lambda p: p.stat().st_size)[:2]
    return files


def _ticks(piece: Piece, per_beat: int = 480) -> list[tuple[int, int, int]]:
    return [(n.pitch, round(n.onset * per_beat), round(n.duration * per_beat)) for n in piece.notes]


def _assert_same_notes(path: Path) -> None:
    fast, reference = parse_file(path), parse_file_music21(path)
    a, b = _ticks(fast), _ticks(reference)
    assert len(a) == len(b), path.name
    for x, y in zip(a, b, strict=True):
        assert x[0] == y[0] and abs(x[1] - y[1]) <= 1 and abs(x[2] - y[2]) <= 1, (path.name, x, y)
    assert [n.velocity for n in fast.notes] == [n.velocity for n in reference.notes]
    assert fast.key == reference.key
    assert fast.tempo_bpm == pytest.approx(reference.tempo_bpm)


@pytest.mark.parametrize("name", ["tiny_c_major.mid", "tiny_type0.mid"])
def test_fast_reader_matches_music21_on_the_bundled_files(name: str) -> None:
    _assert_same_notes(DATA / name)


def test_fast_reader_matches_music21_on_debian_corpus_files() -> None:
    files = _game_files()
    if not files:
        pytest.skip("no Debian MIDI corpus installed (simutrans-data, openttd-openmsx, …)")
    for path in files:
        _assert_same_notes(path)


def test_damaged_midi_is_a_corpus_error_from_both_readers() -> None:
    from lofi.core.errors import CorpusError

    for reader in (parse_file, parse_file_music21):
        with pytest.raises(CorpusError, match="damaged"):
            reader(DATA / "truncated.mid")


def test_reading_leaves_mido_naming_key_signatures() -> None:
    import io

    import mido

    parse_file(DATA / "tiny_c_major.mid")  # installs the tolerant key-signature reader
    mid = mido.MidiFile()
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("key_signature", key="Eb")]))
    buffer = io.BytesIO()
    mid.save(file=buffer)
    (message,) = mido.MidiFile(file=io.BytesIO(buffer.getvalue())).tracks[0][:1]
    assert (message.type, message.key) == ("key_signature", "Eb")
