"""Tracks in pieces: the first piece is the whole track's first samples, the joins are seamless."""

import math

import numpy as np
import pytest

from lofi.audio.loudness import loudness_lufs
from lofi.audio.render import render_stems, song_frames
from lofi.audio.stream import Mixdown, bar_frames, master_whole, stream_track
from lofi.core.constants import SAMPLE_RATE
from tests.factories import gm_instruments


@pytest.fixture(scope="module")
def instruments(gm_soundfont):
    return gm_instruments(gm_soundfont)


def test_first_frames_render_equals_the_whole_render(four_part_midi, instruments) -> None:
    first = bar_frames(120.0, 1)
    part = render_stems(four_part_midi, instruments, frames=first)
    whole = render_stems(four_part_midi, instruments)
    assert len(whole["drums"]) == song_frames(four_part_midi)
    for name in instruments:
        assert len(part[name]) == first
        np.testing.assert_array_equal(part[name], whole[name][:first])


def test_pieces_join_into_the_whole_master(four_part_midi, instruments) -> None:
    rng = np.random.default_rng(0)
    bed = (rng.standard_normal((SAMPLE_RATE, 2)) * 0.05).astype(np.float32)
    effects = {"noise": (bed, -12.0)}
    pieces = list(stream_track(four_part_midi, instruments, effects, 120.0, first_bars=1))
    assert len(pieces) == 2 and len(pieces[0]) == bar_frames(120.0, 1)
    joined = np.concatenate(pieces)
    whole_stems = render_stems(four_part_midi, instruments)
    total = song_frames(four_part_midi)
    mix = Mixdown(effects, total).mix(whole_stems, 0, total)
    # The same mix in two ranges is the same mix.
    halves = np.concatenate([Mixdown(effects, total).mix(whole_stems, 0, 1000),
                             Mixdown(effects, total).mix(whole_stems, 1000, total)])  # fmt: skip
    np.testing.assert_allclose(halves, mix, atol=1e-6)
    from lofi.audio.stream import StreamMaster

    probe = StreamMaster()
    probe.process(mix[: len(pieces[0])])
    assert probe.gain_db is not None
    from lofi.audio.stream import whole_gain

    # The rest glides to the gain of the whole track's loudness.
    final = whole_gain(StreamMaster().tone(mix))
    reference = master_whole(mix, probe.gain_db, final, len(pieces[0]))
    assert len(joined) == len(reference) == total
    # Seamless: the first piece is the whole master's start, and no step at the join.
    np.testing.assert_allclose(joined, reference, atol=2e-3)
    join = len(pieces[0])
    step = np.abs(joined[join] - joined[join - 1]).max()
    assert step < 0.05 + np.abs(np.diff(joined[join - 200 : join], axis=0)).max()
    assert math.isfinite(loudness_lufs(joined))
    fixed = list(stream_track(four_part_midi, instruments, effects, 120.0, 1, probe.gain_db))
    np.testing.assert_allclose(np.concatenate(fixed), master_whole(mix, probe.gain_db), atol=2e-3)
    assert np.abs(joined).max() <= 10 ** (-1.0 / 20) + 1e-3  # under the ceiling


def _sixteen_bars() -> bytes:
    """Sixteen bars at 120 BPM, quiet chords first, then the band (as a track's intro)."""
    from lofi.compose.form import sections_for
    from lofi.compose.midi import song_to_midi
    from lofi.core.types import Key, Note, Part, Song

    bars = range(16)
    parts = (
        Part("chords", tuple(Note(p, 4.0 * b, 3.8, 60) for b in bars for p in (48, 55, 64, 71))),
        Part("bass", tuple(Note(36, 4.0 * b, 3.5, 100) for b in bars if b >= 2)),
        Part(
            "drums",
            tuple(
                Note((36, 42, 38, 42)[i % 4], 4.0 * b + i / 2, 0.25, 110)
                for b in bars
                if b >= 2
                for i in range(8)
            ),
            is_drum=True,
        ),
    )
    return song_to_midi(Song(Key(0, "major"), 120.0, 16, parts, sections_for(64), ()))


def test_a_mix_3_stream_lands_on_the_target_under_the_ceiling(instruments) -> None:
    from lofi.audio.loudness import true_peak_dbtp
    from lofi.audio.placement import Mix
    from lofi.core.constants import TARGET_LUFS, TRUE_PEAK_DBTP

    midi = _sixteen_bars()
    rng = np.random.default_rng(1)
    bed = (rng.standard_normal((SAMPLE_RATE, 2)) * 0.05).astype(np.float32)
    effects = {"noise": (bed, -20.0)}
    pieces = list(stream_track(midi, instruments, effects, 120.0, 2, mix=Mix(version=3)))
    joined = np.concatenate(pieces)
    assert len(pieces) > 2 and loudness_lufs(joined) == pytest.approx(TARGET_LUFS, abs=0.1)
    assert true_peak_dbtp(joined) <= TRUE_PEAK_DBTP
