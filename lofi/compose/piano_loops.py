"""A song's piano as loops: drawn once per form letter, repeated or varied, the critic's pick.

A letter's first block draws a new 4-bar loop from the piano sampler (lofi.compose.pianist);
a repeat marked `=` plays it note for note; any other mark keeps its first half and draws a
new second half. With the style's loop critic (lofi.models.critic) each new loop or second
half is the one, of several the sampler draws, that the critic takes most for a piece, and
a new loop plays a 2-bar idea twice as often as the pack's loops do.
"""

from __future__ import annotations

from lofi.compose.pianist import IntervalPianoSampler, PianoSampler
from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import Note
from lofi.encoding.piano import BAR
from lofi.models.critic import LoopCritic


def split_bars(tokens: list[str]) -> list[list[str]]:
    """A loop's tokens cut after each closing `bar`."""
    bars: list[list[str]] = [[]]
    for token in tokens:
        bars[-1].append(token)
        if token == BAR:
            bars.append([])
    return [b for b in bars if b]


def loop_notes(loop: list[Note], start: float, stop: float) -> list[Note]:
    """A loop's notes (normalised key, from beat 0) moved to beat `start`, each cut at `stop`."""
    notes = []
    for n in loop:
        onset = round(n.onset + start, 6)
        if onset < stop - 1e-6:
            notes.append(Note(n.pitch, onset, min(n.duration, stop - onset), n.velocity))
    return notes


def piano_blocks(
    sampler: PianoSampler,
    blocks: list[tuple[str, float, float]],
    loop_bars: int,
    critic: LoopCritic | None = None,
    choices: int = 1,
) -> list[Note]:
    """The piano of every block (form token, first beat, last beat), in the normalised key.

    A letter's first block draws a new loop (versions 2 and 3 from a fresh stream, version 1
    continuing from what the piano played before); `=` repeats the letter's loop note for
    note; any other mark on a letter heard before keeps the loop's first half and draws a new
    second half after it. With a style's `critic` (versions 2 and 3), each new loop or second
    half is the one of `choices` drawn that the critic takes most for a piece.
    """
    loops: dict[str, list[str]] = {}
    notes: list[Note] = []
    half = loop_bars // 2
    for token, start, stop in blocks:
        letter, mark = token[0], token[1:]
        if isinstance(sampler, IntervalPianoSampler):
            sampler.origin = start
        if mark != "=" or letter not in loops:
            sampler.restart()
        if letter not in loops:
            played = _new_loop(sampler, loop_bars, critic, choices)
            loops[letter] = played
        elif mark == "=":
            played = loops[letter]
            sampler.feed(played)
        else:
            kept = [t for b in split_bars(loops[letter])[:half] for t in b]
            sampler.feed(kept)
            played = _chosen(sampler, kept, loop_bars, critic, choices)
        notes += loop_notes(sampler.decode(played), start, stop)
    return notes


def _new_loop(
    sampler: PianoSampler, loop_bars: int, critic: LoopCritic | None, choices: int
) -> list[str]:
    """A letter's new loop: at the critic's learned share, its first half played twice.

    Without a critic, or with one fitted before it learned the share, the draws are as before.
    """
    share = critic.repeated_halves if critic is not None and choices > 1 else 0.0
    if share > 0 and loop_bars % 2 == 0 and sampler.rng.random() < share:
        half = _chosen(sampler, [], loop_bars // 2, critic, choices)
        sampler.feed(half)  # the stream plays on as if it had drawn the repeat
        return half + half
    return _chosen(sampler, [], loop_bars, critic, choices)


def _chosen(
    sampler: PianoSampler,
    kept: list[str],
    loop_bars: int,
    critic: LoopCritic | None,
    choices: int,
) -> list[str]:
    """A loop after the `kept` tokens already fed: of `choices` drawn, the critic's pick.

    The sampler ends as if it had drawn the chosen loop alone.
    """
    count = loop_bars - count_bars(kept)
    if critic is None or choices <= 1 or not isinstance(sampler, IntervalPianoSampler):
        return kept + sampler.bars(count)
    start = sampler.snapshot()  # after `kept`: each loop is drawn on from here
    drawn, ends = [], []
    for _ in range(choices):
        sampler.restore(start)
        drawn.append(kept + sampler.bars(count))
        ends.append(sampler.snapshot())
    best = critic.best([sampler.decode(d) for d in drawn], loop_bars)
    sampler.restore(ends[best])
    return drawn[best]


def count_bars(tokens: list[str]) -> int:
    """How many bars the tokens close."""
    return sum(t == BAR for t in tokens)


def block_spans(bars: int, loop_bars: int) -> list[tuple[float, float]]:
    """The (first beat, end beat) of each loop-long block of a song of `bars` bars."""
    beats = loop_bars * BEATS_PER_BAR
    end = bars * BEATS_PER_BAR
    return [(float(b), float(min(b + beats, end))) for b in range(0, end, beats)]
