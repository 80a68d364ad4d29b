"""Shared parameter specs and shape helpers for the builtin layer specs (pure Python)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.catalog.specs import KerasObj, Params, ParamSpec, RFStep, Shape, prod
from core.graph.errors import ShapeError

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "elu", "selu", "gelu", "swish", "softplus")
INITIALIZERS = (
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "random_normal", "random_uniform", "orthogonal", "zeros", "ones",
)  # fmt: skip

IDENTITY_RF = RFStep(kernel=0, stride=1)
"""Marks a layer that keeps the receptive field as it is (activations, normalization, dropout)."""


def activation_param(default: str = "linear", name: str = "activation") -> ParamSpec:
    return ParamSpec(
        name, "choice", default, "the nonlinearity applied to the output", choices=ACTIVATIONS, key=default != "linear"
    )


def initializer_param(default: str = "glorot_uniform", name: str = "kernel_initializer") -> ParamSpec:
    return ParamSpec(name, "choice", default, "how the weights start (He for ReLU, Glorot for tanh/sigmoid)",
                     choices=INITIALIZERS)


NO_REG: dict[str, float] = {"l1": 0.0, "l2": 0.0}


def regularizer_params(*names: str) -> tuple[ParamSpec, ...]:
    docs = {
        "kernel_regularizer": "L1/L2 penalty on the weights (L1 pushes weights to zero, L2 keeps them small)",
        "bias_regularizer": "L1/L2 penalty on the biases",
        "activity_regularizer": "L1/L2 penalty on the layer's output",
        "recurrent_regularizer": "L1/L2 penalty on the recurrent weights",
        "depthwise_regularizer": "L1/L2 penalty on the per-channel (depthwise) filters",
        "pointwise_regularizer": "L1/L2 penalty on the 1x1 (pointwise) filters that mix channels",
        "gamma_regularizer": "L1/L2 penalty on the learned scale (gamma)",
        "beta_regularizer": "L1/L2 penalty on the learned offset (beta)",
        "embeddings_regularizer": "L1/L2 penalty on the learned token vectors",
    }
    names = names or ("kernel_regularizer", "bias_regularizer", "activity_regularizer")
    fuzz = (dict(NO_REG), {"l1": 0.01, "l2": 0.0}, {"l1": 0.0, "l2": 0.001})
    return tuple(ParamSpec(n, "regularizer", dict(NO_REG), docs[n], fuzz=fuzz) for n in names)


def regularizer_kwargs(params: Params) -> dict[str, Any]:
    """Keras kwargs for every regularizer param; a zero penalty becomes ``None`` (no regularizer)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key.endswith("_regularizer"):
            if value["l1"] or value["l2"]:
                out[key] = KerasObj("regularizers.L1L2", {"l1": value["l1"], "l2": value["l2"]})
            else:
                out[key] = None
    return out


def pick(params: Params, *names: str) -> dict[str, Any]:
    """Keras kwargs copied as they are (tuples stay tuples)."""
    return {n: params[n] for n in names}


def fmt(shape: Sequence[int | None]) -> str:
    """A shape as people read it: ``(28, 28, 1)``, ``(None, 64)``."""
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def one_input(shapes: list[Shape], title: str) -> Shape:
    if len(shapes) != 1:
        raise ShapeError(f"{title} takes exactly one input, got {len(shapes)}")
    return shapes[0]


def need_rank(shape: Shape, ranks: Sequence[int], title: str, hint: str = "") -> None:
    if len(shape) not in ranks:
        want = " or ".join(str(r) for r in ranks)
        msg = f"{title} needs an input of rank {want} (without the batch axis) but receives {fmt(shape)}"
        raise ShapeError(msg + (f": {hint}" if hint else ""))


def known_last(shape: Shape, title: str) -> int:
    last = shape[-1]
    if last is None:
        raise ShapeError(f"{title} needs to know the size of the last axis of {fmt(shape)}")
    return last


def conv_length(n: int | None, kernel: int, stride: int, dilation: int, padding: str, title: str) -> int | None:
    """Output length of a convolution or pooling window along one axis (Keras's formula)."""
    if n is None:
        return None
    eff = dilation * (kernel - 1) + 1
    if padding == "same":
        return (n + stride - 1) // stride
    if padding == "causal":
        return (n + stride - 1) // stride
    if n < eff:
        raise ShapeError(
            f"{title}: a window of {eff} does not fit an input of {n} with 'valid' padding; "
            "use 'same' padding or a smaller kernel"
        )
    return (n - eff) // stride + 1


def pad_before(n: int | None, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """Zeros Keras adds before the first window along one axis (places the receptive field's start).

    'same' pads ``max((out - 1)·stride + k_eff - n, 0)`` in total, the smaller half first, so with a stride the
    amount depends on the input length; 'causal' pads everything on the left.
    """
    eff = dilation * (kernel - 1) + 1
    if padding == "causal":
        return eff - 1
    if padding != "same":
        return 0
    if n is None:
        return (eff - 1) // 2
    out = (n + stride - 1) // stride
    return max((out - 1) * stride + eff - n, 0) // 2


def mirror_pads(kernel: int, dilation: int) -> tuple[int, int]:
    """Padding before/after that makes a 'valid' convolution keep the 'same' output size."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def check_mirror(n: int | None, before: int, after: int, mode: str, title: str) -> None:
    if n is None:
        return
    limit = n - 1 if mode == "reflect" else n
    if max(before, after) > limit:
        raise ShapeError(
            f"{title}: {mode} padding of {max(before, after)} needs an input side larger than "
            f"{limit}, but the side is {n}; use zero padding or a smaller kernel"
        )


def dense_flops(inputs: int, units: int, positions: int = 1) -> int:
    return 2 * inputs * units * positions


def rf_for(kernel: Sequence[int], strides: Sequence[int], dilation: Sequence[int], pads: Sequence[int]) -> RFStep:
    """A receptive-field step from the first spatial axis (kernels here are square in practice)."""
    k_eff = dilation[0] * (kernel[0] - 1) + 1
    return RFStep(kernel=k_eff, stride=strides[0], pad=pads[0])


def elements(shape: Shape) -> int:
    return prod(shape)
