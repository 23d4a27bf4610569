"""The service functions the pages call for corpora, sounds and models, on real files."""

import io
import shutil
from pathlib import Path

import pytest
from pedalboard.io import AudioFile

from lofi.core.errors import CheckpointError, CorpusError
from lofi.service.corpora import (
    chord_counts,
    corpus_location,
    corpus_names,
    piece_preview,
    piece_source,
    read_corpus,
)
from lofi.service.models import model_summary
from lofi.service.sounds import available_soundfonts, effect_beds

MIDI = Path(__file__).parent / "data" / "midi"


def test_corpus_names_are_the_bundled_ones_then_uploaded_folders(tmp_path) -> None:
    assert corpus_names(tmp_path / "none")[-1] == "default"
    for name in ("b-set", "a-set", ".partial"):
        (tmp_path / name).mkdir()
    (tmp_path / "stray.mid").write_bytes(b"")
    names = corpus_names(tmp_path)
    assert names[:2] == ["simutrans", "openmsx"] and names[-2:] == ["a-set", "b-set"]
    assert corpus_location("bach", tmp_path) == "bach"
    assert corpus_location("a-set", tmp_path) == str(tmp_path / "a-set")


def test_a_piece_plays_from_its_own_midi_file_and_a_musicxml_one_is_refused(
    app_env, tmp_path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("tiny_c_major.mid", "tiny.xml"):
        shutil.copy(MIDI / name, folder)
    corpus = read_corpus(str(folder))
    assert sorted(p.name for p in corpus.pieces) == ["tiny.xml", "tiny_c_major.mid"]
    assert sum(chord_counts(corpus).values()) > 0
    source = piece_source(corpus, "tiny_c_major.mid")
    assert source == folder / "tiny_c_major.mid"
    with pytest.raises(CorpusError, match="only MIDI"):
        piece_source(corpus, "tiny.xml")
    with pytest.raises(CorpusError, match="not read from a file"):
        piece_source(corpus, "elsewhere.mid")
    with AudioFile(io.BytesIO(piece_preview(source, 1.5))) as mp3:
        seconds = mp3.frames / mp3.samplerate
        audio = mp3.read(mp3.frames)
    assert 1.5 <= seconds < 1.5 + 4.0  # the excerpt plus the release tail and MP3 padding
    assert float(abs(audio).max()) > 0.01


def test_model_summary_names_corpus_loss_and_version(tiny_checkpoints, tmp_path) -> None:
    melody = model_summary(tiny_checkpoints[0], "melody")
    assert melody.name == "melody" and melody.corpus != "?"
    assert len(melody.sha256) == 64
    assert melody.best_val_loss is None or melody.best_val_loss > 0
    with pytest.raises(CheckpointError):
        model_summary(tmp_path)


def test_sounds_list_the_soundfonts_and_effect_beds_of_the_data_folders(app_env) -> None:
    assert set(effect_beds()) >= {"rain", "vinyl"}
    assert all(p.parent == app_env["effects"] for p in effect_beds().values())
    assert any(p.parent == app_env["soundfonts"] for p in available_soundfonts())
