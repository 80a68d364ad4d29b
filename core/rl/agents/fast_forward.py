"""A NumPy mirror of small Dense networks, for choosing one action per environment step.

A ``tf.function`` call costs about 0.3-0.5 ms however small the network; the same forward pass of an MLP
in NumPy takes a few microseconds. Acting is one observation at a time, so for a plain chain of Input,
Dense, Activation and Dropout nodes we act through NumPy and read the weights back from the Keras
variables after each update (``mark_stale``). Any other graph keeps the ``tf.function`` path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.graph.model import Graph
from core.translate.shapes import infer_graph

Array = NDArray[np.float32]


def _softmax(x: Array) -> Array:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return np.asarray(e / e.sum(axis=-1, keepdims=True), dtype=np.float32)


def _sigmoid(x: Array) -> Array:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float32)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "softmax": _softmax,
    "elu": lambda x: np.asarray(np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))), dtype=np.float32),
    "selu": lambda x: np.asarray(SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
                                 dtype=np.float32),
    "swish": lambda x: x * _sigmoid(x),
    "softplus": lambda x: np.asarray(np.logaddexp(x, 0.0), dtype=np.float32),
}


class NumpyForward:
    """Forward pass of a Dense chain in NumPy, with weights read lazily from the Keras model."""

    def __init__(self, steps: list[tuple[str, Any, str]], model: Any) -> None:
        self._steps = steps  # (kind, keras layer or None, activation)
        self._model = model
        self._weights: list[list[Array]] = []
        self._stale = True

    def mark_stale(self) -> None:
        """The Keras weights changed; read them again before the next forward pass."""
        self._stale = True

    def _sync(self) -> None:
        self._weights = [[np.asarray(v.numpy()) for v in layer.weights] if layer is not None else []
                         for _, layer, _ in self._steps]
        self._stale = False

    def __call__(self, x: Array) -> Array:
        if self._stale:
            self._sync()
        for (kind, _, act), weights in zip(self._steps, self._weights):
            if kind == "Dense":
                x = x @ weights[0] + weights[1] if len(weights) > 1 else x @ weights[0]
            x = ACTIVATIONS[act](x)
        return x


def numpy_forward(graph: Graph, model: Any) -> NumpyForward | None:
    """A NumPy mirror of ``model`` if ``graph`` is a chain NumPy can run exactly, else None."""
    info = infer_graph(graph)
    if info.errors or len(info.inputs) != 1 or len(info.outputs) != 1:
        return None
    if any(len(graph.in_edges(nid)) > 1 or len(graph.out_edges(nid)) > 1 for nid in info.order):
        return None
    if len(info.nodes[info.inputs[0]].shape or ()) != 1:
        return None
    nodes = [graph.node(nid) for nid in info.order[1:]]
    if not all(_mirrorable(node.type, node.params) for node in nodes):
        return None
    steps: list[tuple[str, Any, str]] = []
    for node in nodes:
        if node.type == "Dense":
            steps.append(("Dense", model.get_layer(node.name), node.params["activation"]))
        elif node.type == "Activation":
            steps.append(("Activation", None, node.params["activation"]))
        else:
            steps.append(("Dropout", None, "linear"))
    return NumpyForward(steps, model)


def _mirrorable(type_id: str, params: Any) -> bool:
    if type_id in ("Dense", "Activation"):
        return params["activation"] in ACTIVATIONS
    return type_id == "Dropout"
