"""The project's own errors. Library failures are turned into these at the boundary."""

from __future__ import annotations

from pathlib import Path


class LofiError(Exception):
    """Base of every error a user may see; its message says what to do."""


class CorpusError(LofiError):
    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[Path, str]]:
        return (type(self), (self.path, self.reason))  # crosses process boundaries intact


class VocabularyError(LofiError):
    pass


class CheckpointError(LofiError):
    pass


class SoundFontError(LofiError):
    pass


class RenderError(LofiError):
    pass


class EffectError(LofiError):
    pass


class RecipeError(LofiError):
    pass


class ConfigError(LofiError):
    pass


class EvaluationError(LofiError):
    pass


class StyleError(LofiError):
    pass
