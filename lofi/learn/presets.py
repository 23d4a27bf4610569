"""What a style run learns, and with which settings, where its user chose none.

A corpus that is a pack of piano loops (`lofi.data.instruments.is_piano_pack`) learns the
piano (its chords and top line as one stream) and the bass under it, as the shipped default
style did; any other corpus learns every part. A run that learns the piano from scratch
starts from the settings the shipped default style was trained with; a setting the user
gives wins over the preset.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from lofi.core.parts import style_parts

if TYPE_CHECKING:
    from lofi.data.corpus import Corpus

PIANO_PACK_PARTS = ("piano", "bass")


@dataclass(frozen=True)
class TrainingPreset:
    """A run's size and training settings, named as `train`'s options (dashes as underscores)."""

    units: int
    embedding: int
    dropout: float
    token_dropout: float
    seq_len: int
    batch_size: int
    learning_rate: float
    epochs: int
    patience: int

    def settings(self) -> dict[str, int | float]:
        """Option name → value."""
        return asdict(self)


# Loops a style's piano draws for its loop critic to learn from (lofi.learn.critic; about a
# minute on 2 cores).
CRITIC_LOOPS = 2000
# The settings of the shipped default style: the command in checkpoints/lofi/style.json.
PIANO_PRESET = TrainingPreset(192, 48, 0.5, 0.1, 128, 32, 0.002, 60, 6)


def default_parts(corpus: Corpus) -> tuple[tuple[str, ...], str]:
    """The parts a style of `corpus` learns when its user names none, and why."""
    from lofi.data.instruments import is_piano_pack

    if is_piano_pack(corpus):
        return PIANO_PACK_PARTS, "a pack of piano loops"
    return style_parts(()), "not a pack of piano loops"


def preset_for(parts: tuple[str, ...], fine_tuning: bool) -> TrainingPreset | None:
    """The preset a run learning `parts` starts from: the piano's, unless it fine-tunes."""
    return PIANO_PRESET if "piano" in parts and not fine_tuning else None
