"""The stereo mix: each part's place in the field, its room send, and ducking under the kick.

A mix version is a named, fixed recipe for these choices: version 1 is the mono mix every
track had before (each stem as FluidSynth made it, both channels the same); version 2 places
the parts: chords wide, the melody a little off-centre, bass and the kit's kick and snare in
the middle (the kit's own pans put the hats a little off-centre), every stem free of DC, a
shared plate reverb fed by each part's send, and keys and beds ducking under the kick.
Version 3 rebalances version 2 so the kick and bass never swamp the keys, whatever the notes:
bass and kit lower under louder keys, the hats lifted by a gentle high shelf, the snare and
hats further into the plate (and the master's low shelf, tape.py, reaches a little higher).

The plate is shared: reverb is linear, so each part's stem carries its own share of the
plate's return (the same sum as one plate fed by every send), and the stems a user
downloads or the Studio plays sound as the mix does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lofi.core.constants import SAMPLE_RATE
from lofi.core.settings import MIX

if TYPE_CHECKING:
    from lofi.audio.soundfonts import Instrument

KICKS = (35, 36)  # General MIDI's kick drums: the notes the keys and beds duck under


@dataclass(frozen=True)
class Mix:
    """The user's mix: its version and the named settings version 2 added (3 keeps them).

    Version 1 ignores every other field (the mono mix of older recipes).
    """

    version: int = MIX.mix_version
    width: float = MIX.width  # times each part's spread: 0 is mono, 1 the default
    reverb_db: float = MIX.reverb_db  # the plate's return level (MIX.reverb_off_db is off)
    ducking: bool = MIX.ducking  # keys and beds dip under the kick
    saturation_db: float = MIX.saturation_db  # the master's tape drive; 0 is clean
    dusty: bool = MIX.dusty  # the master's bit and sample-rate reduction

    @property
    def stereo(self) -> bool:
        """Whether this mix places the parts (version 2 on)."""
        return self.version >= 2


MONO_MIX = Mix(version=1)  # what recipes made before the stereo mix name (by naming none)


@dataclass(frozen=True)
class Place:
    """One part's place in mix version 2."""

    pan: float = 0.0  # -1 left … 1 right (constant power)
    spread: float = 0.0  # side level of the decorrelated copy: 0 mono, 1 as loud as the mid
    send_db: float = -math.inf  # into the plate, relative to the return level
    highpass_hz: float = 20.0  # the part's low cut (20 Hz: only DC and rumble go)
    level_db: float = 0.0  # the part's level in the mix
    ducks: bool = False  # dips under the kick
    air_db: float = 0.0  # a gentle high shelf at AIR_SHELF_HZ (mix 3: the hats' presence)


PLACES_V2: dict[str, Place] = {
    "chords": Place(spread=0.75, send_db=-6.0, highpass_hz=160.0, level_db=-2.0, ducks=True),
    "melody": Place(pan=0.25, spread=0.3, send_db=-8.0, highpass_hz=200.0, ducks=True),
    "bass": Place(highpass_hz=35.0, level_db=-3.0),
    "drums": Place(send_db=-20.0, highpass_hz=30.0, level_db=3.0),
}
# Mix 3, from bench_sound over the default and twenty radio tracks: in version 2 the drum
# stem (its kick) carried half to four fifths of a track's energy and the bass more, so a
# track with sparse keys measured dark (a 480 Hz centroid), near-mono (0.91) and with dull
# hats. The bass 2 dB and the kit 1.5 dB lower, the keys 1 dB up and a little less wide,
# the snare and hats more into the plate, and a gentle shelf lifting the hats keep every
# track near the middle of each target.
PLACES_V3: dict[str, Place] = {
    "chords": Place(spread=0.55, send_db=-6.0, highpass_hz=160.0, level_db=-1.0, ducks=True),
    "melody": Place(pan=0.25, spread=0.3, send_db=-8.0, highpass_hz=200.0, ducks=True),
    "bass": Place(highpass_hz=40.0, level_db=-5.0),
    "drums": Place(send_db=-12.0, highpass_hz=30.0, level_db=1.5, air_db=2.0),
}
PLACES = {2: PLACES_V2, 3: PLACES_V3}  # each stereo mix version's places, kept as shipped
AIR_SHELF_HZ, AIR_SHELF_Q = 6000.0, 0.5
DUCK_DB = 4.0  # how far the keys and beds dip under a full-velocity kick
DUCK_ATTACK_S, DUCK_RELEASE_S = 0.005, 0.18
DUCK_STEP = 64  # the envelope is worked out every 64 frames and interpolated between
SIDE_DELAY_S = 0.011  # the decorrelated copy: a short delay, high-passed so the lows stay mono
SIDE_HIGHPASS_HZ = 300.0


def kick_frames(midi: bytes) -> np.ndarray:
    """(frame, velocity) of every kick in the song's drum track."""
    from lofi.audio.midi_events import read_midi_events
    from lofi.audio.render_worker import NOTE_ON

    rows = read_midi_events(midi).tracks.get("drums")
    if rows is None or not len(rows):
        return np.zeros((0, 2), dtype=np.int64)
    hits = rows[(rows[:, 1] == NOTE_ON) & np.isin(rows[:, 3], KICKS) & (rows[:, 4] > 0)]
    out: np.ndarray = hits[:, [0, 4]]
    return out


