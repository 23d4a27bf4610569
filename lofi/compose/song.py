"""From models and settings to a Song: the style's parts written in turn, then timed.

Each part (lofi.core.parts, implemented in lofi.compose.parts) writes its notes given the
song so far: the chords part the harmony, the melody its tune over it, the comping and bass
under it, the drums. The timing feel then places the pitched tracks off the grid.
"""

from __future__ import annotations

import numpy as np

from lofi.compose.around_loop import LoopPart, in_blocks, tiled
from lofi.compose.arrangement import ARRANGEMENT, AS_LEARNED, Arrangement
from lofi.compose.chord_loops import LOOP_BEATS, TONICS
from lofi.compose.form import LOOP_BARS, FormPlan, form_plan, main_block_starts
from lofi.compose.parts import SongSoFar, implementation
from lofi.core.constants import BEATS_PER_BAR, POSITIONS_PER_BAR
from lofi.core.parts import all_tracks, is_drum_track, part_spec
from lofi.core.types import GenerationConfig, Note, Part, Song
from lofi.encoding.tokens import key_shift
from lofi.models import SongModels
from lofi.models.timing import PARTS as TIMED_TRACKS

__all__ = ["TONICS", "compose", "untangled"]


def _generators(config: GenerationConfig) -> dict[str, np.random.Generator]:
    """The random generators of the song's parts.

    With part seeds, each part draws from generators of its own seed only, so a new seed for
    one part leaves the others note for note (the melody follows the chords it is sampled
    over, the bass their roots). Without, the song's seed drives every part as before part
    seeds existed: melody humanising, comping, bass and drum rules share one generator.
    """
    if config.part_seeds is None:
        rng = np.random.default_rng(config.seed)
        chords, melody, groove = (np.random.default_rng(s) for s in rng.integers(0, 2**63, 3))
        # The learned parts' generators leave the rules' generator untouched.
        return {
            "chords": chords,
            "melody": melody,
            "humanize": groove,
            "comping": groove,
            "bass": groove,
            "drums": groove,
            "learned_drums": np.random.default_rng((config.seed, 0xD2)),
            "learned_comping": np.random.default_rng((config.seed, 0xC0)),
            "learned_bass": np.random.default_rng((config.seed, 0xBA)),
            "piano": np.random.default_rng((config.seed, 0x9A)),
        }
    seed = config.seed_of
    return {
        "chords": np.random.default_rng((seed("chords"), 1)),
        "comping": np.random.default_rng((seed("chords"), 2)),
        "melody": np.random.default_rng((seed("melody"), 1)),
        "humanize": np.random.default_rng((seed("melody"), 2)),
        "bass": np.random.default_rng((seed("bass"), 1)),
        "drums": np.random.default_rng((seed("drums"), 1)),
        "learned_drums": np.random.default_rng((seed("drums"), 0xD2)),
        "learned_comping": np.random.default_rng((seed("chords"), 0xC0)),
        "learned_bass": np.random.default_rng((seed("bass"), 0xBA)),
        "piano": np.random.default_rng((seed("chords"), 3)),
    }


