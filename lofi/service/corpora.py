"""Corpora for the pages: which ones exist, opening one, its statistics, playing a piece."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from lofi.audio.export import mp3_bytes
from lofi.audio.render import render_midi
from lofi.audio.soundfonts import fallback_soundfont
from lofi.core.errors import CorpusError
from lofi.data.corpus import BUNDLED, Corpus, CorpusStats, Progress, corpus_stats, load_corpus
from lofi.encoding.tokens import harmony

__all__ = [
    "Corpus",
    "CorpusStats",
    "chord_counts",
    "corpus_location",
    "corpus_names",
    "corpus_stats",
    "piece_preview",
    "piece_source",
    "read_corpus",
]

MIDI_SUFFIXES = (".mid", ".midi")


def corpus_names(uploaded: Path) -> list[str]:
    """The bundled corpora's names, then every uploaded corpus folder's name under `uploaded`."""
    folders = (
        sorted(p.name for p in uploaded.iterdir() if p.is_dir() and not p.name.startswith("."))
        if uploaded.is_dir()
        else []
    )
    return [*BUNDLED, *folders]


def corpus_location(name: str, uploaded: Path) -> str:
    """What `read_corpus` takes: a bundled corpus' name as is, an uploaded one's folder."""
    return name if name in BUNDLED else str(uploaded / name)


def read_corpus(location: str, progress: Progress | None = None) -> Corpus:
    """Parses the corpus (each file once, then from the cache); bad files are listed in `bad`."""
    return load_corpus(location, progress=progress)


def chord_counts(corpus: Corpus) -> dict[str, int]:
    """How many beats each vocabulary chord sounds for, over all pieces (key-normalised)."""
    return dict(Counter(symbol for piece in corpus.pieces for symbol in harmony(piece)))


def piece_source(corpus: Corpus, name: str) -> Path:
    """The MIDI file the named piece was read from; CorpusError when it has none or not MIDI."""
    found = zip(corpus.pieces, corpus.sources, strict=False)
    source = next((src for piece, src in found if piece.name == name), None)
    if source is None:
        raise CorpusError(name, "it was not read from a file")
    if source.suffix.lower() not in MIDI_SUFFIXES:
        raise CorpusError(source, "only MIDI files can be played here")
    return source


def piece_preview(midi: Path, seconds: float) -> bytes:
    """MP3 bytes of the file's first `seconds`, played by the General MIDI SoundFont."""
    return mp3_bytes(render_midi(midi, fallback_soundfont(), seconds=seconds))