# Hand-written: pedalboard has no sidechain input; the kicks are known from the MIDI, so the
# gain curve is drawn from them (identical for any piece of the song, as streaming needs).
def duck_gain(kicks: np.ndarray, start: int, stop: int, depth_db: float = DUCK_DB) -> np.ndarray:
    """The ducking gain (≤ 1) of frames [start, stop): a dip at every kick, scaled by velocity."""
    n = stop - start
    if n <= 0:
        return np.ones(0, dtype=np.float32)
    coarse_start = start // DUCK_STEP
    coarse = np.zeros((stop - 1) // DUCK_STEP - coarse_start + 2)
    reach = int((DUCK_ATTACK_S + 6 * DUCK_RELEASE_S) * SAMPLE_RATE) // DUCK_STEP + 1
    t = np.arange(reach + 1) * (DUCK_STEP / SAMPLE_RATE)
    attack = np.clip(t / DUCK_ATTACK_S, 0.0, 1.0)
    shape = attack * np.exp(-np.maximum(t - DUCK_ATTACK_S, 0.0) / DUCK_RELEASE_S)
    for frame, velocity in kicks:
        at = int(frame) // DUCK_STEP - coarse_start
        lo, hi = max(at, 0), min(at + reach + 1, len(coarse))
        if hi > lo:
            np.maximum(
                coarse[lo:hi], shape[lo - at : hi - at] * (velocity / 127.0), out=coarse[lo:hi]
            )
    coarse_db = -depth_db * coarse
    frames = np.arange(start, stop) / DUCK_STEP - coarse_start
    gain = 10 ** (np.interp(frames, np.arange(len(coarse)), coarse_db) / 20)
    return gain.astype(np.float32)


def _pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power gains for a pan position, 1 and 1 in the centre (no panner in pedalboard)."""
    angle = (pan + 1.0) * math.pi / 4
    return math.cos(angle) * math.sqrt(2), math.sin(angle) * math.sqrt(2)


def place_stem(stem: np.ndarray, place: Place, mix: Mix, duck: np.ndarray | None) -> np.ndarray:
    """One part placed: low cut, level, width, pan, ducking, then its share of the plate."""
    from pedalboard import Chain, Delay, HighpassFilter, HighShelfFilter, Reverb

    x = np.ascontiguousarray(stem.T, dtype=np.float32)
    x = HighpassFilter(cutoff_frequency_hz=place.highpass_hz)(x, SAMPLE_RATE)
    if place.air_db:
        air = HighShelfFilter(cutoff_frequency_hz=AIR_SHELF_HZ, gain_db=place.air_db, q=AIR_SHELF_Q)
        x = air(x, SAMPLE_RATE)
    x *= np.float32(10 ** (place.level_db / 20))
    spread = place.spread * mix.width
    if spread > 0:
        mid = x.mean(axis=0)
        side_chain = Chain([
            HighpassFilter(cutoff_frequency_hz=SIDE_HIGHPASS_HZ),
            Delay(delay_seconds=SIDE_DELAY_S, feedback=0.0, mix=1.0),
        ])  # fmt: skip
        side = side_chain(mid[None, :], SAMPLE_RATE)[0] * np.float32(spread)
        x[0] += side  # the SoundFont's own image, widened; the side cancels in mono
        x[1] -= side
    left, right = _pan_gains(place.pan)
    x[0] *= np.float32(left)
    x[1] *= np.float32(right)
    if duck is not None and place.ducks:
        x *= duck[None, : x.shape[1]]
    if math.isfinite(place.send_db) and mix.reverb_db > MIX.reverb_off_db:
        send = x * np.float32(10 ** ((place.send_db + mix.reverb_db) / 20))
        plate = Chain([
            HighpassFilter(cutoff_frequency_hz=250.0),
            Reverb(room_size=0.62, damping=0.35, wet_level=1.0, dry_level=0.0, width=1.0),
        ])  # fmt: skip
        x += plate(send, SAMPLE_RATE)
    return np.ascontiguousarray(x.T, dtype=np.float32)


def place_stems(stems: dict[str, np.ndarray], mix: Mix, midi: bytes) -> dict[str, np.ndarray]:
    """Every stem placed by the mix (version 1: the stems as they are).

    A stem that starts at the song's first frame and is cut short (the first bars) is the
    start of the same stem placed whole: every stage is causal.
    """
    if not mix.stereo or not stems:
        return stems
    duck = None
    if mix.ducking:
        frames = max(len(s) for s in stems.values())
        duck = duck_gain(kick_frames(midi), 0, frames)
    places = PLACES[mix.version]
    return {
        part: place_stem(audio, places.get(part, Place()), mix, duck)
        for part, audio in stems.items()
    }


def render_placed(
    midi: bytes, instruments: dict[str, Instrument], mix: Mix, frames: int | None = None
) -> dict[str, np.ndarray]:
    """`render_stems`, then every stem placed by the mix."""
    from lofi.audio.render import render_stems

    return place_stems(render_stems(midi, instruments, frames=frames), mix, midi)
