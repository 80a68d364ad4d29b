"""Layerbench's own Keras layers (mirror padding), defined on first use so Keras loads lazily.

The class source is also what the Python export ships, so a plain-Keras user can load our models.
"""

from __future__ import annotations

import functools
from typing import Any

MIRROR_PADDING_SOURCE = '''
@keras.saving.register_keras_serializable(package="layerbench")
class MirrorPadding2D(keras.layers.Layer):
    """Pads height and width by mirroring the border ('reflect' skips the edge row, 'symmetric' repeats it)."""

    def __init__(self, padding=((1, 1), (1, 1)), mode="reflect", **kwargs):
        super().__init__(**kwargs)
        self.padding = tuple(tuple(int(v) for v in side) for side in padding)
        self.mode = mode

    def call(self, inputs):
        (top, bottom), (left, right) = self.padding
        pad_width = [[0, 0], [top, bottom], [left, right], [0, 0]]
        return keras.ops.pad(inputs, pad_width, mode=self.mode)

    def compute_output_shape(self, input_shape):
        (top, bottom), (left, right) = self.padding
        batch, height, width, channels = input_shape
        height = None if height is None else height + top + bottom
        width = None if width is None else width + left + right
        return (batch, height, width, channels)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "mode": self.mode}
'''


@functools.cache
def custom_objects() -> dict[str, Any]:
    """Define and register our layers with Keras (once); returns them by class name."""
    import keras

    namespace: dict[str, Any] = {"keras": keras}
    exec(compile(MIRROR_PADDING_SOURCE, "<layerbench.custom_layers>", "exec"), namespace)
    return {"MirrorPadding2D": namespace["MirrorPadding2D"]}
