import io
from dataclasses import replace

import mido
import numpy as np
import pytest

from lofi.compose.arrangement import (
    ARRANGEMENT,
    ARRANGEMENT_V1,
    ARRANGEMENT_V3,
    arrangement_from_json,
)
from lofi.compose.chord_loops import TONICS
from lofi.compose.midi import song_to_midi
from lofi.compose.song import compose
from lofi.core.constants import DRUM_CHANNEL
from lofi.core.types import GenerationConfig, Key, SamplingConfig
from lofi.encoding.dynamics import velocity_of
from lofi.models import Loaded


def _midi(models, seed: int, key: str = "A-minor", bars: int = 16, **sampling) -> bytes:
    config = GenerationConfig(seed, Key.parse(key), 80.0, bars, SamplingConfig(**sampling))
    return song_to_midi(compose(config, models))


def test_same_seed_gives_identical_midi_bytes(models) -> None:
    assert _midi(models, 7) == _midi(models, 7)
    assert _midi(models, 7) != _midi(models, 8)


def test_song_has_four_parts_with_drums_on_channel_ten(models) -> None:
    mid = mido.MidiFile(file=io.BytesIO(_midi(models, 3)))
    names = [t.name for t in mid.tracks[1:]]
    assert names == ["chords", "melody", "bass", "drums"]
    for track in mid.tracks[1:]:
        channels = {m.channel for m in track if m.type == "note_on"}
        assert channels, f"{track.name} has no notes"
        assert (channels == {DRUM_CHANNEL}) == (track.name == "drums")
    assert mid.length == pytest.approx(16 * 4 * 60 / 80, abs=0.5)


@pytest.mark.parametrize("key", ["A-minor", "Eb-major", "F#-minor", "B-major"])
def test_melody_and_chords_stay_in_key(models, key: str) -> None:
    sampling = SamplingConfig(stay_in_key=True, register_low=57, register_high=86)
    config = GenerationConfig(5, Key.parse(key), 80.0, 24, sampling)
    song = compose(config, models)
    scale = {(config.key.relative_major + i) % 12 for i in (0, 2, 4, 5, 7, 9, 11)}
    melody = song.part("melody").notes
    assert melody and all(n.pitch % 12 in scale for n in melody)
    assert all(57 <= n.pitch <= 86 for n in melody)
    assert sum(b for _, b, _ in song.chords) == pytest.approx(24 * 4)
    old = compose(config, models, ARRANGEMENT_V1)  # the first arrangement opened on the tonic
    assert old.chords[0][2] in TONICS[config.key.mode]


def test_the_melody_sounds_at_the_loudness_it_learned(models) -> None:
    learned = {velocity_of(t) for t in models.needed("melody").vocab.inputs["velocity"][1:]}
    config = GenerationConfig(4, Key.parse("D-minor"), 80.0, 16, SamplingConfig())
    untimed = replace(models, timing=Loaded())
    now = {n.velocity for n in compose(config, untimed).part("melody").notes}
    assert now and now <= learned
    # With the style's feels, the part plays at one training piece's level (its balance).
    timed = [n.velocity for n in compose(config, models).part("melody").notes]
    assert models.timing_model is not None and models.timing_model.loudness
    levels = [row[1] for row in models.timing_model.loudness]
    assert min(abs(float(np.median(timed)) - level) for level in levels) <= 1
    before = {n.velocity for n in compose(config, untimed, ARRANGEMENT_V3).part("melody").notes}
    assert before - learned  # version 3 humanised them at random
    assert arrangement_from_json(ARRANGEMENT_V3.to_json()) == ARRANGEMENT_V3
    assert ARRANGEMENT.version == 6 and (ARRANGEMENT.velocity_jitter, ARRANGEMENT.legato) == (0, 1)


def test_sections_cover_the_song(models) -> None:
    song = compose(GenerationConfig(bars=32), models)
    assert [s.name for s in song.sections] == ["intro", "main", "outro"]
    assert sum(s.bars for s in song.sections) == 32
    onsets = np.array([n.onset for p in song.parts for n in p.notes])
    assert onsets.min() >= 0 and onsets.max() < 32 * 4


def test_midi_holds_every_note_of_the_song_at_its_beat(models) -> None:
    import pretty_midi

    config = GenerationConfig(11, Key.parse("Eb-major"), 73.0, 8, SamplingConfig())
    song = compose(config, models)
    pm = pretty_midi.PrettyMIDI(io.BytesIO(song_to_midi(song)))
    assert pm.get_tempo_changes()[1][0] == pytest.approx(73.0, abs=1e-3)
    assert pm.key_signature_changes[0].key_number == 3  # E-flat major
    assert [(ts.numerator, ts.denominator) for ts in pm.time_signature_changes] == [(4, 4)]
    for part, instrument in zip(song.parts, pm.instruments, strict=True):
        assert instrument.name == part.name and instrument.is_drum == part.is_drum
        ticks = sorted((n.pitch, pm.time_to_tick(n.start), n.velocity) for n in instrument.notes)
        assert ticks == sorted((n.pitch, round(n.onset * 480), n.velocity) for n in part.notes)
        assert all(n.end > n.start for n in instrument.notes)
