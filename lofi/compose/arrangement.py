"""The rules that remain around the learned parts, in one named, versioned object.

Everything here is a choice the corpus does not teach (yet): how loud the drums play in each
section. A recipe names the arrangement it was made with, so a later change is refused
rather than silently making a different track.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lofi.core.types import Section


@dataclass(frozen=True)
class Arrangement:
    """Section-level rules, with their parameters named.

    Attributes:
        intro_lead_in: drum energy in the intro's last bar (earlier intro bars: hats only).
        outro_energy: drum energy in the outro; its last bar has no drums.
        cymbal_floor: share of a cymbal's velocity kept at energy 0.
    """

    name: str = "lofi-sections"
    version: int = 1
    intro_lead_in: float = 0.5
    outro_energy: float = 0.6
    cymbal_floor: float = 0.6

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
