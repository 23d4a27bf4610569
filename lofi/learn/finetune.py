"""Fine-tuning: a style's part models start from another style's weights.

Vocabularies stay compatible by construction: the new corpus is always encoded with this
version's vocabulary of each part (its encoders fold every pitch, length and chord into it,
so no token of a new corpus is unknown), and the model is built for that vocabulary. Its
weights are then copied from the base model *by token name*: an embedding row, an output
column and its bias, and the first LSTM's input rows of every input the base knew start from
the base; a token the base never had (a vocabulary grown since the base was trained) keeps
its fresh initialisation, and a token this version dropped is dropped. Layers of another
shape (a base of another size is not possible: the size is the base's) start fresh and are
counted in meta.json's `warm_start`.

Every layer then learns (none is frozen) on the new corpus' training part, at
`TRAINING.finetune_learning_rate` and with at least `TRAINING.finetune_dropout`; early
stopping on its validation pieces keeps the best epoch's weights (lofi.learn.train).
`python -m lofi.tools.bench --case style` measures the recipe against the base and a style
trained from scratch on the same files.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lofi.core.errors import CheckpointError, ConfigError, StyleError
from lofi.core.paths import portable_path
from lofi.core.settings import TRAINING
from lofi.encoding.vocab import Vocabulary
from lofi.learn.models import (
    ModelSize,
    chord_bias_name,
    chord_scale_name,
    dense_name,
    embedding_width,
)
from lofi.models.checkpoint import (
    CHECKPOINT_FILES,
    META_FILE,
    VOCAB_FILE,
    WEIGHTS_FILE,
    complete_folder,
    read_checkpoint,
)
from lofi.models.network import POSITION, chord_biased, position_scaled

if TYPE_CHECKING:
    import keras

    from lofi.data.corpus import Corpus
    from lofi.learn.train import TrainConfig


# A fine-tuned part keeps its base's size and learns with the base's dropout or more
# (`BaseStyle.finetune`): these options would be silently ignored, so they are refused.
FIXED_BY_BASE = ("units", "layers", "embedding", "dropout", "token_dropout")


def check_fine_tuning_options(given: Mapping[str, object]) -> None:
    """Refuses the size and dropout options given to a run that fine-tunes a style.

    `given` maps option names (underscores) to their values; None is an option left out.

    Raises:
        ConfigError: naming every such option given.
    """
    named = [f"--{k.replace('_', '-')}" for k in FIXED_BY_BASE if given.get(k) is not None]
    if named:
        them = "it" if len(named) == 1 else "them"
        raise ConfigError(
            f"{', '.join(named)}: a fine-tuned style keeps its base's size and learns with "
            f"its base's dropout or {TRAINING.finetune_dropout:g}, whichever is more; leave "
            f"{them} out to fine-tune, or train from scratch"
        )


@dataclass(frozen=True)
class BasePart:
    """One part model of the base style, read without requiring this version's vocabulary."""

    kind: str
    path: Path
    tokens: dict[str, tuple[str, ...]]  # input field → token names, as the base saved them
    arrays: dict[str, np.ndarray]  # weights.npz: the sampler's arrays by stable names
    meta: dict[str, Any]

    @classmethod
    def read(cls, folder: Path, kind: str) -> BasePart:
        """Raises CheckpointError if the folder is not a whole checkpoint of `kind`."""
        folder = complete_folder(folder)
        try:
            meta = json.loads((folder / META_FILE).read_text())
            vocab = json.loads((folder / VOCAB_FILE).read_text())
            with np.load(folder / WEIGHTS_FILE) as npz:
                arrays = {name: npz[name] for name in npz.files}
            tokens = {str(k): tuple(map(str, v)) for k, v in vocab["inputs"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CheckpointError(f"cannot read the base model in {folder}: {exc}") from exc
        if vocab.get("kind") != kind:
            raise CheckpointError(f"{folder} holds a {vocab.get('kind')} model, not {kind}")
        return cls(kind, folder, tokens, arrays, meta)

    @property
    def size(self) -> ModelSize:
        """The size the base was trained at (a fine-tuned part keeps its layers and widths)."""
        size = self.meta.get("settings", {}).get("size", {})
        try:
            return ModelSize(**size) if size else ModelSize()
        except TypeError as exc:
            raise CheckpointError(f"{self.path}: unreadable model size {size!r}") from exc

    @property
    def model_id(self) -> str:
        """The kind and the first 12 hex digits of the base model file's hash."""
        return f"{self.kind}@{str(self.meta.get('model_sha256', ''))[:12]}"


def _rows(new: tuple[str, ...], old: tuple[str, ...]) -> tuple[list[int], list[int]]:
    """Positions (in new, in old) of the tokens both vocabularies hold."""
    where = {t: i for i, t in enumerate(old)}
    pairs = [(i, where[t]) for i, t in enumerate(new) if t in where]
    return [i for i, _ in pairs], [j for _, j in pairs]


def warm_start(base: BasePart) -> Any:
    """A `train` warm start copying `base`'s weights into the new model by token name."""

    def start(model: keras.Model, vocab: Vocabulary) -> dict[str, Any]:
        copied = fresh = 0
        a = base.arrays
        size = base.size
        offsets_new: dict[str, tuple[int, int]] = {}
        offsets_old: dict[str, tuple[int, int]] = {}
        at = 0
        for name in vocab.inputs:
            width = embedding_width(vocab, name, size)
            offsets_new[name] = (at, width)
            at += width
        at = 0
        for name in base.tokens:
            width = a[f"embed/{name}"].shape[1] if f"embed/{name}" in a else 0
            offsets_old[name] = (at, width)
            at += width
        for name, tokens in vocab.inputs.items():
            layer = model.get_layer(f"embed_{name}")
            (table,) = layer.get_weights()
            old = a.get(f"embed/{name}")
            if old is not None and old.shape[1] == table.shape[1]:
                new_i, old_i = _rows(tokens, base.tokens.get(name, ()))
                table[new_i] = old[old_i]
                copied += len(new_i)
                fresh += len(tokens) - len(new_i)
            else:
                fresh += len(tokens)
            layer.set_weights([table])
        i = 0
        while f"lstm/{i}/kernel" in a:
            try:
                layer = model.get_layer(f"lstm_{i}")
            except ValueError:
                break
            kernel, recurrent, _bias = layer.get_weights()
            old_k, old_r, old_b = (a[f"lstm/{i}/{n}"] for n in ("kernel", "recurrent", "bias"))
            if old_r.shape != recurrent.shape:
                break
            if old_k.shape == kernel.shape and (i > 0 or offsets_new == offsets_old):
                kernel = old_k
            elif i == 0:  # inputs added or dropped: copy each shared input's rows
                for name, (start_new, width) in offsets_new.items():
                    start_old, width_old = offsets_old.get(name, (0, 0))
                    if width_old == width:
                        kernel[start_new : start_new + width] = old_k[start_old : start_old + width]
            layer.set_weights([kernel, old_r, old_b])
            i += 1
        for name in vocab.outputs:
            layer = model.get_layer(dense_name(vocab, name))
            w, b = layer.get_weights()
            head_w, head_b = a.get(f"head/{name}/w"), a.get(f"head/{name}/b")
            if head_w is not None and head_b is not None and head_w.shape[0] == w.shape[0]:
                new_i, old_i = _rows(vocab.inputs[name], base.tokens.get(name, ()))
                w[:, new_i] = head_w[:, old_i]
                b[new_i] = head_b[old_i]
            layer.set_weights([w, b])
        for name, cond in chord_biased(vocab).items():
            old = a.get(f"head/{name}/chord_bias")
            if old is None:  # a base trained before the chord bias: it starts at zero
                continue
            layer = model.get_layer(chord_bias_name(name))
            (table,) = layer.get_weights()
            rows_new, rows_old = _rows(vocab.inputs[cond], base.tokens.get(cond, ()))
            cols_new, cols_old = _rows(vocab.inputs[name], base.tokens.get(name, ()))
            table[np.ix_(rows_new, cols_new)] = old[np.ix_(rows_old, cols_old)]
            layer.set_weights([table])
        for name in position_scaled(vocab):
            old = a.get(f"head/{name}/chord_scale")
            if old is None:  # a base trained before the factor: it starts at 1
                continue
            layer = model.get_layer(chord_scale_name(name))
            (factor,) = layer.get_weights()
            rows_new, rows_old = _rows(vocab.inputs[POSITION], base.tokens.get(POSITION, ()))
            factor[rows_new, 0] = old[rows_old]
            layer.set_weights([factor])
        return {
            "base": base.model_id,
            "base_path": str(base.path),
            "rows_from_base": copied,
            "rows_fresh": fresh,
            "lstm_layers_from_base": i,
        }

    return start


@dataclass(frozen=True)
class BaseStyle:
    """The style fine-tuning starts from: its part folders, read leniently."""

    path: Path
    name: str
    corpus: str
    corpus_hash: str
    parts: dict[str, Path]  # every part it has a model of (learned, or its fallback model)

    @classmethod
    def read(cls, name_or_path: str | Path) -> BaseStyle:
        """Raises StyleError if it is not a style."""
        from lofi.models.style import STYLE_FILE, default_style_dir, resolve_style

        folder = resolve_style(name_or_path)
        try:
            data = json.loads((folder / STYLE_FILE).read_text())
            parts = {str(k): folder / str(v) for k, v in data["parts"].items()}
            fallbacks = {str(k): str(v) for k, v in data.get("fallbacks", {}).items()}
            name, corpus, digest = str(data["name"]), str(data["corpus"]), data["corpus_hash"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StyleError(f"cannot read the style in {folder}: {exc}") from exc
        shipped = default_style_dir()
        for kind, fallback in fallbacks.items():
            if fallback == "style:default" and folder.resolve() != shipped.resolve():
                inner = BaseStyle.read(shipped)
                if kind in inner.parts:
                    parts[kind] = inner.parts[kind]
        return cls(folder, name, corpus, str(digest), parts)

    def part(self, kind: str) -> BasePart | None:
        """The base's model of `kind`, or None when it has none (it used the rules)."""
        if kind not in self.parts:
            return None
        try:
            return BasePart.read(self.parts[kind], kind)
        except CheckpointError as exc:
            raise StyleError(f"base style {self.name}: its {kind} model: {exc}") from exc

    def finetune(
        self, config: TrainConfig, corpus: Corpus, out: Path, command: str = ""
    ) -> dict[str, Any]:
        """Trains `config.kind` on `corpus` starting from the base's model of it.

        The model has the base's size with at least `TRAINING.finetune_dropout` (a small
        corpus on top of a model that already fits much overfits sooner); `config` gives the
        rest (the CLI's learning rate with --from is `TRAINING.finetune_learning_rate`).
        """
        from lofi.learn.train import train

        base = self.part(config.kind)
        if base is None:
            raise StyleError(f"base style {self.name} has no {config.kind} model")
        dropout = max(base.size.dropout, TRAINING.finetune_dropout)
        size = replace(base.size, dropout=dropout)
        return train(replace(config, size=size), corpus, out, command, warm_start(base))

    def copy_part(self, kind: str, out: Path) -> bool:
        """Copies the base's model of `kind` unchanged into `out`, for a part the corpus lacks.

        Returns False when the base has none or it does not fit this version's vocabulary.
        """
        if kind not in self.parts:
            return False
        try:
            source = complete_folder(self.parts[kind])
            read_checkpoint(source, kind)
        except CheckpointError:
            return False
        out.mkdir(parents=True, exist_ok=True)
        for name in CHECKPOINT_FILES:
            shutil.copy2(source / name, out / name)
        return True

    def describe(self) -> dict[str, Any]:
        """What style.json records of the base."""
        models = {}
        for kind in sorted(self.parts):
            base = self.part(kind)
            models[kind] = str(base.meta.get("model_sha256", "")) if base else ""
        return {
            "name": self.name,
            "path": portable_path(self.path),
            "corpus": self.corpus,
            "corpus_hash": self.corpus_hash,
            "models": models,
        }
