"""Getting a model ready to fit under a tf.distribute strategy (Keras 3's missing steps).

Apart from lofi.learn.distribute, which runs the workers, so that `fit` (lofi.learn.train)
can call it without the two modules importing each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras
    import tensorflow as tf


def prepare_for_strategy(model: keras.Model, dataset: tf.data.Dataset) -> None:
    """Builds every piece of training state now, in the strategy's scope, from one batch.

    Keras 3's `fit` otherwise builds it from the first *distributed* batch, which fails
    with more than one worker for models with dict inputs (keras-team/keras#20585,
    #20329). With the state built, the model is told to take the strategy from the
    surrounding scope, which `fit` then runs in. Its "mean" reduction of each step's logs
    across workers averages along axis 0, which a scalar lacks: the steps return each log
    as a one-element vector, so the mean over the replicas comes out as a scalar.
    """
    import tensorflow as tf

    model._symbolic_build(data_batch=next(iter(dataset.take(1))))
    model.optimizer.build(model.trainable_variables)
    model._distribute_strategy = None
    for name in ("train_step", "test_step"):
        setattr(model, name, _vector_logs(getattr(model, name), tf))


def _vector_logs(step: Any, tf: Any) -> Any:
    def vector_step(data: Any) -> dict[str, Any]:
        return {k: tf.reshape(v, [1]) for k, v in step(data).items()}

    return vector_step
