"""From a trained Keras model to the plain arrays the numpy sampler runs (weights.npz).

Only this module and lofi.learn.models touch Keras layers by name; TensorFlow is not
imported here (the model is passed in), so the sampler stays free of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lofi.encoding.vocab import Vocabulary
from lofi.models.sampler import StepModel

if TYPE_CHECKING:
    import keras


def export_weights(model: keras.Model, vocab: Vocabulary) -> dict[str, np.ndarray]:
    """The arrays the numpy sampler needs, by stable names."""
    from lofi.learn.models import chord_bias_name, chord_scale_name, dense_name
    from lofi.models.network import chord_biased, position_scaled

    arrays: dict[str, np.ndarray] = {}
    for name in vocab.inputs:
        arrays[f"embed/{name}"] = model.get_layer(f"embed_{name}").get_weights()[0]
    i = 0
    while True:
        try:
            layer = model.get_layer(f"lstm_{i}")
        except ValueError:
            break
        kernel, recurrent, bias = layer.get_weights()
        arrays[f"lstm/{i}/kernel"] = kernel
        arrays[f"lstm/{i}/recurrent"] = recurrent
        arrays[f"lstm/{i}/bias"] = bias
        i += 1
    for name in vocab.outputs:
        w, b = model.get_layer(dense_name(vocab, name)).get_weights()
        arrays[f"head/{name}/w"] = w
        arrays[f"head/{name}/b"] = b
    for name in chord_biased(vocab):
        arrays[f"head/{name}/chord_bias"] = model.get_layer(chord_bias_name(name)).get_weights()[0]
    for name in position_scaled(vocab):
        factor = model.get_layer(chord_scale_name(name)).get_weights()[0]
        arrays[f"head/{name}/chord_scale"] = factor[:, 0]
    return arrays


def to_step_model(model: keras.Model, vocab: Vocabulary) -> StepModel:
    """The numpy step model of a trained Keras model (its weights exported first)."""
    return StepModel.from_arrays(vocab, export_weights(model, vocab))
