"""TensorBoard event files without the tensorboard package, through ``tf.summary.write``.

Written: every epoch's logs as scalars (``loss``, ``val_loss``, ...), the training loss of every batch
(``batch/loss``, x = global step), per-layer gradient norms when that monitor is on (``gradients/<layer>`` and
``gradients/global_norm``, every ``gradient_every`` steps) and per-layer weight histograms when that monitor is
on (``weights/<layer>``, once per epoch). Keras's own TensorBoard callback needs the tensorboard package for
``tf.summary.scalar``; the plugin metadata below is what tensorboard's summary functions attach, so TensorBoard
(installed elsewhere) shows these as ordinary scalars and histograms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

HISTOGRAM_BINS = 30


def histogram_buckets(values: np.ndarray, bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """``[bins, 3]`` rows of (left edge, right edge, count): the tensor TensorBoard's histogram plugin reads."""
    flat = np.asarray(values, dtype="float64").reshape(-1)
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return np.zeros((0, 3), dtype="float64")
    low, high = float(flat.min()), float(flat.max())
    if low == high:
        return np.array([[low - 0.5, high + 0.5, float(flat.size)]])
    counts, edges = np.histogram(flat, bins=bins, range=(low, high))
    return np.stack([edges[:-1], edges[1:], counts.astype("float64")], axis=1)


def tensorboard_callback(ctx: Any) -> Any:
    """The event writer for a run (``core.training.callbacks.RunContext``): its folder, layers and monitors."""
    m = ctx.config.monitors
    return make_writer_callback(
        ctx.folder.tensorboard_dir(), grad_layers=list(ctx.grad_layers), gradient_every=m.gradient_every,
        weights_of=(lambda: _node_weights(ctx.inner)) if m.weight_histograms else None, step=lambda: int(ctx.step))


def _node_weights(inner: Any) -> dict[str, np.ndarray]:
    from core.training.monitors import weight_arrays

    return {node: np.concatenate([a.reshape(-1) for _, a in arrays]) for node, arrays in weight_arrays(inner).items()}


def make_writer_callback(log_dir: Path, grad_layers: Sequence[str] = (), gradient_every: int = 1,
                         weights_of: Callable[[], dict[str, np.ndarray]] | None = None,
                         step: Callable[[], int] | None = None) -> Any:
    """A Keras callback writing to ``log_dir``. ``step`` gives the global step (counted here when None)."""
    import keras
    import tensorflow as tf
    from tensorflow.core.framework import summary_pb2

    def plugin(name: str) -> Any:
        return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=name))

    scalars, histograms = plugin("scalars"), plugin("histograms")

    class EventWriter(keras.callbacks.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            log_dir.mkdir(parents=True, exist_ok=True)
            self.writer = tf.summary.create_file_writer(str(log_dir))
            self.steps = 0

        def scalar(self, name: str, value: float, at: int) -> None:
            tf.summary.write(name, tf.constant(float(value)), step=at, metadata=scalars)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.steps += 1
            at = step() if step is not None else self.steps
            logs = logs or {}
            with self.writer.as_default():
                if "loss" in logs:
                    self.scalar("batch/loss", logs["loss"], at)
                if grad_layers and "grad_norms" in logs and at % max(gradient_every, 1) == 0:
                    norms = np.asarray(logs["grad_norms"]).reshape(-1)
                    for name, norm in zip(grad_layers, norms):
                        self.scalar(f"gradients/{name}", norm, at)
                    if "grad_global_norm" in logs:
                        self.scalar("gradients/global_norm", float(np.asarray(logs["grad_global_norm"])), at)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            with self.writer.as_default():
                for key, value in (logs or {}).items():
                    if getattr(value, "ndim", 0) == 0 and key != "grad_global_norm":
                        self.scalar(key, value, epoch)
                for name, values in (weights_of() if weights_of is not None else {}).items():
                    tf.summary.write(f"weights/{name}", tf.constant(histogram_buckets(values)), step=epoch,
                                     metadata=histograms)
            self.writer.flush()

        def on_train_end(self, logs: Any = None) -> None:
            self.writer.close()

    return EventWriter()
