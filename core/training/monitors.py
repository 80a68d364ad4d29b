"""Worker-side monitors: a train_step wrapper for gradient norms, weight statistics, feature maps, NaN finder.

``monitored(inner, ...)`` wraps the user's functional model in a ``keras.Model`` subclass whose
``train_step`` follows Keras's own TensorFlow one (tape -> compute_loss -> loss tracker -> optimizer ->
metrics) and adds ``grad_norms`` (one L2 norm per node) and ``grad_global_norm`` to the logs. The inner model
stays a plain functional model, so it is what gets saved. With ``skip_nonfinite`` the gradients of a step
whose loss is not finite are replaced by zeros, so the weights stay finite (plain SGD leaves them exactly
as they were; momentum methods coast on their finite momentum) and the layer that overflowed can be found.
Norms are computed only every ``every``-th step, in a ``tf.cond`` on a step counter inside the one traced step
(the other steps log zeros, which the callback does not send); a second traced step would trace the whole
forward and backward pass twice, which costs more than the cond (see tests/benchmarks/bench_training.py).
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


def monitored(inner: Any, gradient_norms: bool, skip_nonfinite: bool, every: int = 1) -> Any:
    """The training wrapper around ``inner`` (see the module docstring); norms on every ``every``-th step."""
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
            self.monitor_step = tf.Variable(  # steps done; the callback sets it at the start (resumed runs)
                0, dtype=tf.int64, trainable=False, aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

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
                per_node, global_norm = self.norms(grads, unscale)
                logs = {**logs, "grad_norms": per_node, "grad_global_norm": global_norm}
            return logs

        def norms(self, grads: list[Any], unscale: Any) -> tuple[Any, Any]:
            """Per-node and global norms on every ``every``-th step; zeros (not computed) on the others."""
            step = self.monitor_step.assign_add(1)

            def compute() -> tuple[Any, Any]:
                per_node, global_norm = gradient_l2(grads, self.groups)
                return per_node * unscale, global_norm * unscale

            if every == 1:
                return compute()
            result: tuple[Any, Any] = tf.cond(tf.equal(step % every, 0), compute,
                                              lambda: (tf.zeros([len(self.groups)]), tf.constant(0.0)))
            return result

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


ELEMENTWISE = ("Activation", "BatchNormalization", "LayerNormalization", "Dropout", "ReLU", "LeakyReLU", "PReLU",
               "ELU", "Softmax", "GaussianNoise", "GaussianDropout")
"""Spatial layers that only transform values in place: shown after convolutions, pooling and padding."""


def spatial_layers(inner: Any) -> list[Any]:
    """Per node (input to output), the layer giving its output when that output is spatial: rank 4 (NHWC), or
    rank 3 from a 1-D layer (``Conv1D``, ``MaxPooling1D``, ``ZeroPadding1D``, …). Global pooling is not spatial."""
    import keras

    chosen: dict[str, Any] = {}
    for layer in inner.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        node = node_of(layer.name)
        chosen.pop(node, None)  # a node's own layer comes after its helper layers: its output is the node's
        try:
            rank = len(layer.output.shape)
        except (AttributeError, ValueError):  # a layer called more than once has no single output
            continue
        name = type(layer).__name__
        if rank == 4 or (rank == 3 and name.endswith("1D") and not name.startswith("Global")):
            chosen[node] = layer
    return list(chosen.values())


def _priority(layer: Any) -> int:
    name = type(layer).__name__
    if "Conv" in name:
        return 0
    if "Pooling" in name:
        return 1
    return 3 if any(kind in name for kind in ELEMENTWISE) else 2


def feature_map_fn(inner: Any, max_layers: int = 8) -> tuple[list[str], Any] | None:
    """Node names and a ``tf.function`` giving the spatial layers' outputs (a weight-sharing sub-model), or None.

    The dashboard offers every layer the messages carry, so all of them are computed: past ``max_layers`` the
    convolutions are kept first, then pooling, then other reshaping layers (padding, upsampling, …), then
    element-wise ones (activations, normalisation), each group from the input on.
    """
    import keras
    import tensorflow as tf

    layers = spatial_layers(inner)
    if not layers:
        return None
    order = sorted(range(len(layers)), key=lambda i: (_priority(layers[i]), i))
    layers = [layers[i] for i in sorted(order[:max_layers])]
    sub = keras.Model(model_input(inner), [layer.output for layer in layers])
    fn = tf.function(lambda x: sub(x, training=False))
    return [node_of(layer.name) for layer in layers], fn


def as_maps(names: Sequence[str], outputs: Any) -> dict[str, np.ndarray]:
    """The first sample's maps from ``feature_map_fn``'s outputs, each as (height, width, channels): a 1-D
    layer's (steps, channels) becomes (1, steps, channels)."""
    outs = outputs if isinstance(outputs, list | tuple) else [outputs]
    maps = {}
    for name, out in zip(names, outs):
        a = np.asarray(out)[0].astype("float32", copy=False)  # bfloat16 under mixed precision
        maps[name] = a[None] if a.ndim == 2 else a
    return maps


MAX_SIDE = 128
"""The input sent beside the feature maps is downsampled (by striding) to at most this many pixels a side."""


def thumbnail(sample: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """``sample`` (one input: (h, w[, c]), (steps, c) or (features,)) with its first two axes strided down to
    ``max_side``, as float32."""
    a = np.asarray(sample, dtype="float32")
    if a.ndim >= 1:
        a = a[:: -(-a.shape[0] // max_side)]
    if a.ndim >= 2:
        a = a[:, :: -(-a.shape[1] // max_side)]
    return np.ascontiguousarray(a)


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
