import numpy as np
import pytest
import soundfile as sf
from pedalboard.io import AudioFile

from lofi.audio.export import mp3_bytes, write_mp3, write_wav
from lofi.core.constants import SAMPLE_RATE


@pytest.fixture(scope="module")
def music() -> np.ndarray:
    t = np.arange(6 * SAMPLE_RATE) / SAMPLE_RATE
    left = 0.3 * np.sin(2 * np.pi * 220.0 * t)
    right = 0.3 * np.sin(2 * np.pi * 330.0 * t)
    return np.stack([left, right], axis=1).astype(np.float32)


def test_wav_is_16_bit_and_round_trips(tmp_path, music) -> None:
    write_wav(music, tmp_path / "mix.wav")
    assert (tmp_path / "mix.wav").read_bytes()[:4] == b"RIFF"
    info = sf.info(tmp_path / "mix.wav")
    assert (info.samplerate, info.channels, info.subtype) == (SAMPLE_RATE, 2, "PCM_16")
    data, _ = sf.read(tmp_path / "mix.wav", dtype="float32")
    np.testing.assert_allclose(data, music, atol=1 / 32767)


def test_wav_clips_beyond_full_scale(tmp_path, music) -> None:
    write_wav(music * 10, tmp_path / "loud.wav")
    data, _ = sf.read(tmp_path / "loud.wav", dtype="float32")
    assert np.abs(data).max() == pytest.approx(1.0, abs=1e-4)


def test_mp3_decodes_to_the_same_music(tmp_path, music) -> None:
    write_mp3(music, tmp_path / "mix.mp3")
    assert (tmp_path / "mix.mp3").read_bytes() == mp3_bytes(music)  # same input, same bytes
    with AudioFile(str(tmp_path / "mix.mp3")) as back:
        assert back.num_channels == 2 and back.samplerate == SAMPLE_RATE
        assert back.duration == pytest.approx(6.0, abs=0.1)
        decoded = back.read(back.frames)
    # the left channel is still the 220 Hz tone, the right one the 330 Hz tone
    for channel, freq in ((0, 220.0), (1, 330.0)):
        spectrum = np.abs(np.fft.rfft(decoded[channel, SAMPLE_RATE : 5 * SAMPLE_RATE]))
        assert np.argmax(spectrum) / 4 == pytest.approx(freq, abs=0.5)
        assert np.sqrt(np.mean(decoded[channel] ** 2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.05)


def test_mp3_needs_no_mp3_file_name(tmp_path, music) -> None:
    write_mp3(music, tmp_path / ".mix.mp3.tmp")
    (tmp_path / ".mix.mp3.tmp").rename(tmp_path / "mix.mp3")
    with AudioFile(str(tmp_path / "mix.mp3")) as back:
        assert back.duration == pytest.approx(6.0, abs=0.1)
