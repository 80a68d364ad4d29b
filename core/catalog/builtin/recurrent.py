"""Recurrent layers: SimpleRNN, LSTM, GRU and a Bidirectional wrapper. Inputs are (steps, features)."""

from __future__ import annotations

from typing import Any

from core.catalog.common import (
    ACTIVATIONS,
    activation_param,
    initializer_param,
    known_last,
    need_rank,
    one_input,
    pick,
    regularizer_kwargs,
    regularizer_params,
)
from core.catalog.specs import InferFn, Inferred, KerasFn, KerasObj, LayerSpec, Params, ParamSpec, Shape

GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
"""How many weight blocks each cell has (LSTM: input, forget, cell, output; GRU: update, reset, candidate)."""

_HINT = "recurrent layers read sequences (steps, features); use Reshape or an Embedding to make one"


def _cell_weights(cell: str, features: int, units: int, use_bias: bool) -> int:
    gates = GATES[cell]
    weights = gates * units * (features + units)
    if use_bias:
        # Keras's GRU defaults to reset_after=True, which keeps separate input and recurrent biases.
        weights += gates * units * (2 if cell == "GRU" else 1)
    return weights


def _sequence(shapes: list[Shape], title: str) -> tuple[Shape, int]:
    shape = one_input(shapes, title)
    need_rank(shape, (2,), title, _HINT)
    return shape, known_last(shape, title)


def _rnn_infer(cell: str) -> InferFn:
    def infer(p: Params, shapes: list[Shape]) -> Inferred:
        shape, features = _sequence(shapes, cell)
        units = p["units"]
        weights = _cell_weights(cell, features, units, p["use_bias"])
        out: Shape = (shape[0], units) if p["return_sequences"] else (units,)
        flops = 2 * GATES[cell] * units * (features + units) * (shape[0] or 1)
        return Inferred([out], trainable=weights, flops=flops)

    return infer


def _dropout(name: str, what: str) -> ParamSpec:
    return ParamSpec(name, "float", 0.0, f"fraction of the {what} dropped while training", minimum=0.0,
                     maximum=0.95, fuzz=(0.0, 0.5))


def _rnn_params(cell: str) -> tuple[ParamSpec, ...]:
    gate = (
        ParamSpec("recurrent_activation", "choice", "sigmoid", "squashes the gates (sigmoid keeps them between 0 "
                  "and 1, i.e. closed to open)", choices=ACTIVATIONS),
    ) if cell != "SimpleRNN" else ()
    return (
        ParamSpec("units", "int", 32, "size of the hidden state (and of each output)", minimum=1, maximum=65536,
                  fuzz=(1, 9), key=True),
        activation_param("tanh"),
        *gate,
        ParamSpec("use_bias", "bool", True, "add learned offsets"),
        ParamSpec("return_sequences", "bool", False, "output every step (for stacking) instead of only the last",
                  key=True),
        _dropout("dropout", "inputs"),
        _dropout("recurrent_dropout", "hidden state"),
        initializer_param(),
        initializer_param("orthogonal", "recurrent_initializer"),
        *regularizer_params("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"),
    )


def _rnn_keras(cell: str) -> KerasFn:
    names = [p.name for p in _rnn_params(cell) if p.kind != "regularizer"]

    def keras(p: Params) -> list[KerasObj]:
        return [KerasObj(f"layers.{cell}", pick(p, *names) | regularizer_kwargs(p))]

    return keras


_DOCS = {
    "SimpleRNN": "The plainest recurrent layer: at each step the new state is tanh(W·x + U·state + b), so it "
    "carries a memory along the sequence. Gradients through many steps shrink or explode, so it forgets "
    "quickly; LSTM and GRU fix that with gates.",
    "LSTM": "Long short-term memory: a recurrent layer with a separate cell state and three gates (input, "
    "forget, output) that learn what to write, keep and show. The forget gate lets information and "
    "gradients survive hundreds of steps.",
    "GRU": "Gated recurrent unit: like an LSTM with two gates (update, reset) and no separate cell state, so "
    "it has about a quarter fewer weights and often learns as well.",
}


def _rnn_spec(cell: str) -> LayerSpec:
    return LayerSpec(
        id=cell,
        title=cell,
        category="Recurrent",
        params=_rnn_params(cell),
        infer=_rnn_infer(cell),
        keras=_rnn_keras(cell),
        input_ranks=(2,),
        doc=_DOCS[cell] + " With return_sequences off it outputs only the last state (units,).",
    )


MERGE_MODES = ("concat", "sum", "mul", "ave")


def _bidirectional_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape, features = _sequence(shapes, "Bidirectional")
    cell, units = p["layer"], p["units"]
    width = 2 * units if p["merge_mode"] == "concat" else units
    out: Shape = (shape[0], width) if p["return_sequences"] else (width,)
    flops = 4 * GATES[cell] * units * (features + units) * (shape[0] or 1)
    return Inferred([out], trainable=2 * _cell_weights(cell, features, units, True), flops=flops)


def _bidirectional_keras(p: Params) -> list[KerasObj]:
    inner: dict[str, Any] = {"units": p["units"], "return_sequences": p["return_sequences"]}
    inner |= regularizer_kwargs(p)
    return [KerasObj("layers.Bidirectional", {"layer": KerasObj(f"layers.{p['layer']}", inner),
                                              "merge_mode": p["merge_mode"]})]


BIDIRECTIONAL = LayerSpec(
    id="Bidirectional",
    title="Bidirectional",
    category="Recurrent",
    params=(
        ParamSpec("layer", "choice", "LSTM", "the recurrent layer run in both directions", choices=tuple(GATES),
                  key=True),
        ParamSpec("units", "int", 32, "hidden state size of each direction", minimum=1, maximum=65536,
                  fuzz=(1, 9), key=True),
        ParamSpec("merge_mode", "choice", "concat", "how the two directions are combined (concat doubles the "
                  "width; sum, mul and ave keep it)", choices=MERGE_MODES),
        ParamSpec("return_sequences", "bool", False, "output every step instead of only the last"),
        *regularizer_params("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"),
    ),
    infer=_bidirectional_infer,
    keras=_bidirectional_keras,
    input_ranks=(2,),
    doc="Runs one recurrent layer forwards and a copy backwards over the sequence and combines the two, so "
    "every step's output knows both what came before and what comes after. Useful when the whole sequence "
    "is available at once (text classification, tagging), not for predicting the future. Twice the weights "
    "of the wrapped layer.",
)

SPECS = (*(_rnn_spec(cell) for cell in GATES), BIDIRECTIONAL)
