"""Export a trained generator as a TensorFlow SavedModel whose input is one latent vector per row."""

from __future__ import annotations

import os
from typing import Any


def export_generator(generator: Any, path: str | os.PathLike[str]) -> str:
    """Write ``generator`` to the SavedModel folder ``path`` with ``model.export``; returns the path.

    The artifact's ``serve`` endpoint (and the ``serving_default`` signature) take a float32 batch
    ``(None, latent)`` and return the generated samples; load it with ``tf.saved_model.load``.
    """
    import keras

    latent_dim = int(generator.inputs[0].shape[-1])
    spec = keras.InputSpec(shape=(None, latent_dim), dtype="float32")
    generator.export(os.fspath(path), format="tf_saved_model", verbose=False, input_signature=[spec])
    return os.fspath(path)
