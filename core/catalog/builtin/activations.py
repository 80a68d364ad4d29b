"""Activation layers: any activation by name, and the ones with a parameter of their own."""

from __future__ import annotations

from core.catalog.common import ACTIVATIONS, IDENTITY_RF, one_input
from core.catalog.specs import InferFn, Inferred, KerasObj, LayerSpec, Params, ParamSpec, Shape, prod
from core.graph.errors import ShapeError


def _same_shape(title: str, flops_per_element: int = 1) -> InferFn:
    def infer(p: Params, shapes: list[Shape]) -> Inferred:
        shape = one_input(shapes, title)
        return Inferred([shape], flops=flops_per_element * prod(shape), rf=IDENTITY_RF)

    return infer


ACTIVATION = LayerSpec(
    id="Activation",
    title="Activation",
    category="Activation",
    params=(ParamSpec("activation", "choice", "relu", "the function applied to every element", choices=ACTIVATIONS,
                      key=True),),
    infer=_same_shape("Activation"),
    keras=lambda p: [KerasObj("layers.Activation", {"activation": p["activation"]})],
    doc="Applies a nonlinearity to every element. sigmoid squashes to (0, 1), tanh to (-1, 1), ReLU keeps "
    "positives and zeroes negatives, leaky ReLU lets a little of the negatives through, softmax turns a "
    "vector into probabilities that sum to 1. Without nonlinearities, stacked layers collapse into one "
    "linear map.",
)

LEAKY_RELU = LayerSpec(
    id="LeakyReLU",
    title="Leaky ReLU",
    category="Activation",
    params=(ParamSpec("negative_slope", "float", 0.3, "slope for negative inputs (0 gives plain ReLU)",
                      minimum=0.0, maximum=1.0, key=True),),
    infer=_same_shape("Leaky ReLU"),
    keras=lambda p: [KerasObj("layers.LeakyReLU", {"negative_slope": p["negative_slope"]})],
    doc="max(x, a·x): like ReLU, but negative inputs keep a small slope a, so a unit never stops learning "
    "completely (no 'dying ReLU').",
)


def _softmax_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "Softmax")
    axis = p["axis"]
    if axis == 0:
        raise ShapeError("Softmax over axis 0 would mix the samples of a batch; use -1 (the last axis)")
    if not (-len(shape) <= axis < 0 or 0 < axis <= len(shape)):
        raise ShapeError(f"Softmax axis {axis} does not exist in an input of rank {len(shape)}")
    return Inferred([shape], flops=3 * prod(shape), rf=IDENTITY_RF)


SOFTMAX = LayerSpec(
    id="Softmax",
    title="Softmax",
    category="Activation",
    params=(ParamSpec("axis", "int", -1, "the axis whose values become probabilities", minimum=-8, maximum=8,
                      fuzz=(-3, 3)),),
    infer=_softmax_infer,
    keras=lambda p: [KerasObj("layers.Softmax", {"axis": p["axis"]})],
    doc="exp(x_i) / Σ exp(x_j): turns scores into probabilities that sum to one; the usual last layer of a "
    "classifier trained with categorical cross-entropy.",
)

SPECS = (ACTIVATION, LEAKY_RELU, SOFTMAX)
