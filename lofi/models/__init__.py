"""The models a song is generated from, read for generating: numpy only, no TensorFlow.

The step sampler, checkpoint, style, form and timing readers, and `load_song_models`.
"""

from lofi.models.loading import Loaded, SongModels, load_checkpoints, load_song_models

__all__ = ["Loaded", "SongModels", "load_checkpoints", "load_song_models"]
