"""Inside a recurrent layer, for one sample: hidden state over time, gate activations, and the gradient of the
loss with respect to the hidden state at every step (the vanishing gradient through time). SimpleRNN, LSTM and
GRU layers, alone or inside Bidirectional (each direction is traced).

The layer is unrolled step by step with TensorFlow ops recomputed from the cell's own ``kernel``,
``recurrent_kernel`` and ``bias`` under one ``GradientTape``; the recomputed states are checked against the
Keras layer's output (``RnnTrace.max_error``), so the gates shown are the ones Keras computes. Masks (an
Embedding with ``mask_zero``) are not followed: ``max_error`` then shows the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.graph.errors import GraphError
from core.graph.model import Graph

RECURRENT = ("SimpleRNN", "LSTM", "GRU")
GATE_NAMES = {"SimpleRNN": (), "LSTM": ("input", "forget", "candidate", "output"), "GRU": ("update", "reset",
                                                                                            "candidate")}
MERGES = ("concat", "sum", "ave", "mul")
LOSSES = ("mse", "mae", "binary_crossentropy", "sparse_categorical_crossentropy", "categorical_crossentropy")


@dataclass
class RnnTrace:
    """What happened inside one recurrent layer over the ``T`` steps of one sample."""

    layer: str
    kind: str
    hidden: np.ndarray
    """``(T, units)``: the hidden state h_t after each step (heatmap: time x units)."""
    gates: dict[str, np.ndarray] = field(default_factory=dict)
    """Gate activations ``(T, units)`` by name (LSTM: input, forget, candidate, output; GRU: update, reset,
    candidate); empty for SimpleRNN."""
    cell: np.ndarray | None = None
    """LSTM only: the cell state c_t, ``(T, units)``."""
    grad_norms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """``(T,)``: ||dL/dh_t|| — how much the loss still feels the state of step t."""
    loss: float = 0.0
    max_error: float = 0.0
    """Largest difference between the recomputed states and the Keras layer's own output."""
    direction: str = "forward"
    backward: RnnTrace | None = None
    """For a Bidirectional layer, the backward direction, in the order it reads the sequence (last step first)."""

    @property
    def falloff(self) -> float:
        """Gradient at the first step relative to the last (1 = no decay; 1e-6 = vanished)."""
        last = float(self.grad_norms[-1])
        return float(self.grad_norms[0]) / last if last > 0 else 0.0


def find_recurrent(model: Any, name: str | None = None) -> Any:
    """The named recurrent layer, or the first SimpleRNN/LSTM/GRU of the model."""
    for layer in model.layers:
        kind = type(layer).__name__
        inner = type(getattr(layer, "forward_layer", None)).__name__ if kind == "Bidirectional" else kind
        if inner in RECURRENT and (name is None or layer.name == name):
            if getattr(layer, "go_backwards", False):
                raise GraphError(f"{layer.name} runs backwards; wrap it in Bidirectional or turn go_backwards off")
            if kind == "Bidirectional" and layer.merge_mode not in MERGES:
                raise GraphError(f"{layer.name}: merge mode {layer.merge_mode!r} gives two outputs; the inspector "
                                 f"follows one of {', '.join(MERGES)}")
            return layer
    what = f"recurrent layer named {name!r}" if name else "SimpleRNN, LSTM, GRU or Bidirectional layer"
    raise GraphError(f"the network has no {what} to inspect")


def inspect_graph(graph: Graph | Mapping[str, Any], sample: np.ndarray, target: np.ndarray | None = None,
                  loss: str = "mse", layer: str | None = None) -> RnnTrace:
    """Build the graph as a Keras model (untrained weights) and inspect it; see ``inspect_model``."""
    from core.translate.to_keras import build_model

    g = graph if isinstance(graph, Graph) else Graph.from_dict(graph)
    return inspect_model(build_model(g), sample, target, loss, layer)


def inspect_model(model: Any, sample: np.ndarray, target: np.ndarray | None = None, loss: str = "mse",
                  layer: str | None = None) -> RnnTrace:
    """Trace one sample (without batch axis) through the model's recurrent layer.

    The loss is ``loss`` between the model's output and ``target``; without a target it is the sum of the
    outputs (so the gradients show the output's sensitivity to each step's state).
    """
    import keras
    import tensorflow as tf

    rnn = find_recurrent(model, layer)
    batch = np.asarray(sample)[None]  # the model casts to its Input dtype (token ids stay integers)
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    x_seq = tf.constant(np.asarray(keras.Model(inputs, rnn.input)(batch)), tf.float32)
    reference = np.asarray(keras.Model(inputs, rnn.output)(batch))
    after = _after(model, rnn)
    directions = _directions(rnn)
    with tf.GradientTape() as tape:
        runs = [_unroll(cells, tf.reverse(x_seq, [1]) if backward else x_seq) for cells, backward in directions]
        merged = _merge(rnn, [_output(rnn, states, backward) for (_, backward), (states, _) in zip(directions, runs)])
        value = _loss(loss, target, after(merged, training=False))
    grads = tape.gradient(value, [states for states, _ in runs])
    traces = [_trace(rnn, cells, backward, run, g) for (cells, backward), run, g in zip(directions, runs, grads)]
    main = traces[0]
    main.backward = traces[1] if len(traces) > 1 else None
    main.loss = float(value)
    main.max_error = float(np.max(np.abs(np.asarray(merged)[0] - reference[0])))
    return main


