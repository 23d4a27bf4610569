"""A recipe's models and style: named portably, found again by their weights' hashes.

A recipe names a model's or style's folder under its root's name (``checkpoints/…``,
``styles/…``) and records the hashes of what was sampled, so the same recipe finds the same
weights on any machine, or says it cannot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lofi.core.errors import CheckpointError, RecipeError, StyleError
from lofi.core.parts import later_parts, part_names, rules_fallbacks
from lofi.core.paths import checkpoints_dir, portable_path, resolve_portable, styles_dir
from lofi.models.checkpoint import META_FILE, WEIGHTS_FILE, file_sha256, read_checkpoint
from lofi.models.critic import CRITIC_FILE, critic_sha256
from lofi.models.style import STYLE_FILE, Style, read_style

# A model's or style's folder in a recipe: under its own root's name wherever that root lives
# (LOFI_CHECKPOINTS_DIR, LOFI_STYLES_DIR), so no recipe names a folder of this machine.
_MODEL_ROOTS = {"checkpoints": checkpoints_dir, "styles": styles_dir}


def portable_model(path: Path) -> str:
    """A model's or style's folder as a recipe names it: under its root's name, else portable."""
    resolved = Path(path).expanduser().resolve()
    for name, root in _MODEL_ROOTS.items():
        try:
            return (Path(name) / resolved.relative_to(root().resolve())).as_posix()
        except ValueError:
            continue
    return portable_path(path)


def resolve_model(text: str) -> Path:
    """The folder a recipe's model or style path names on this machine."""
    first, _, rest = text.partition("/")
    if first in _MODEL_ROOTS and not Path(text).is_absolute():
        return _MODEL_ROOTS[first]() / rest
    return resolve_portable(text)


def sampled_sha256(folder: Path, kind: str) -> str:
    """The hash of the weights the sampler reads from a checkpoint (its weights.npz)."""
    return file_sha256(read_checkpoint(folder, kind).path / WEIGHTS_FILE)


def find_model(entry: dict[str, Any], kind: str) -> Path:
    """The checkpoint folder holding the recipe's model, by its hashes.

    Raises:
        RecipeError: if no checkpoint here has those weights.
    """
    folder = resolve_model(entry["path"])
    sha = entry["model_sha256"]
    candidates = [folder, *sorted(p.parent for p in checkpoints_dir().glob(f"**/{META_FILE}"))]
    for candidate in candidates:
        try:
            same = read_checkpoint(candidate, kind).meta.get("model_sha256") == sha
            sampled = entry.get("weights_sha256")  # absent in older recipes
            if same and sampled in (None, sampled_sha256(candidate, kind)):
                return candidate
        except CheckpointError:
            continue
    raise RecipeError(f"the recipe's {kind} model {entry['path']} ({sha[:12]}…) is not here")


def find_style(
    entry: dict[str, Any], critic: dict[str, str] | None = None
) -> tuple[Path, tuple[str, ...]]:
    """The recipe's style folder, checked part by part against the recipe's weight hashes.

    Also the parts the recipe plays by the rules although the style now has a model for
    them (it names their rules, or it was made before the style could learn them). When the
    folder the recipe names now holds other weights, or another loop critic than the
    recipe's `critic` (a newer release of a shipped style), the shipped style folder that
    holds the recipe's weights and critic plays it.
    """
    folder = resolve_model(str(entry["path"]))
    try:
        loaded = read_style(folder)
    except StyleError as exc:
        raise RecipeError(f"the recipe's style {entry['path']} is not usable here: {exc}") from exc
    rules = _style_rules(loaded, entry)
    if rules is not None and _same_critic(folder, critic):
        return folder, rules
    found = None if rules is None else (folder, rules)  # its critic differs: said later
    for other in sorted(p.parent for p in checkpoints_dir().glob(f"**/{STYLE_FILE}")):
        try:
            rules = _style_rules(read_style(other), entry)
        except (StyleError, CheckpointError):
            continue
        if rules is not None and _same_critic(other, critic):
            return other, rules
    if found is not None:
        return found
    raise RecipeError(
        f"the style in {entry['path']} has other weights than the recipe's; "
        "it would make a different track"
    )


def _same_critic(folder: Path, critic: dict[str, str] | None) -> bool:
    """Whether the style in `folder` holds the recipe's loop critic (None: any will do)."""
    if critic is None:
        return True
    path = folder / CRITIC_FILE
    if critic.get("source") == "none":
        return not path.is_file()
    return path.is_file() and critic_sha256(path) == critic.get("sha256")


def _style_rules(loaded: Style, entry: dict[str, Any]) -> tuple[str, ...] | None:
    """The parts the recipe plays by the rules, or None when the style has other weights."""
    weights = loaded.model_sha256()
    parts, fallbacks = entry["parts"], entry.get("fallbacks", {})
    rules: list[str] = []
    named_rules = rules_fallbacks()
    for kind in part_names():
        if kind in parts:
            same = weights.get(kind) == parts[kind]
            sampled = entry.get("weights", {}).get(kind)  # absent in older recipes
            if same and sampled is not None:
                same = sampled_sha256(loaded.models[kind], kind) == sampled
        else:
            named = fallbacks.get(kind, named_rules[kind] if kind in later_parts() else None)
            # The rules need no files: they play the same notes whatever the style learned.
            is_rules = kind in named_rules and named == named_rules[kind]
            same = is_rules or loaded.fallbacks.get(kind) == named
            if is_rules and loaded.fallbacks.get(kind) != named:
                rules.append(kind)
        if not same:
            return None
    return tuple(rules)
