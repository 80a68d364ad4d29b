"""TensorBoard event files without the tensorboard package: epoch logs as scalars through ``tf.summary.write``.

Keras's own TensorBoard callback needs the tensorboard package for ``tf.summary.scalar``; the plugin metadata
below is what that function attaches, so TensorBoard (installed elsewhere) shows these as ordinary scalars.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def make_writer_callback(log_dir: Path) -> Any:
    import keras
    import tensorflow as tf
    from tensorflow.core.framework import summary_pb2

    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))

    class EventWriter(keras.callbacks.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.writer = tf.summary.create_file_writer(str(log_dir))

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            with self.writer.as_default():
                for key, value in (logs or {}).items():
                    if getattr(value, "ndim", 0) == 0:
                        tf.summary.write(key, tf.constant(float(value)), step=epoch, metadata=metadata)
            self.writer.flush()

        def on_train_end(self, logs: Any = None) -> None:
            self.writer.close()

    return EventWriter()