def _directions(rnn: Any) -> list[tuple[Any, bool]]:
    """(recurrent layer, runs backwards) for each direction of ``rnn``."""
    if type(rnn).__name__ == "Bidirectional":
        return [(rnn.forward_layer, False), (rnn.backward_layer, True)]
    return [(rnn, False)]


def _output(rnn: Any, states: list[Any], backward: bool) -> Any:
    """What one direction contributes to the layer's output (a backward sequence is put back in input order)."""
    import tensorflow as tf

    if not rnn.return_sequences:
        return states[-1]
    seq = tf.stack(states, axis=1)
    return tf.reverse(seq, [1]) if backward else seq


def _merge(rnn: Any, parts: list[Any]) -> Any:
    """Combine the directions as Keras's Bidirectional does."""
    import tensorflow as tf

    if len(parts) == 1:
        return parts[0]
    forward, backward = parts
    mode = rnn.merge_mode
    if mode == "concat":
        return tf.concat([forward, backward], axis=-1)
    if mode == "sum":
        return forward + backward
    if mode == "ave":
        return (forward + backward) / 2
    return forward * backward


def _trace(rnn: Any, cells: Any, backward: bool, run: tuple[list[Any], dict[str, list[np.ndarray]]],
           grads: list[Any]) -> RnnTrace:
    states, extras = run
    return RnnTrace(
        layer=rnn.name.split("__")[0], kind=type(cells).__name__,
        hidden=np.stack([np.asarray(h)[0] for h in states], axis=0),
        gates={k: np.stack(v, axis=0) for k, v in extras.items() if k != "cell"},
        cell=np.stack(extras["cell"], axis=0) if "cell" in extras else None,
        grad_norms=np.array([0.0 if g is None else float(np.linalg.norm(np.asarray(g))) for g in grads]),
        direction="backward" if backward else "forward",
    )


def _after(model: Any, rnn: Any) -> Any:
    """The part of the model after the recurrent layer, as a model of the layer's output."""
    import keras

    try:
        return keras.Model(rnn.output, model.outputs)
    except ValueError as exc:
        raise GraphError(f"{rnn.name}: the layers after it also read other inputs, so the gradient through its "
                         f"states cannot be isolated ({exc})") from exc


def _loss(name: str, target: np.ndarray | None, out: Any) -> Any:
    import keras
    import tensorflow as tf

    if isinstance(out, list | tuple):
        out = out[0]
    if target is None:
        return tf.reduce_sum(out)
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return tf.reduce_mean(keras.losses.get(name)(np.asarray(target, dtype="float32")[None], out))


def _unroll(rnn: Any, x_seq: Any) -> tuple[list[Any], dict[str, list[np.ndarray]]]:
    """Step the recomputed cell over time; returns h_t tensors (on the tape) and per-step gate values."""
    import tensorflow as tf

    cell = rnn.cell
    step = _STEPS[type(rnn).__name__]
    h = tf.zeros((1, cell.units))
    carry = {"c": tf.zeros((1, cell.units))}
    states: list[Any] = []
    extras: dict[str, list[np.ndarray]] = {}
    for t in range(int(x_seq.shape[1])):
        h, record = step(cell, x_seq[:, t, :], h, carry)
        states.append(h)
        for key, value in record.items():
            extras.setdefault(key, []).append(np.asarray(value)[0])
    return states, extras


StepFn = Callable[[Any, Any, Any, dict[str, Any]], tuple[Any, dict[str, Any]]]


def _simple_step(cell: Any, x: Any, h: Any, carry: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    z = x @ cell.kernel + h @ cell.recurrent_kernel
    if cell.use_bias:
        z = z + cell.bias
    return cell.activation(z), {}


def _lstm_step(cell: Any, x: Any, h: Any, carry: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    import tensorflow as tf

    z = x @ cell.kernel + h @ cell.recurrent_kernel
    if cell.use_bias:
        z = z + cell.bias
    zi, zf, zc, zo = tf.split(z, 4, axis=1)
    i, f, o = cell.recurrent_activation(zi), cell.recurrent_activation(zf), cell.recurrent_activation(zo)
    g = cell.activation(zc)
    c = f * carry["c"] + i * g
    carry["c"] = c
    return o * cell.activation(c), {"input": i, "forget": f, "candidate": g, "output": o, "cell": c}


def _gru_step(cell: Any, x: Any, h: Any, carry: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    u = cell.units
    kernel, recurrent = cell.kernel, cell.recurrent_kernel
    if cell.use_bias and cell.reset_after:
        x_bias, h_bias = cell.bias[0], cell.bias[1]
    else:
        x_bias, h_bias = (cell.bias if cell.use_bias else 0.0), 0.0
    mx = x @ kernel + x_bias
    if cell.reset_after:
        mh = h @ recurrent + h_bias
        z = cell.recurrent_activation(mx[:, :u] + mh[:, :u])
        r = cell.recurrent_activation(mx[:, u : 2 * u] + mh[:, u : 2 * u])
        hh = cell.activation(mx[:, 2 * u :] + r * mh[:, 2 * u :])
    else:
        mh = h @ recurrent[:, : 2 * u]
        z = cell.recurrent_activation(mx[:, :u] + mh[:, :u])
        r = cell.recurrent_activation(mx[:, u : 2 * u] + mh[:, u:])
        hh = cell.activation(mx[:, 2 * u :] + (r * h) @ recurrent[:, 2 * u :])
    return z * h + (1.0 - z) * hh, {"update": z, "reset": r, "candidate": hh}


_STEPS: dict[str, StepFn] = {"SimpleRNN": _simple_step, "LSTM": _lstm_step, "GRU": _gru_step}
