"""The JSON schema of recipe.json: every field typed, every number in its range.

A recipe may come from anywhere (a download, a hand edit), so it is read with finite
numbers only, a size cap and a nesting cap, then checked against this schema before any
field is used.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from lofi.core.errors import RecipeError
from lofi.core.parts import CORE_TRACKS, all_tracks, fallback_names, part_names
from lofi.core.settings import LIMITS, MIX, USER_SETTINGS, Setting, Span


def _span(span: Span[float]) -> dict[str, Any]:
    return {"type": "number", "minimum": span.low, "maximum": span.high}


def _setting(setting: Setting) -> dict[str, Any]:
    """A setting's JSON schema: its type and range, from its one declaration."""
    kind = {bool: "boolean", int: "integer", float: "number"}[setting.kind]
    schema: dict[str, Any] = {"type": kind}
    if setting.span is not None:
        low = "exclusiveMinimum" if setting.exclusive_low else "minimum"
        schema.update({low: setting.span.low, "maximum": setting.span.high})
    return schema


def _settings() -> dict[str, Any]:
    """The recipe's fields of the user's settings, nested as their `recipe` paths say.

    The mix (absent: the mono mix, version 1, of the recipes made before it) also names
    its version.
    """
    fields: dict[str, Any] = {
        "mix": {
            "type": "object",
            "required": ["version"],
            "properties": {"version": {"enum": list(MIX.mix_versions)}},
            "additionalProperties": False,
        }
    }
    for setting in USER_SETTINGS:
        *groups, name = setting.recipe.split(".")
        where = fields
        for group in groups:
            block = where.setdefault(
                group, {"type": "object", "properties": {}, "additionalProperties": False}
            )
            where = block["properties"]
        where[name] = _setting(setting)
    return fields


MAX_DEPTH = 8  # the deepest a recipe nests is 3
_DB = LIMITS.effect_db
_SHA = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_PATH = {"type": "string", "minLength": 1, "maxLength": 4096}
_MODEL = {
    "type": "object",
    "required": ["path", "model_sha256"],
    "properties": {"path": _PATH, "model_sha256": _SHA, "weights_sha256": _SHA},
    "additionalProperties": False,
}
_INSTRUMENT = {
    "type": "object",
    "required": ["soundfont", "sha256", "bank", "program"],
    "properties": {
        "soundfont": _PATH,
        "sha256": _SHA,
        "bank": {"type": "integer", "minimum": 0, "maximum": 128},
        "program": {"type": "integer", "minimum": 0, "maximum": 127},
        "gain_db": {
            "type": "number",
            "minimum": LIMITS.gain_db.low,
            "maximum": LIMITS.gain_db.high,
        },
    },
    "additionalProperties": False,
}
_EFFECT = {
    "type": "object",
    "required": ["path", "sha256", "level_db"],
    "properties": {
        "path": _PATH,
        "sha256": _SHA,
        "level_db": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "number",
                    "minimum": LIMITS.effect_db.low,
                    "maximum": LIMITS.effect_db.high,
                },
            ]
        },
    },
    "additionalProperties": False,
}
# 2: the style and the arrangement; 3: part seeds, the feel; 4: the mix
RECIPE_FORMAT_VERSION = 4
READS_RECIPE_FORMATS = (1, 2, 3, 4)  # a format-1 recipe names no style: its track plays the rules
_ARRANGEMENT = {
    "type": "object",
    "required": ["name", "version"],
    "properties": {
        "name": {"type": "string", "maxLength": 64},
        "version": {"type": "integer", "minimum": 0},
    },
    "additionalProperties": {
        "oneOf": [{"type": "number"}, {"type": "boolean"}, {"type": "string", "maxLength": 64}]
    },
}
_FORM = {
    "type": "object",
    "required": ["source"],
    "properties": {"source": {"enum": ["learned", "style:default", "rules:form"]}, "sha256": _SHA},
    "additionalProperties": False,
}
_TIMING = {
    "type": "object",
    "required": ["source"],
    "properties": {"source": {"enum": ["learned", "style:default", "rules:grid"]}, "sha256": _SHA},
    "additionalProperties": False,
}

# The loop critic the piano chose its loops by (lofi.models.critic); absent: none asked.
_CRITIC = {
    "type": "object",
    "required": ["source"],
    "properties": {"source": {"enum": ["critic.npz", "none"]}, "sha256": _SHA},
    "additionalProperties": False,
}

# A user's loop the track is built around (lofi.service.loops); absent: none.
_LOOP: dict[str, Any] = {
    "type": "object",
    "required": ["sha256", "name", "part", "scope"],
    "properties": {
        "sha256": {**_SHA},
        "name": {"type": "string", "maxLength": 256},
        "suffix": {"enum": [".mid", ".midi", ".mxl", ".xml", ".musicxml"]},
        "part": {"enum": ["chords", "melody"]},
        "scope": {"enum": ["whole", "A"]},
        "bars": {"type": "integer", "minimum": 1},
        "fit": {"enum": ["whole", "padded", "cut"]},
        "fit_beats": {"type": "number", "minimum": 0},
        "meter": {"type": "string", "maxLength": 8},
        "key_source": {"enum": ["file", "user"]},
        "tempo_source": {"enum": ["file", "style", "user"]},
    },
    "additionalProperties": False,
}


