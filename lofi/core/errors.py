"""The project's own errors. Library failures are turned into these at the boundary."""

from __future__ import annotations

from pathlib import Path


class LofiError(Exception):
    """Base of every error a user may see; its message says what to do."""


class CorpusError(LofiError):
    """A score file that cannot be read or used; names the file and why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[Path, str]]:
        return (type(self), (self.path, self.reason))  # crosses process boundaries intact


class VocabularyError(LofiError):
    """A vocabulary file that is missing, unreadable or of another kind or version."""


class CheckpointError(LofiError):
    """A checkpoint folder that is incomplete, unreadable or of the wrong kind."""


class SoundFontError(LofiError):
    """A SoundFont that is not one, is damaged, or lacks the asked-for preset."""


class RenderError(LofiError):
    """FluidSynth failed, crashed or timed out while rendering, or the MIDI is unreadable."""


class EffectError(LofiError):
    """An effect bed that is not a usable WAV (format, length, size) or is missing."""


class RecipeError(LofiError):
    """A recipe.json that does not match the schema or names files that are gone."""


class ConfigError(LofiError):
    """A setting out of its allowed range or in an unknown form (key, tempo, spec...)."""


class EvaluationError(LofiError):
    """An evaluation that cannot run, e.g. a corpus too small to hold pieces out."""


class StyleError(LofiError):
    """A style.json that is missing, malformed or names part models that are not there."""
