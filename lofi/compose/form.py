"""The song's form: its sections, and which chord loop and tune each 4-bar block plays.

A plan gives one token per 4-bar block of the main section (see lofi.models.form): a letter
names a chord loop; ``A`` plays a new tune over it, ``A=`` repeats that loop's tune, ``A~``
keeps its first half and answers it anew, ``A+`` plays a new tune over the same chords.
The plan comes from the style's learned form model, or from the named fallback
``rules:form`` (the fixed plan below) when the style has none or the arrangement says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lofi.core.types import Section
from lofi.models.form import FALLBACK_FORM, LETTERS, FormModel

LOOP_BARS = 4
LEARNED_FORM = "learned"


@dataclass(frozen=True)
class FormPlan:
    """What a song plays where: its sections and a form token per main block."""

    sections: tuple[Section, ...]  # intro, main, outro
    blocks: tuple[str, ...]  # one token per main block that starts on a 4-bar boundary
    letters: tuple[str, ...]  # the chord loops to sample, in order
    source: str  # LEARNED_FORM or FALLBACK_FORM


def sections_for(bars: int) -> tuple[Section, ...]:
    """The fixed sections: intro and outro of 4 bars (2 under 24 bars)."""
    edge = 4 if bars >= 24 else 2
    return _sections(bars, edge, edge)


def _sections(bars: int, intro: int, outro: int) -> tuple[Section, ...]:
    return (
        Section("intro", 0, intro),
        Section("main", intro, bars - intro - outro),
        Section("outro", bars - outro, outro),
    )


def main_block_starts(bars: int, main: Section) -> list[int]:
    """The bars (multiples of 4) on which a main block starts."""
    return [bar for bar in range(0, bars, LOOP_BARS) if 0 <= bar - main.start_bar < main.bars]


def rules_form(bars: int) -> FormPlan:
    """The fixed plan (the fallback `rules:form`): loop A, loop B on every fourth block.

    A returning block varies on odd blocks and repeats on even ones.
    """
    sections = sections_for(bars)
    blocks: list[str] = []
    for i in range(len(main_block_starts(bars, sections[1]))):
        letter = "B" if i % 4 == 2 else "A"
        mark = "" if all(b[0] != letter for b in blocks) else "~" if i % 2 == 1 else "="
        blocks.append(letter + mark)
    return FormPlan(sections, tuple(blocks), ("A", "B"), FALLBACK_FORM)


def _place(phrase: list[str], used: list[str]) -> list[str]:
    """A sampled phrase in the song's letters.

    A letter opened afresh gets a new loop; one that returns (its first token marked) takes
    the song's earlier loops in order.
    """
    names: dict[str, str] = {}
    old = iter(list(used))
    out = []
    for token in phrase:
        letter, mark = token[0], token[1:]
        if letter not in names:
            again = next(old, None) if mark else None
            if again is None:
                again = LETTERS[len(used) % len(LETTERS)]
                mark = "" if len(used) < len(LETTERS) else "+"
                if again not in used:
                    used.append(again)
            names[letter] = again
        out.append(names[letter] + mark)
    return out


def learned_form(bars: int, model: FormModel, rng: np.random.Generator) -> FormPlan:
    """Intro, outro and phrases drawn from the form model; the main part keeps 4 bars."""
    intro, outro = model.sample_edge(rng, "intro"), model.sample_edge(rng, "outro")
    while intro + outro > bars - LOOP_BARS and intro + outro > 0:
        if outro >= intro:
            outro -= LOOP_BARS
        else:
            intro -= LOOP_BARS
    sections = _sections(bars, max(intro, 0), max(outro, 0))
    wanted = len(main_block_starts(bars, sections[1]))
    blocks: list[str] = []
    used: list[str] = []
    while len(blocks) < wanted:
        blocks += _place(model.sample_phrase(rng, opening=not blocks), used)
    blocks = blocks[:wanted]
    letters = tuple(dict.fromkeys(b[0] for b in blocks)) or ("A",)
    return FormPlan(sections, tuple(blocks), letters, LEARNED_FORM)


def form_plan(bars: int, model: FormModel | None, seed: int, rules: bool) -> FormPlan:
    """The learned plan when there is a model and the arrangement asks for it, else the rules.

    The form's draws come from their own generator, so the other parts' draws stay put.
    """
    if rules or model is None:
        return rules_form(bars)
    return learned_form(bars, model, np.random.default_rng((seed, 0xF0)))
