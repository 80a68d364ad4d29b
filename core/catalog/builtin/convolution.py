"""Convolution layers. Mirror padding ('reflect', 'symmetric') becomes MirrorPadding2D + a 'valid' conv."""

from __future__ import annotations

from core.catalog.common import (
    activation_param,
    check_mirror,
    conv_length,
    initializer_param,
    known_last,
    mirror_pads,
    need_rank,
    one_input,
    pick,
    regularizer_kwargs,
    regularizer_params,
    rf_for,
)
from core.catalog.specs import Inferred, KerasObj, LayerSpec, Params, ParamSpec, Shape, prod
from core.graph.errors import ShapeError

PADDINGS_2D = ("valid", "same", "reflect", "symmetric")


def _check_stride_dilation(p: Params, title: str) -> None:
    if max(p["strides"]) > 1 and max(p["dilation_rate"]) > 1:
        raise ShapeError(f"{title}: strides above 1 cannot be combined with a dilation rate above 1 in Keras")


def _conv2d_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "Conv2D")
    need_rank(shape, (3,), "Conv2D", "images are (height, width, channels); use Reshape to add a channel axis")
    _check_stride_dilation(p, "Conv2D")
    channels = known_last(shape, "Conv2D")
    k, s, d, mode = p["kernel_size"], p["strides"], p["dilation_rate"], p["padding"]
    pads = [0, 0]
    if mode in ("reflect", "symmetric"):
        for axis in range(2):
            before, after = mirror_pads(k[axis], d[axis])
            check_mirror(shape[axis], before, after, mode, "Conv2D")
            pads[axis] = before
        conv_padding = "same"  # the mirror pads make a 'valid' conv give the 'same' size
    else:
        conv_padding = mode
        if mode == "same":
            pads = [(d[a] * (k[a] - 1)) // 2 for a in range(2)]
    out = tuple(conv_length(shape[a], k[a], s[a], d[a], conv_padding, "Conv2D") for a in range(2))
    filters = p["filters"]
    weights = k[0] * k[1] * channels * filters + (filters if p["use_bias"] else 0)
    flops = 2 * prod(out) * filters * k[0] * k[1] * channels
    return Inferred([(*out, filters)], trainable=weights, flops=flops, rf=rf_for(k, s, d, pads))


def _conv2d_keras(p: Params) -> list[KerasObj]:
    kw = pick(p, "filters", "kernel_size", "strides", "dilation_rate", "activation", "use_bias", "kernel_initializer")
    kw |= regularizer_kwargs(p)
    if p["padding"] in ("reflect", "symmetric"):
        pads = tuple(mirror_pads(p["kernel_size"][a], p["dilation_rate"][a]) for a in range(2))
        return [
            KerasObj("layerbench.MirrorPadding2D", {"padding": pads, "mode": p["padding"]}),
            KerasObj("layers.Conv2D", kw | {"padding": "valid"}),
        ]
    return [KerasObj("layers.Conv2D", kw | {"padding": p["padding"]})]


def _kernel(default: tuple[int, ...], length: int, name: str = "kernel_size", doc: str = "") -> ParamSpec:
    return ParamSpec(name, "ints", default, doc or "window size (1x1 mixes channels only; 3x3 sees neighbours)",
                     minimum=1, maximum=64, length=length, fuzz=(1, 5), key=name == "kernel_size")


def _strides(length: int) -> ParamSpec:
    return ParamSpec("strides", "ints", (1,) * length, "step between windows; 2 halves the size",
                     minimum=1, maximum=16, length=length, fuzz=(1, 3))


def _dilation(length: int) -> ParamSpec:
    return ParamSpec("dilation_rate", "ints", (1,) * length, "spacing between kernel taps (widens the view "
                     "without more weights)", minimum=1, maximum=16, length=length, fuzz=(1, 3))


CONV2D = LayerSpec(
    id="Conv2D",
    title="Conv2D",
    category="Convolution",
    params=(
        ParamSpec("filters", "int", 32, "number of feature maps (output channels)", minimum=1, maximum=65536,
                  fuzz=(1, 9), key=True),
        _kernel((3, 3), 2),
        _strides(2),
        ParamSpec("padding", "choice", "valid", "border handling: valid (none), same (zeros), reflect or "
                  "symmetric (mirror)", choices=PADDINGS_2D, key=True),
        _dilation(2),
        activation_param("relu"),
        ParamSpec("use_bias", "bool", True, "add a learned offset per filter"),
        initializer_param(),
        *regularizer_params(),
    ),
    infer=_conv2d_infer,
    keras=_conv2d_keras,
    input_ranks=(3,),
    doc="Slides small learned filters over the image; each filter produces a feature map that lights up "
    "where its pattern appears. Weights are shared across positions, so it needs far fewer parameters than "
    "Dense. Padding keeps the border (zeros or a mirror of the image), stride skips positions.",
)


def _conv1d_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "Conv1D")
    need_rank(shape, (2,), "Conv1D", "sequences are (steps, features)")
    _check_stride_dilation(p, "Conv1D")
    if p["padding"] == "causal" and p["strides"][0] > 1:
        raise ShapeError("Conv1D: causal padding works only with stride 1")
    channels = known_last(shape, "Conv1D")
    k, s, d = p["kernel_size"], p["strides"], p["dilation_rate"]
    steps = conv_length(shape[0], k[0], s[0], d[0], p["padding"], "Conv1D")
    filters = p["filters"]
    weights = k[0] * channels * filters + (filters if p["use_bias"] else 0)
    pad = 0 if p["padding"] == "valid" else (d[0] * (k[0] - 1)) // 2
    return Inferred([(steps, filters)], trainable=weights, flops=2 * (steps or 1) * filters * k[0] * channels,
                    rf=rf_for(k, s, d, [pad]))


CONV1D = LayerSpec(
    id="Conv1D",
    title="Conv1D",
    category="Convolution",
    params=(
        ParamSpec("filters", "int", 32, "number of output channels", minimum=1, maximum=65536, fuzz=(1, 9),
                  key=True),
        _kernel((3,), 1),
        _strides(1),
        ParamSpec("padding", "choice", "valid", "valid (none), same (zeros) or causal (only the past)",
                  choices=("valid", "same", "causal"), key=True),
        _dilation(1),
        activation_param("relu"),
        ParamSpec("use_bias", "bool", True, "add a learned offset per filter"),
        initializer_param(),
        *regularizer_params(),
    ),
    infer=_conv1d_infer,
    keras=lambda p: [KerasObj("layers.Conv1D", pick(p, "filters", "kernel_size", "strides", "padding",
                                                        "dilation_rate", "activation", "use_bias",
                                                        "kernel_initializer") | regularizer_kwargs(p))],
    input_ranks=(2,),
    doc="A convolution along one axis, for sequences and signals (steps, features): filters slide over "
    "time and detect local patterns.",
)

SPECS = (CONV2D, CONV1D)
