"""Tracks made in pieces: the first bars rendered and mastered first, the rest after.

The pieces join seamlessly: the first piece's stems are the whole render's first frames
(FluidSynth is deterministic and starts fresh for every job), the mix is built from absolute
frame positions, and the master carries its state (filters, room, compressor, limiter, the
tape delay line) from one piece to the next with one fixed gain, taken from the first piece.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofi.audio.loudness import LIMIT_DBFS, loudness_lufs
from lofi.audio.mix import loop_effect
from lofi.audio.placement import MONO_MIX, Mix, duck_gain, kick_frames, render_placed
from lofi.audio.render import song_frames
from lofi.audio.soundfonts import Instrument
from lofi.audio.tape import FLUTTER_HZ, FLUTTER_MS, WOW_HZ, WOW_MS, Tape, master_board
from lofi.core.constants import BEATS_PER_BAR, SAMPLE_RATE, TARGET_LUFS

FIRST_BARS = 4  # the piece made before anything else: ~10 s of sound in ~0.4 s
BLOCK_FRAMES = 1 << 18  # later pieces are mastered in blocks of ~6 s: bounded temporaries
HISTORY = 256  # frames the tape delay line reaches back (the deepest wobble: 212)
# The first piece is the quiet intro, so the whole track measures louder than the piece; the
# gain taken from it is lowered by this much. Measured over 8 songs of the shipped models:
# the tracks then land at -14 LU ± 0.7 (8-bar pieces: allowance 4.5 dB, ± 0.15 LU, but twice
# the wait for the first sound).
INTRO_ALLOWANCE_DB = 5.7
GAIN_LIMITS_DB = (-30.0, 30.0)
# Mix 3's stream: a lower sample-peak ceiling (its hats are brighter, and the points between
# samples overshoot a sample-peak limiter by up to 1.7 dB in bench_sound's radio tracks), and
# the rest's gain checked on the levelled whole (the limiter's loss left them up to 0.45 LU
# quiet). Older versions keep LIMIT_DBFS and the gain from loudness alone.
STREAM_CEILINGS_DBFS = {3: -3.0}
SETTLE_TRIALS = 2  # the second trial takes up what the first piece's own gain left over
Effects = dict[str, tuple[np.ndarray, float]]  # name → (bed, level in dB)


def bar_frames(bpm: float, bars: int) -> int:
    """Audio frames that `bars` bars last at `bpm`."""
    return round(bars * BEATS_PER_BAR * 60.0 / bpm * SAMPLE_RATE)


class StreamMaster:
    """The lofi master (`tape_and_room`, then the level) piece by piece with carried state.

    The gain is fixed once (from the first piece, or given), so pieces join without a step;
    the limiter keeps the peaks under the ceiling whatever the later pieces do.
    """

    def __init__(
        self, gain_db: float | None = None, tape: Tape | None = None, mix: Mix = MONO_MIX
    ) -> None:
        self.tape = tape or Tape()
        self.board = master_board(self.tape, mix)
        self.ceiling_db = STREAM_CEILINGS_DBFS.get(mix.version, LIMIT_DBFS)
        self.gain_db = gain_db
        self.limiter: object | None = None
        self.history = np.zeros((HISTORY, 2), dtype=np.float32)
        self.position = 0  # absolute frame of the next input frame

    def _wow(self, chunk: np.ndarray) -> np.ndarray:
        """Tape wow and flutter as in the whole-track master, at absolute time."""
        n = len(chunk)
        t = (np.arange(n, dtype=np.float64) + self.position) / SAMPLE_RATE
        depth = self.tape.wow
        delay = (np.sin(2 * np.pi * WOW_HZ * t) + 1) * (WOW_MS * depth * SAMPLE_RATE / 1000)
        delay += (np.sin(2 * np.pi * FLUTTER_HZ * t) + 1) * (
            FLUTTER_MS * depth * SAMPLE_RATE / 1000
        )
        whole = np.floor(delay)
        frac = (delay - whole).astype(np.float32)[:, None]
        back = np.arange(n, dtype=np.int64) + HISTORY - whole.astype(np.int64)
        joined = np.concatenate([self.history, chunk])
        now = joined[back]
        out: np.ndarray = now + (joined[back - 1] - now) * frac
        self.history = joined[-HISTORY:].copy()
        self.position += n
        return out

    def tone(self, chunk: np.ndarray) -> np.ndarray:
        """Filters, room, compression: everything before the level stage."""
        wet = self.board(self._wow(np.asarray(chunk, dtype=np.float32)).T, SAMPLE_RATE, reset=False)
        return np.ascontiguousarray(wet.T, dtype=np.float32)

    def level(self, toned: np.ndarray, curve_db: np.ndarray | None = None) -> np.ndarray:
        """Limits to the ceiling and applies the gain (set from `toned` if not yet).

        With `curve_db` (a gain in dB per frame), that gain instead of the fixed one.
        """
        from pedalboard import Limiter

        if self.gain_db is None:
            self.gain_db = gain_for(toned)
        if self.limiter is None:
            self.limiter = Limiter(threshold_db=self.ceiling_db - self.gain_db, release_ms=80.0)
        if curve_db is not None:
            toned = toned * (10 ** ((curve_db - self.gain_db) / 20)).astype(np.float32)[:, None]
        limited = self.limiter(toned.T, SAMPLE_RATE, reset=False)  # type: ignore[operator]
        out = np.ascontiguousarray(limited.T, dtype=np.float32)
        # JUCE's limiter brings its threshold up to full scale: back down to the ceiling,
        # which is the gain applied to the threshold's level.
        out *= np.float32(10 ** (self.ceiling_db / 20))
        return out

    def process(self, chunk: np.ndarray) -> np.ndarray:
        """The next chunk of the mix, toned and levelled (state carries to the next call)."""
        return self.level(self.tone(chunk))


def gain_for(toned: np.ndarray) -> float:
    """The master's gain in dB from a piece's loudness before the level stage."""
    return _gain_to_target(toned, INTRO_ALLOWANCE_DB)


def _gain_to_target(toned: np.ndarray, allowance_db: float) -> float:
    """The gain in dB that brings `toned` to the target loudness less `allowance_db`."""
    try:
        loud = loudness_lufs(toned)
    except Exception:  # shorter than a loudness block
        loud = -math.inf
    if not math.isfinite(loud):
        return 0.0
    low, high = GAIN_LIMITS_DB
    return float(np.clip(TARGET_LUFS - loud - allowance_db, low, high))


@dataclass
class Mixdown:
    """The stems and looped effect beds summed over any frame range.

    The whole track's fade-in and fade-out are computed from absolute positions, so ranges
    join exactly.
    """

    effects: Effects
    total: int
    fade_in_s: float = 2.0
    fade_out_s: float = 4.0
    kicks: np.ndarray | None = None  # (frame, velocity) the beds duck under; None: no ducking

    def _gain(self, start: int, stop: int) -> np.ndarray:
        k = np.arange(start, stop)
        gain = np.ones(stop - start, dtype=np.float32)
        fi = min(int(self.fade_in_s * SAMPLE_RATE), self.total // 2)
        fo = min(int(self.fade_out_s * SAMPLE_RATE), self.total // 2)
        if fi:
            head = k < fi
            ramp = np.linspace(0.0, 1.0, fi, dtype=np.float32) ** 2
            gain[head] *= ramp[k[head]]
        if fo:
            tail = k >= self.total - fo
            ramp = np.linspace(1.0, 0.0, fo, dtype=np.float32) ** 2
            gain[tail] *= ramp[k[tail] - (self.total - fo)]
        return gain

    def mix(self, stems: dict[str, np.ndarray], start: int, stop: int) -> np.ndarray:
        """Frames [start, stop) of the mix; `stems` hold at least the first `stop` frames."""
        out = np.zeros((stop - start, 2), dtype=np.float32)
        for name in sorted(stems):
            piece = stems[name][start:stop]
            out[: len(piece)] += piece
        for name in sorted(self.effects):
            bed, level = self.effects[name]
            if level is None or not math.isfinite(level):
                continue
            looped = loop_effect(bed, stop, level)[start:stop]
            if self.kicks is not None:
                looped *= duck_gain(self.kicks, start, stop)[:, None]
            out += looped
        out *= self._gain(start, stop)[:, None]
        return out


def stream_track(
    midi: bytes,
    instruments: dict[str, Instrument],
    effects: Effects,
    bpm: float,
    first_bars: int = FIRST_BARS,
    gain_db: float | None = None,
    mix: Mix = MONO_MIX,
    tape: Tape | None = None,
) -> Iterator[np.ndarray]:
    """Yields the mastered track in pieces, the first bars first.

    The first `first_bars` bars come at once, then the rest in blocks once the whole song is
    rendered. Joined, the pieces are the whole track. Unless `gain_db` fixes the gain, the
    first piece plays at the gain its own loudness suggests and the rest glides to the gain
    the whole track needs (its loudness measured once it is rendered).
    """
    total = song_frames(midi)
    first = min(bar_frames(bpm, first_bars), total)
    kicks = kick_frames(midi) if mix.stereo and mix.ducking else None
    mixer = Mixdown(effects, total, kicks=kicks)
    master = StreamMaster(gain_db, tape, mix)
    stems = render_placed(midi, instruments, mix, frames=first)
    yield master.process(mixer.mix(stems, 0, first))
    if first >= total:
        return
    stems = render_placed(midi, instruments, mix)
    if gain_db is not None:
        for start in range(first, total, BLOCK_FRAMES):
            yield master.process(mixer.mix(stems, start, min(start + BLOCK_FRAMES, total)))
        return
    # The whole track toned by a fresh master: its first piece is what the listener heard
    # (the same chain from the same start), so the rest is levelled from it directly.
    toned = StreamMaster(None, tape, mix).tone(mixer.mix(stems, 0, total))
    del stems
    final_db = whole_gain(toned)
    if mix.version in STREAM_CEILINGS_DBFS:
        final_db = settled_gain(toned, master.gain_db or 0.0, final_db, first, mix)
    for start in range(first, total, BLOCK_FRAMES):
        stop = min(start + BLOCK_FRAMES, total)
        curve = glide(master.gain_db or 0.0, final_db, first, start, stop)
        yield master.level(toned[start:stop], curve)


GLIDE_S = 3.0  # from the first piece's gain to the whole track's


def glide(first_db: float, final_db: float, at: int, start: int, stop: int) -> np.ndarray:
    """The gain in dB of frames [start, stop): `first_db` until `at`, then to `final_db`."""
    k = np.arange(start, stop, dtype=np.float64)
    share = np.clip((k - at) / (GLIDE_S * SAMPLE_RATE), 0.0, 1.0)
    out: np.ndarray = first_db + (final_db - first_db) * share
    return out


def whole_gain(toned: np.ndarray) -> float:
    """The gain in dB that brings a whole toned track to the target loudness."""
    return _gain_to_target(toned, level_offset_db())


def settled_gain(toned: np.ndarray, first_db: float, final_db: float, at: int, mix: Mix) -> float:
    """`final_db` corrected by trials of the level stage over the whole toned track.

    The limiter takes a little loudness off a track with strong peaks, and the first piece
    plays at its own gain: each trial levels the whole as the stream will (`first_db` until
    `at`, then the glide to `final_db`), measures it, and moves `final_db` by the difference
    (at most 3 dB from where it started).
    """
    start = final_db
    for _ in range(SETTLE_TRIALS):
        curve = glide(first_db, final_db, at, 0, len(toned))
        try:
            loud = loudness_lufs(StreamMaster(first_db, mix=mix).level(toned, curve))
        except Exception:  # shorter than a loudness block
            return final_db
        if not math.isfinite(loud):
            return final_db
        final_db = float(np.clip(final_db + TARGET_LUFS - loud, start - 3.0, start + 3.0))
    return final_db


@functools.cache
def level_offset_db() -> float:
    """How much louder the level stage leaves a signal than its gain says, in dB.

    JUCE's limiter (pedalboard's Limiter) makes up more than its threshold (about 3.75 dB),
    so the offset is measured once on quiet noise, which the limiter does not touch.
    """
    noise = np.random.default_rng(0).standard_normal((SAMPLE_RATE, 2)).astype(np.float32)
    noise *= np.float32(0.01)
    out = StreamMaster(0.0).level(noise)
    return float(loudness_lufs(out) - loudness_lufs(noise))


def master_whole(
    mix: np.ndarray, gain_db: float, then_db: float | None = None, at: int = 0
) -> np.ndarray:
    """The same master over a whole mix in one go (for checking that pieces join exactly).

    With `then_db`, the gain glides from `gain_db` to it from frame `at` on, as a stream
    whose gain was not fixed does.
    """
    master = StreamMaster(gain_db)
    toned = master.tone(mix)
    curve = None if then_db is None else glide(gain_db, then_db, at, 0, len(mix))
    return master.level(toned, curve)


def write_pieces(pieces: Iterator[np.ndarray], paths: list[Path]) -> list[int]:
    """Writes each piece to its own 16-bit WAV; returns the frames written to each.

    The last path takes every remaining piece.
    """
    import soundfile as sf

    counts: list[int] = []
    writer: sf.SoundFile | None = None
    for index, piece in enumerate(pieces):
        slot = min(index, len(paths) - 1)
        if slot == len(counts):
            if writer is not None:
                writer.close()
            counts.append(0)
            writer = sf.SoundFile(
                str(paths[slot]), "w", SAMPLE_RATE, 2, subtype="PCM_16", format="WAV"
            )
        assert writer is not None
        writer.write(np.clip(piece, -1.0, 1.0))
        counts[slot] += len(piece)
    if writer is not None:
        writer.close()
    return counts
