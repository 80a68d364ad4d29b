"""Core layers: Input, Dense, Embedding, Rescaling."""

from __future__ import annotations

from core.catalog.common import (
    activation_param,
    dense_flops,
    fmt,
    initializer_param,
    known_last,
    one_input,
    pick,
    regularizer_kwargs,
    regularizer_params,
)
from core.catalog.specs import Inferred, KerasObj, LayerSpec, Params, ParamSpec, Shape, prod
from core.graph.errors import ShapeError


def _input_infer(p: Params, shapes: list[Shape]) -> Inferred:
    if shapes:
        raise ShapeError("Input takes no incoming connection")
    return Inferred([tuple(p["shape"])])


def _input_keras(p: Params) -> list[KerasObj]:
    return [KerasObj("Input", {"shape": tuple(p["shape"]), "dtype": p["dtype"]})]


INPUT = LayerSpec(
    id="Input",
    title="Input",
    category="Input",
    params=(
        ParamSpec("shape", "shape", (28, 28, 1), "shape of one sample, without the batch axis; None for any length",
                  minimum=1, allow_none=True, key=True),
        ParamSpec("dtype", "choice", "float32", "number type of the data (int32 for token ids)",
                  choices=("float32", "int32")),
    ),
    infer=_input_infer,
    keras=_input_keras,
    inputs=(),
    name_prefix="input",
    doc="Where data enters the network. Its shape is one sample's shape; the batch axis is added by Keras. "
    "A model may have several inputs (for example an image and a table of numbers).",
)


def _dense_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "Dense")
    if len(shape) > 2:
        raise ShapeError(
            f"Dense needs one feature axis but receives {fmt(shape)}: insert Flatten or "
            "GlobalAveragePooling2D before it"
        )
    features = known_last(shape, "Dense")
    units = p["units"]
    weights = features * units + (units if p["use_bias"] else 0)
    positions = prod(shape[:-1])
    return Inferred([(*shape[:-1], units)], trainable=weights, flops=dense_flops(features, units, positions))


def _dense_keras(p: Params) -> list[KerasObj]:
    kw = pick(p, "units", "activation", "use_bias", "kernel_initializer") | regularizer_kwargs(p)
    return [KerasObj("layers.Dense", kw)]


DENSE = LayerSpec(
    id="Dense",
    title="Dense",
    category="Core",
    params=(
        ParamSpec("units", "int", 64, "number of neurons (outputs)", minimum=1, maximum=1_000_000, fuzz=(1, 17),
                  key=True),
        activation_param(),
        ParamSpec("use_bias", "bool", True, "add a learned offset to each output"),
        initializer_param(),
        *regularizer_params(),
    ),
    infer=_dense_infer,
    keras=_dense_keras,
    input_ranks=(1, 2),
    doc="A fully connected layer: every output is a weighted sum of all inputs plus a bias, passed through "
    "the activation. On a sequence (steps, features) it acts on each step with shared weights.",
)


def _embedding_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "Embedding")
    weights = p["input_dim"] * p["output_dim"]
    return Inferred([(*shape, p["output_dim"])], trainable=weights)


EMBEDDING = LayerSpec(
    id="Embedding",
    title="Embedding",
    category="Core",
    params=(
        ParamSpec("input_dim", "int", 1000, "vocabulary size: token ids run from 0 to this minus one",
                  minimum=1, maximum=10_000_000, fuzz=(1, 50), key=True),
        ParamSpec("output_dim", "int", 32, "length of the vector learned for each token", minimum=1,
                  maximum=100_000, fuzz=(1, 16), key=True),
        ParamSpec("mask_zero", "bool", False, "treat token id 0 as padding to be skipped by recurrent layers"),
        *regularizer_params("embeddings_regularizer", "activity_regularizer"),
    ),
    infer=_embedding_infer,
    keras=lambda p: [KerasObj("layers.Embedding", pick(p, "input_dim", "output_dim", "mask_zero")
                              | regularizer_kwargs(p))],
    input_ranks=(1,),
    doc="Turns integer token ids into learned dense vectors: a lookup table with one row per token.",
)


RESCALING = LayerSpec(
    id="Rescaling",
    title="Rescaling",
    category="Core",
    params=(
        ParamSpec("scale", "float", 1 / 255, "multiply every input by this", fuzz=(0.5, 2.0), key=True),
        ParamSpec("offset", "float", 0.0, "then add this", fuzz=(0.0, 1.0)),
    ),
    infer=lambda p, s: Inferred([one_input(s, "Rescaling")], flops=2 * prod(s[0]) if s else 0),
    keras=lambda p: [KerasObj("layers.Rescaling", pick(p, "scale", "offset"))],
    doc="Scales inputs inside the model, e.g. pixel values 0..255 to 0..1, so exported models take raw data.",
)

SPECS = (INPUT, DENSE, EMBEDDING, RESCALING)
