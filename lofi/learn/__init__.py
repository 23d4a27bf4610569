"""Keras models, training, checkpoints and the numpy step sampler."""
