import numpy as np
import pytest
import soundfile as sf

from lofi.audio.effects import (
    BED_SECONDS,
    check_effect_wav,
    list_effects,
    load_effect,
    make_default_effects,
)
from lofi.core.constants import SAMPLE_RATE
from lofi.core.errors import EffectError
from tests.factories import rms


@pytest.fixture(scope="module")
def beds(tmp_path_factory):
    return make_default_effects(tmp_path_factory.mktemp("effects"), seed=0)


def test_default_beds_are_stereo_loopable_and_audible(beds) -> None:
    assert set(beds) == {"rain", "vinyl"}
    for path in beds.values():
        assert check_effect_wav(path) == pytest.approx(BED_SECONDS, abs=0.01)
        audio = load_effect(path)
        assert audio.shape == (int(BED_SECONDS * SAMPLE_RATE), 2)
        assert 0.01 < rms(audio) < 0.3
        # The seam: the jump from the last frame to the first is no bigger than usual steps.
        steps = np.abs(np.diff(audio, axis=0)).mean()
        assert np.abs(audio[0] - audio[-1]).max() < 20 * steps + 0.05
    assert list_effects(next(iter(beds.values())).parent) == beds


def test_beds_are_deterministic(beds, tmp_path) -> None:
    again = make_default_effects(tmp_path, seed=0)
    for name in beds:
        assert again[name].read_bytes() == beds[name].read_bytes()


def test_rain_and_vinyl_differ_in_character(beds) -> None:
    rain, vinyl = (load_effect(beds[n])[:, 0] for n in ("rain", "vinyl"))

    # Vinyl is clicks over hiss: far spikier than the steady rain noise.
    def crest(x: np.ndarray) -> float:
        return float(np.abs(x).max() / np.sqrt(np.mean(x**2)))

    assert crest(vinyl) > crest(rain)


def test_mono_and_other_rates_are_converted(tmp_path) -> None:
    path = tmp_path / "mono.wav"
    sf.write(path, np.sin(np.linspace(0, 1000, 22050)).astype(np.float32) * 0.5, 22050)
    audio = load_effect(path)
    assert audio.shape == (44100, 2)
    np.testing.assert_array_equal(audio[:, 0], audio[:, 1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is an empty file"),
        (b"ID3\x03" + bytes(200), "not a WAV"),
        (b"RIFF\x00\x00\x00\x00WAVEjunkjunk" + bytes(64), "damaged"),
    ],
)
def test_not_a_wav_is_refused(tmp_path, content: bytes, message: str) -> None:
    path = tmp_path / "thing.wav"
    path.write_bytes(content)
    with pytest.raises(EffectError, match=message):
        check_effect_wav(path)
    with pytest.raises(EffectError):
        load_effect(path)