def compose(
    config: GenerationConfig,
    models: SongModels,
    arrangement: Arrangement = ARRANGEMENT,
    loop: LoopPart | None = None,
) -> Song:
    """Writes a whole song. The same config, models and arrangement always give the same song.

    The form plan (lofi.compose.form) gives the sections and, per 4-bar block of the main
    section, which chord loop plays and whether its tune is new, repeated or varied. A
    user's `loop` is one part note for note through the whole track; the models compose
    the others around it, hearing it (lofi.compose.around_loop).
    """
    plan = form_plan(config.bars, models.form_model, config.seed, arrangement.form == "rules")
    starts = main_block_starts(config.bars, plan.sections[1])
    # The timing feel is one training piece: its swing, balance and each part's density.
    feel, timing_rng = None, np.random.default_rng((config.seed, 0x71))
    timing = models.timing_model
    if arrangement.timing == "style" and timing is not None:
        feel = timing.draw(timing_rng)
    song = SongSoFar(
        config=config,
        arrangement=arrangement,
        plan=plan,
        rngs=_generators(config),
        shift=-key_shift(config.key),
        densities=timing.densities(feel) if timing and feel is not None else {},
        comping_bars=timing.comping_bars(feel) if timing and feel is not None else (),
        blocks=[(plan.blocks[i], float(bar * BEATS_PER_BAR)) for i, bar in enumerate(starts)],
        loop=loop,
        given=_given(loop, plan, starts, config.bars),
        critic=models.critic_model,
    )
    for name in models.held:
        song.notes[name] = implementation(name).sample(song, models.model(name))
    by_track: dict[str, list[Note]] = {}
    for name in models.held:
        played = song.notes[name]
        for track, notes in (
            played if isinstance(played, dict) else {part_spec(name).track: played}
        ).items():
            by_track.setdefault(track, []).extend(notes)
    if timing is not None and feel is not None:
        placed = timing.balanced(
            timing.place(
                tuple(by_track.get(t, []) for t in TIMED_TRACKS),
                timing_rng,
                config.bars * POSITIONS_PER_BAR,
                feel,
            ),
            feel,
        )
        by_track.update(
            (t, n)
            for t, n in zip(TIMED_TRACKS, placed, strict=True)
            if t in by_track and t not in song.untimed
        )
    if loop is not None:  # the user's notes stay where they were played
        given, starts_a = song.given
        if loop.in_a_sections:  # the comping plays the other chord loops
            by_track["chords"] = [
                n
                for n in by_track.get("chords", [])
                if not any(a <= n.onset < a + LOOP_BEATS for a in starts_a)
            ] + given
        else:
            by_track["chords" if loop.is_chords else "melody"] = given
    if arrangement.rhythm == AS_LEARNED:
        by_track = {t: n if is_drum_track(t) else untangled(n) for t, n in by_track.items()}
    parts = tuple(
        Part(t, tuple(by_track[t]), is_drum=is_drum_track(t)) for t in all_tracks() if t in by_track
    )
    song_chords = tuple((t, b, n) for t, b, n in song.harmony)
    return Song(config.key, config.bpm, config.bars, parts, plan.sections, song_chords)


def _given(
    loop: LoopPart | None, plan: FormPlan, starts: list[int], bars: int
) -> tuple[list[Note], list[float]]:
    """The user's loop's notes where they play, and (in the A sections) where its blocks start."""
    if loop is None:
        return [], []
    end = bars * BEATS_PER_BAR
    if not loop.in_a_sections:
        return tiled(loop.loop.notes, loop.loop.beats, end), []
    tokens = dict(zip(starts, plan.blocks, strict=True))
    starts_a = [
        float(bar * BEATS_PER_BAR)
        for bar in range(0, bars, LOOP_BARS)
        if tokens.get(bar, plan.letters[0])[0] == plan.letters[0]
    ]
    notes = in_blocks(loop.loop.notes, loop.loop.beats, starts_a, LOOP_BEATS)
    return [n for n in notes if n.onset < end], starts_a


def untangled(notes: list[Note]) -> list[Note]:
    """The notes with each one ending by the next onset of its pitch in the part.

    MIDI has one key per pitch and channel: a note struck again while it still sounds would
    have its second strike silenced by the first one's note-off.
    """
    order = sorted(range(len(notes)), key=lambda i: (notes[i].onset, notes[i].pitch))
    result = list(notes)
    last: dict[int, int] = {}
    for i in order:
        n = notes[i]
        j = last.get(n.pitch)
        if j is not None and result[j].onset + result[j].duration > n.onset:
            kept = round(max(n.onset - result[j].onset, 0.0), 4)
            prev = result[j]
            result[j] = Note(prev.pitch, prev.onset, kept, prev.velocity)
        last[n.pitch] = i
    return [n for n in result if n.duration > 0]