def _style() -> dict[str, Any]:
    """The recipe's style: its name, each learned part's weights, each other's fallback."""
    kind = {"enum": list(part_names())}
    return {
        "oneOf": [
            {"type": "null"},
            {
                "type": "object",
                "required": ["path", "name", "parts"],
                "properties": {
                    "path": _PATH,
                    "name": {"type": "string", "maxLength": 256},
                    "parts": {
                        "type": "object",
                        "propertyNames": kind,
                        "additionalProperties": _SHA,
                    },
                    "fallbacks": {
                        "type": "object",
                        "propertyNames": kind,
                        "additionalProperties": {"enum": list(fallback_names())},
                    },
                    "weights": {  # each part's weights.npz (absent in older recipes)
                        "type": "object",
                        "propertyNames": kind,
                        "additionalProperties": _SHA,
                    },
                },
                "additionalProperties": False,
            },
        ]
    }


def recipe_schema() -> dict[str, Any]:
    """The schema, with the parts and tracks of lofi.core.parts as they are registered."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["format_version", "seed", "key", "bpm", "bars", "sampling", "models"],
        "properties": {
            "format_version": {"enum": list(READS_RECIPE_FORMATS)},
            "style": _style(),
            "arrangement": _ARRANGEMENT,
            "form": _FORM,
            "timing": _TIMING,
            "critic": _CRITIC,
            "lofi_version": {"type": "string", "maxLength": 64},
            **_settings(),
            "part_seeds": {
                "type": "object",
                "required": list(CORE_TRACKS),
                "propertyNames": {"enum": list(all_tracks())},
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
            },
            "key": {"type": "string", "maxLength": 16},
            "models": {
                "type": "object",
                "required": ["melody", "chords"],
                "properties": {"melody": _MODEL, "chords": _MODEL},
                "additionalProperties": False,
            },
            "instruments": {
                "type": "object",
                "propertyNames": {"enum": list(all_tracks())},
                "additionalProperties": _INSTRUMENT,
            },
            "effects": {
                "type": "object",
                "maxProperties": 16,
                "propertyNames": {"pattern": "^[A-Za-z0-9_.-]{1,64}$"},
                "additionalProperties": _EFFECT,
            },
            "loop": _LOOP,
            "muted": {  # parts the mixer left out (absent: every part plays)
                "type": "array",
                "items": {"enum": list(all_tracks())},
                "uniqueItems": True,
            },
        },
        "additionalProperties": False,
    }


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise RecipeError(f"the recipe holds a number too large to use ({text[:20]})")
    return value


def _no_constant(name: str) -> float:
    raise RecipeError(f"the recipe holds {name}; only finite numbers are allowed")


def parse_recipe(text: str | bytes) -> Any:
    """The JSON of a recipe, with finite numbers only and bounded size and nesting.

    Raises:
        RecipeError: too large, too deep, not JSON, or holding NaN/Infinity/1e400.
    """
    if len(text) > LIMITS.recipe_bytes:
        raise RecipeError(f"the recipe is larger than {LIMITS.recipe_bytes >> 10} KB")
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    try:
        data = json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:  # the parser stops itself some thousand levels down
        raise RecipeError(
            "the recipe nests thousands of levels deep; a recipe nests at most 3"
        ) from None
    except ValueError as exc:
        raise RecipeError(f"the recipe is not valid JSON ({exc})") from None
    deepest = _depth(data)
    if deepest > MAX_DEPTH:
        raise RecipeError(f"the recipe nests {deepest} levels deep; a recipe nests at most 3")
    return data


def _depth(data: Any) -> int:
    """How many lists and objects the JSON value nests (walked without recursion)."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        value, level = todo.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            children = value.values() if isinstance(value, dict) else value
            todo.extend((child, level + 1) for child in children)
    return deepest


def check_recipe(data: Any) -> None:
    """Raises RecipeError naming the first field out of its range or of the wrong type."""
    import jsonschema

    if isinstance(data, dict) and data.get("format_version") not in READS_RECIPE_FORMATS:
        raise RecipeError(
            f"recipe format {str(data.get('format_version'))[:20]} is not one of "
            f"{READS_RECIPE_FORMATS}, the formats this version of LoFi Studio reads"
        )
    validator = jsonschema.Draft202012Validator(recipe_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        field = f" field {where}" if where else ""
        raise RecipeError(f"recipe{field}: {error.message[:200]}")


def read_recipe_file(path: Path) -> bytes:
    """At most the recipe limit + 1 bytes of a regular file; parse_recipe refuses more.

    A device or a pipe is refused unread (its size says nothing of what it would give).
    """
    limit = LIMITS.recipe_bytes
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe's open must not wait
    except OSError as exc:
        raise RecipeError(f"cannot read recipe {path.name}: {exc.strerror}") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RecipeError(f"cannot read recipe {path.name}: it is not a regular file")
    with os.fdopen(fd, "rb") as f:
        try:
            return f.read(limit + 1)
        except OSError as exc:
            raise RecipeError(f"cannot read recipe {path.name}: {exc.strerror}") from exc
