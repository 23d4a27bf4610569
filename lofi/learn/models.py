"""The two recurrent networks, defined once for training and for sampling (Keras 3)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from lofi.core.settings import TRAINING
from lofi.encoding.vocab import Vocabulary
from lofi.models.network import (
    POSITION,
    chord_biased,
    position_scaled,
)

if TYPE_CHECKING:
    import keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass(frozen=True)
class ModelSize:
    """The network's size: LSTM units and layers, embedding width, dropout.

    `token_dropout` drops the embeddings of the previous step's tokens (the predicted fields
    fed back) at that share of training steps; the context inputs (chord, position) stay.
    """

    units: int = TRAINING.units
    layers: int = TRAINING.layers
    embedding: int = TRAINING.embedding  # per input; the chord and position inputs get half
    dropout: float = TRAINING.dropout
    token_dropout: float = TRAINING.token_dropout

    def to_json(self) -> dict[str, Any]:
        """The fields as a dict, as meta.json stores them."""
        return asdict(self)


def output_name(field: str) -> str:
    """The Keras output (head) name of a predicted field."""
    return field + "_out"


def chord_bias_name(field: str) -> str:
    """The Keras layer of a head's chord bias table."""
    return f"chord_bias_{field}"


def chord_scale_name(field: str) -> str:
    """The Keras layer of a head's per-position factor on its chord bias."""
    return f"chord_scale_{field}"


def dense_name(vocab: Vocabulary, field: str) -> str:
    """The Keras layer of a head's weights: the output itself, or its logits when biased."""
    return f"{field}_logits" if field in chord_biased(vocab) else output_name(field)


def embedding_width(vocab: Vocabulary, field: str, size: ModelSize) -> int:
    """Full width for predicted fields, half (at least 4) for context inputs."""
    return size.embedding if field in vocab.outputs else max(size.embedding // 2, 4)


def build_model(vocab: Vocabulary, size: ModelSize, seed: int = 0) -> keras.Model:
    """Embeddings of every input → concatenated → LSTM stack → one softmax head per output."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in vocab.inputs}
    embedded = [
        keras.layers.Embedding(
            len(tokens), embedding_width(vocab, name, size), name=f"embed_{name}"
        )(inputs[name])
        for name, tokens in vocab.inputs.items()
    ]
    if size.token_dropout > 0:
        embedded = [
            keras.layers.Dropout(
                size.token_dropout, noise_shape=(None, None, 1), name=f"token_dropout_{name}"
            )(e)
            if name in vocab.outputs
            else e
            for name, e in zip(vocab.inputs, embedded, strict=True)
        ]
    x = keras.layers.Concatenate(name="concat")(embedded)
    for i in range(size.layers):
        x = keras.layers.LSTM(size.units, return_sequences=True, name=f"lstm_{i}")(x)
        x = keras.layers.Dropout(size.dropout, name=f"dropout_{i}")(x)
    biased = chord_biased(vocab)
    scaled = position_scaled(vocab)
    outputs = {}
    for name in vocab.outputs:
        if name not in biased:
            outputs[output_name(name)] = keras.layers.Dense(
                vocab.size(name), activation="softmax", name=output_name(name)
            )(x)
            continue
        logits = keras.layers.Dense(vocab.size(name), name=dense_name(vocab, name))(x)
        cond = biased[name]
        bias = keras.layers.Embedding(
            len(vocab.inputs[cond]),
            vocab.size(name),
            embeddings_initializer="zeros",
            name=chord_bias_name(name),
        )(inputs[cond])
        if name in scaled:
            factor = keras.layers.Embedding(
                len(vocab.inputs[POSITION]),
                1,
                embeddings_initializer="ones",
                name=chord_scale_name(name),
            )(inputs[POSITION])
            bias = keras.layers.Multiply(name=f"{name}_bias_scaled")([bias, factor])
        summed = keras.layers.Add(name=f"{name}_biased")([logits, bias])
        outputs[output_name(name)] = keras.layers.Softmax(name=output_name(name))(summed)
    return keras.Model(inputs=inputs, outputs=outputs, name=f"lofi_{vocab.kind}")


def compile_model(model: keras.Model, vocab: Vocabulary, learning_rate: float) -> None:
    """Adam with gradient clipping, sparse cross-entropy on every head."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=1.0),
        loss={output_name(n): "sparse_categorical_crossentropy" for n in vocab.outputs},
    )
