"""Worker-side monitors: a train_step wrapper for gradient norms, weight statistics, feature maps, NaN finder.

``monitored(inner, ...)`` wraps the user's functional model in a ``keras.Model`` subclass whose
``train_step`` follows Keras's own TensorFlow one (tape -> compute_loss -> loss tracker -> optimizer ->
metrics) and adds ``grad_norms`` (one L2 norm per node) and ``grad_global_norm`` to the logs. The inner model
stays a plain functional model, so it is what gets saved. With ``skip_nonfinite`` the gradients of a step
whose loss is not finite are replaced by zeros, so the weights stay finite (plain SGD leaves them exactly
as they were; momentum methods coast on their finite momentum) and the layer that overflowed can be found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def node_of(layer_name: str) -> str:
    """The node a Keras layer came from: helper layers are named ``<node>__<i>`` (core.translate.to_keras)."""
    return layer_name.split("__", 1)[0]


def layer_groups(inner: Any, variables: Sequence[Any]) -> tuple[list[str], list[list[int]]]:
    """Node names (input to output) and, per node, the indices of its variables in ``variables``."""
    index = {id(v): i for i, v in enumerate(variables)}
    names: list[str] = []
    groups: list[list[int]] = []
    for layer in inner.layers:
        ids = [index[id(v)] for v in layer.trainable_weights if id(v) in index]
        if not ids:
            continue
        node = node_of(layer.name)
        if names and names[-1] == node:
            groups[-1].extend(ids)
        else:
            names.append(node)
            groups.append(ids)
    return names, groups


def monitored(inner: Any, gradient_norms: bool, skip_nonfinite: bool) -> Any:
    """The training wrapper around ``inner`` (see the module docstring)."""
    import keras
    import tensorflow as tf
    from keras.src import tree
    from keras.src.losses import loss as loss_module
    from keras.src.trainers.data_adapters import data_adapter_utils

    class MonitoredModel(keras.Model):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(name=f"{inner.name}_training")
            self.inner = inner
            self.groups: list[list[int]] = []

        def call(self, x: Any, training: bool = False) -> Any:
            return self.inner(x, training=training)

        def train_step(self, data: Any) -> Any:
            x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
                self._loss_tracker.update_state(
                    loss_module.unscale_loss_for_distribution(loss),
                    sample_weight=tf.shape(next(i for i in tree.flatten(x) if i is not None))[0],
                )
                scaled = self.optimizer.scale_loss(loss)
            weights = self.trainable_weights
            grads = tape.gradient(scaled, weights)
            if skip_nonfinite:
                grads = zero_if_nonfinite(loss, grads)
            self.optimizer.apply_gradients(zip(grads, weights))
            logs = self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
            if gradient_norms:
                unscale = tf.cast(loss, tf.float32) / tf.maximum(tf.cast(scaled, tf.float32), 1e-30)
                per_node, global_norm = gradient_l2(grads, self.groups)
                logs = {**logs, "grad_norms": per_node * unscale, "grad_global_norm": global_norm * unscale}
            return logs

    model = MonitoredModel()
    return model


def zero_if_nonfinite(loss: Any, grads: Sequence[Any]) -> list[Any]:
    """``grads``, or zeros when ``loss`` is not finite (so the update leaves the weights finite). A select per
    variable: far cheaper to trace than a ``tf.cond`` around the update."""
    import tensorflow as tf

    finite = tf.math.is_finite(loss)
    return [tf.where(finite, g, tf.zeros_like(g)) if g is not None else g for g in grads]


def gradient_l2(grads: Sequence[Any], groups: Sequence[Sequence[int]]) -> tuple[Any, Any]:
    """(per-node L2 norms as one vector, global L2 norm) of ``grads``; ``groups`` from ``layer_groups``."""
    import tensorflow as tf

    squares = [tf.reduce_sum(tf.square(tf.cast(g, tf.float32))) if g is not None else tf.constant(0.0)
               for g in grads]
    per_node = tf.stack([tf.sqrt(tf.add_n([squares[i] for i in group])) for group in groups])
    return per_node, tf.sqrt(tf.add_n(squares))


def attach_groups(model: Any, inner: Any) -> list[str]:
    """Fill the wrapper's per-node variable groups (after it is built); returns the node names."""
    names, groups = layer_groups(inner, model.trainable_weights)
    model.groups = groups
    return names


def model_input(inner: Any) -> Any:
    """The model's input as its structure expects it (a single tensor for one input, else the list)."""
    return inner.inputs[0] if len(inner.inputs) == 1 else inner.inputs


