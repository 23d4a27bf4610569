"""The rules that remain around the learned parts, in one named, versioned object.

Everything here is a choice the corpus does not teach (yet): how loud the drums play in each
section, how the melody is humanised, whether the chords open and close on the tonic. A
recipe names the arrangement it was made with; every arrangement that ever shipped stays
here (`ARRANGEMENTS`), so an old recipe makes its track again and an unknown one is refused
rather than silently making a different track.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from lofi.core.errors import RecipeError
from lofi.core.types import Section

AS_LEARNED = "as-learned"


@dataclass(frozen=True)
class Arrangement:
    """Section-level and performance rules, with their parameters named.

    The melody plays the main section's blocks; the intro and outro (their lengths from the
    form) are the chords, the bass and the drums.

    Attributes:
        bass_entry: share of the intro that passes before the bass comes in.
        intro_lead_in: drum energy in the intro's last bar (earlier intro bars: hats only).
        outro_energy: drum energy in the outro; its last bar has no drums.
        cymbal_floor: share of a cymbal's velocity kept at energy 0.
        sixteenth_weight: factor on the melody model's probability of a sixteenth-note
            length (1: as learned).
        melody_low, melody_high: sounding pitches the melody may use (0–127: as learned).
        melody_velocity_scale: factor on the melody's learned velocities (1: as learned).
        velocity_jitter: standard deviation of the melody's velocity humanisation (0: the
            learned loudness as drawn).
        timing_jitter: standard deviation of the melody's onset humanisation, in beats.
        legato: share of a melody note's written length that sounds (1: the learned length).
        open_on_tonic: the first chord loop starts on a tonic chord and the second avoids
            one (False: the chord model's own choice).
        close_on_tonic: the last chord is the tonic, ringing to the end.
        rhythm: "as-learned" draws whether each part plays at a step, its lengths, loudness
            and octave (and every head of a learned drum part) at the models' own odds, and
            lets the temperature, top-k and top-p shape only which pitch, chord or voicing;
            "shaped" (arrangements 1 and 2) lets them shape every head, which favours the
            likeliest length and silence. With "as-learned" a pitched note also ends where
            the next onset of its pitch in its part begins (`compose.song.untangled`).
        timing: "style" places the pitched parts' onsets by the style's learned timing
            model (lofi.models.timing) or its named fallback; "jitter" (1 and 2) only
            moves the melody by `timing_jitter`.
        form: "rules" plays the fixed plan of `lofi.compose.form.rules_form` (intro and
            outro of 4 bars, 2 under 24 bars; B every fourth block); "style" samples the
            style's learned form model (or its named fallback).
        loop_choices: loops a learned piano draws for each new loop (and each new second
            half), of which it plays the one its style's loop critic (lofi.models.critic)
            takes most for a piece of the corpus; 1, or a style without a critic, plays the
            first drawn (versions 1–4); 32 in version 5.
    """

    name: str = "lofi-sections"
    version: int = 6
    bass_entry: float = 0.5
    intro_lead_in: float = 0.5
    outro_energy: float = 0.6
    cymbal_floor: float = 0.6
    sixteenth_weight: float = 1.0
    melody_low: int = 0
    melody_high: int = 127
    melody_velocity_scale: float = 1.0
    velocity_jitter: float = 0.0
    timing_jitter: float = 0.0
    legato: float = 1.0
    open_on_tonic: bool = False
    close_on_tonic: bool = True
    form: str = "style"
    rhythm: str = AS_LEARNED
    timing: str = "style"
    loop_choices: int = 64

    def drum_energy(self, bar: int, sections: tuple[Section, ...]) -> float | None:
        """How hard the drums play in `bar` (0–1): 0 leaves only soft cymbals; None: silent."""
        intro, _main, outro = sections
        if bar < intro.bars:
            return 0.0 if bar < intro.bars - 1 else self.intro_lead_in
        if bar >= outro.start_bar + outro.bars - 1:
            return None
        if bar >= outro.start_bar:
            return self.outro_energy
        return 1.0

    def to_json(self) -> dict[str, Any]:
        """The fields as a dict, as recipe.json records the arrangement."""
        return asdict(self)


ARRANGEMENT = Arrangement()
# The rules before the melody's register, density and velocity and the form were learned:
# sixteenths a third as likely, a fixed melody range, softer melody, tonic first chord.
ARRANGEMENT_V1 = Arrangement(
    version=1,
    sixteenth_weight=0.35,
    melody_low=57,
    melody_high=86,
    melody_velocity_scale=0.85,
    velocity_jitter=5.0,
    legato=0.95,
    open_on_tonic=True,
    form="rules",
    timing_jitter=0.01,
    rhythm="shaped",
    timing="jitter",
    loop_choices=1,
)
# Before rhythm and timing were learned: every head shaped by the temperature, the melody
# jittered around the grid, the other parts on it.
ARRANGEMENT_V2 = Arrangement(
    version=2,
    velocity_jitter=5.0,
    timing_jitter=0.01,
    legato=0.95,
    rhythm="shaped",
    timing="jitter",
    loop_choices=1,
)
# Before the melody's loudness and lengths sounded as learned: its velocities humanised by a
# random 5 and each note cut to 95 % of its written length.
ARRANGEMENT_V3 = Arrangement(version=3, velocity_jitter=5.0, legato=0.95, loop_choices=1)
# Before the loop critic: the piano played the first loop it drew.
ARRANGEMENT_V4 = Arrangement(version=4, loop_choices=1)
# Before the critic heard register motion: the piano chose among half as many loops.
ARRANGEMENT_V5 = Arrangement(version=5, loop_choices=32)
ARRANGEMENTS = {
    (a.name, a.version): a
    for a in (
        ARRANGEMENT_V1,
        ARRANGEMENT_V2,
        ARRANGEMENT_V3,
        ARRANGEMENT_V4,
        ARRANGEMENT_V5,
        ARRANGEMENT,
    )
}
_V1_FIELDS = ("name", "version", "intro_lead_in", "outro_energy", "cymbal_floor")
# Fields added after a version shipped, by the first version whose recipes write them; an
# older recipe leaves them out and gets its version's value (every version's bass_entry is 0.5).
_ADDED = {"rhythm": 3, "timing": 3, "bass_entry": 4, "loop_choices": 5}


def arrangement_from_json(data: Any) -> Arrangement:
    """The shipped arrangement a recipe names, if its every field matches.

    A version-1 recipe wrote only its drum fields, a version-2 one all but `rhythm`,
    `timing`, `bass_entry` and `loop_choices`, a version-3 one all but the last two, a
    version-4 one all but `loop_choices`; the rest are that version's rules.

    Raises:
        RecipeError: for an arrangement this version of LoFi Studio does not make.
    """
    known = None
    if isinstance(data, dict):
        known = ARRANGEMENTS.get((data.get("name"), data.get("version")))  # type: ignore[arg-type]
    if known is not None:
        full = known.to_json()
        written = {k: v for k, v in full.items() if k in data}
        required = _V1_FIELDS if known.version == 1 else tuple(f.name for f in fields(known))
        required = tuple(k for k in required if _ADDED.get(k, 0) <= known.version)
        if data == written and all(k in data for k in required):
            return known
    raise RecipeError(
        f"the recipe was arranged by {data}, this version arranges by "
        f"{ARRANGEMENT.to_json()} (or an earlier shipped version); it would make a different track"
    )