def weight_arrays(inner: Any) -> dict[str, list[tuple[str, np.ndarray]]]:
    """Trainable weights per node as ``(variable name, array)``: ``("kernel", ...)``, ``("bias", ...)``."""
    out: dict[str, list[tuple[str, np.ndarray]]] = {}
    for layer in inner.layers:
        for w in layer.trainable_weights:
            out.setdefault(node_of(layer.name), []).append((str(w.name), np.array(w.numpy())))
    return out


def _flat(arrays: list[tuple[str, np.ndarray]]) -> np.ndarray:
    return np.concatenate([a.reshape(-1) for _, a in arrays]).astype("float64")


def _histogram(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    finite = values[np.isfinite(values)]
    return np.histogram(finite, bins=bins) if finite.size else (np.zeros(bins), np.zeros(bins + 1))


def weight_stats(
    current: dict[str, list[tuple[str, np.ndarray]]], previous: dict[str, list[tuple[str, np.ndarray]]] | None,
    bins: int = 30,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, tuple[np.ndarray, np.ndarray]], dict[str, float],
           dict[str, float]]:
    """Per node: the weight histogram (every variable but the bias), the bias histogram, the L2 norm and the
    update-to-weight ratio ‖w - w_prev‖ / ‖w_prev‖ since the previous call."""
    hists: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    biases: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    norms: dict[str, float] = {}
    ratios: dict[str, float] = {}
    for node, arrays in current.items():
        weights = [(n, a) for n, a in arrays if n != "bias"]
        bias = [(n, a) for n, a in arrays if n == "bias"]
        if weights:
            hists[node] = _histogram(_flat(weights), bins)
        if bias:
            biases[node] = _histogram(_flat(bias), bins)
        flat = _flat(arrays)
        norms[node] = float(np.linalg.norm(flat))
        if previous and node in previous:
            old = _flat(previous[node])
            ratios[node] = float(np.linalg.norm(flat - old)) / max(float(np.linalg.norm(old)), 1e-12)
    return hists, biases, norms, ratios


def feature_map_fn(inner: Any, max_layers: int = 8) -> tuple[list[str], Any] | None:
    """Node names and a ``tf.function`` giving the conv layers' outputs (a weight-sharing sub-model), or None."""
    import keras
    import tensorflow as tf

    convs = [layer for layer in inner.layers if "Conv" in type(layer).__name__ and len(layer.output.shape) == 4]
    if not convs:
        return None
    convs = convs[:max_layers]
    sub = keras.Model(model_input(inner), [layer.output for layer in convs])
    fn = tf.function(lambda x: sub(x, training=False))
    return [node_of(layer.name) for layer in convs], fn


OVERFLOW = 1e15
"""Outputs this large overflow float32 once squared or summed: treated as where a divergence starts."""


def first_nonfinite(inner: Any, sample: np.ndarray) -> tuple[str | None, str]:
    """The first node (input to output) that went non-finite, and why: its weights, its output on ``sample``,
    or an output so large (> ``OVERFLOW``) that the loss overflowed after it; else the node with the largest output.
    """
    import keras

    for layer in inner.layers:
        if any(not np.all(np.isfinite(w.numpy())) for w in layer.weights):
            return node_of(layer.name), "its weights are not finite"
    layers = [layer for layer in inner.layers if not isinstance(layer, keras.layers.InputLayer)]
    if not layers:
        return None, ""
    outputs = keras.Model(model_input(inner), [layer.output for layer in layers])(sample, training=False)
    peaks = [float(np.max(np.abs(np.asarray(o)))) if np.asarray(o).size else 0.0
             for o in (outputs if isinstance(outputs, list | tuple) else [outputs])]
    for layer, peak in zip(layers, peaks):
        if not np.isfinite(peak):
            return node_of(layer.name), "its output is not finite"
        if peak > OVERFLOW:
            return node_of(layer.name), f"its outputs reached {peak:.3g}"
    worst = int(np.argmax(peaks))
    return node_of(layers[worst].name), f"the largest outputs ({peaks[worst]:.3g})"


def predict_classes(inner: Any, x: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Class ids predicted for ``x`` (argmax, or threshold 0.5 for a single sigmoid output)."""
    import tensorflow as tf

    fn = tf.function(lambda t: inner(t, training=False))
    parts = [np.asarray(fn(x[i:i + batch])) for i in range(0, len(x), batch)]
    out = np.concatenate(parts) if parts else np.zeros((0, 1))
    if out.ndim == 2 and out.shape[1] > 1:
        return np.asarray(out.argmax(axis=1))
    return np.asarray((out.reshape(-1) > 0.5).astype("int64"))


def confusion(true_ids: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    matrix = np.zeros((classes, classes), dtype="int64")
    np.add.at(matrix, (true_ids.clip(0, classes - 1), predicted.clip(0, classes - 1)), 1)
    return matrix
