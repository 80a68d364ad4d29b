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
    pad_before,
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
        raise ShapeError(f"{title}: use strides above 1 or a dilation rate above 1, not both (Keras's Conv2D "
                         "refuses the combination); set one of them back to 1")


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
        pads = [pad_before(shape[a], k[a], s[a], d[a], mode) for a in range(2)]
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
                     "without more weights)", minimum=1, maximum=16, length=length, fuzz=(1, 2))


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
    channels = known_last(shape, "Conv1D")
    k, s, d = p["kernel_size"], p["strides"], p["dilation_rate"]
    steps = conv_length(shape[0], k[0], s[0], d[0], p["padding"], "Conv1D")
    filters = p["filters"]
    weights = k[0] * channels * filters + (filters if p["use_bias"] else 0)
    pad = pad_before(shape[0], k[0], s[0], d[0], p["padding"])
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



def _image_input(shapes: list[Shape], title: str) -> tuple[Shape, int]:
    shape = one_input(shapes, title)
    need_rank(shape, (3,), title, "images are (height, width, channels); use Reshape to add a channel axis")
    return shape, known_last(shape, title)


def _window_2d(p: Params, shape: Shape, title: str) -> tuple[tuple[int | None, ...], list[int]]:
    """Output height/width and the 'same' padding offsets of a valid/same 2-D window."""
    k, s, d, mode = p["kernel_size"], p["strides"], p["dilation_rate"], p["padding"]
    out = tuple(conv_length(shape[a], k[a], s[a], d[a], mode, title) for a in range(2))
    pads = [pad_before(shape[a], k[a], s[a], d[a], mode) for a in range(2)]
    return out, pads


def _transpose_length(n: int | None, kernel: int, stride: int, padding: str) -> int | None:
    if n is None:
        return None
    return n * stride if padding == "same" else (n - 1) * stride + max(kernel, stride)


def _conv2d_transpose_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape, channels = _image_input(shapes, "Conv2DTranspose")
    k, s, filters = p["kernel_size"], p["strides"], p["filters"]
    out = tuple(_transpose_length(shape[a], k[a], s[a], p["padding"]) for a in range(2))
    weights = k[0] * k[1] * channels * filters + (filters if p["use_bias"] else 0)
    flops = 2 * prod(shape[:2]) * filters * k[0] * k[1] * channels
    return Inferred([(*out, filters)], trainable=weights, flops=flops)


CONV2D_TRANSPOSE = LayerSpec(
    id="Conv2DTranspose",
    title="Conv2DTranspose",
    category="Convolution",
    params=(
        ParamSpec("filters", "int", 32, "number of feature maps (output channels)", minimum=1, maximum=65536,
                  fuzz=(1, 9), key=True),
        _kernel((3, 3), 2),
        ParamSpec("strides", "ints", (2, 2), "upsampling factor: 2 doubles height and width", minimum=1,
                  maximum=16, length=2, fuzz=(1, 3)),
        ParamSpec("padding", "choice", "same", "same: output is input x stride; valid: a little larger",
                  choices=("valid", "same"), key=True),
        activation_param("relu"),
        ParamSpec("use_bias", "bool", True, "add a learned offset per filter"),
        initializer_param(),
        *regularizer_params(),
    ),
    infer=_conv2d_transpose_infer,
    keras=lambda p: [KerasObj("layers.Conv2DTranspose", pick(p, "filters", "kernel_size", "strides", "padding",
                                                                 "activation", "use_bias", "kernel_initializer")
                              | regularizer_kwargs(p))],
    input_ranks=(3,),
    doc="A learned upsampling, sometimes called deconvolution: each input pixel stamps a learned filter onto "
    "a larger output, stride apart. Generators and segmentation decoders use it to grow small feature maps "
    "back into images. Strides that do not divide the kernel size can leave a checkerboard pattern. The "
    "receptive field is not tracked through it.",
)


def _depthwise_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape, channels = _image_input(shapes, "DepthwiseConv2D")
    _check_stride_dilation(p, "DepthwiseConv2D")
    out, pads = _window_2d(p, shape, "DepthwiseConv2D")
    k, m = p["kernel_size"], p["depth_multiplier"]
    weights = k[0] * k[1] * channels * m + (channels * m if p["use_bias"] else 0)
    flops = 2 * prod(out) * channels * m * k[0] * k[1]
    return Inferred([(*out, channels * m)], trainable=weights, flops=flops,
                    rf=rf_for(k, p["strides"], p["dilation_rate"], pads))


_MULTIPLIER = ParamSpec("depth_multiplier", "int", 1, "filters per input channel", minimum=1, maximum=64,
                        fuzz=(1, 3))
_PADDING = ParamSpec("padding", "choice", "valid", "border handling: valid (none) or same (zeros)",
                     choices=("valid", "same"), key=True)

DEPTHWISE_CONV2D = LayerSpec(
    id="DepthwiseConv2D",
    title="DepthwiseConv2D",
    category="Convolution",
    params=(
        _kernel((3, 3), 2),
        _strides(2),
        _PADDING,
        _MULTIPLIER,
        _dilation(2),
        activation_param("relu"),
        ParamSpec("use_bias", "bool", True, "add a learned offset per output channel"),
        initializer_param(name="depthwise_initializer"),
        *regularizer_params("depthwise_regularizer", "bias_regularizer", "activity_regularizer"),
    ),
    infer=_depthwise_infer,
    keras=lambda p: [KerasObj("layers.DepthwiseConv2D", pick(p, "kernel_size", "strides", "padding",
                                                                 "depth_multiplier", "dilation_rate", "activation",
                                                                 "use_bias", "depthwise_initializer")
                              | regularizer_kwargs(p))],
    input_ranks=(3,),
    doc="A convolution that filters each channel on its own and never mixes channels: C channels in give "
    "C x depth_multiplier channels out, with k·k weights per filter instead of k·k·C. Cheap spatial "
    "filtering, the first half of a separable convolution (as in MobileNet). Like Conv2D (stricter than "
    "Keras here), strides and dilation above 1 cannot be combined.",
)


def _separable_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape, channels = _image_input(shapes, "SeparableConv2D")
    _check_stride_dilation(p, "SeparableConv2D")
    out, pads = _window_2d(p, shape, "SeparableConv2D")
    k, m, filters = p["kernel_size"], p["depth_multiplier"], p["filters"]
    weights = k[0] * k[1] * channels * m + channels * m * filters + (filters if p["use_bias"] else 0)
    flops = 2 * prod(out) * channels * m * (k[0] * k[1] + filters)
    return Inferred([(*out, filters)], trainable=weights, flops=flops,
                    rf=rf_for(k, p["strides"], p["dilation_rate"], pads))


SEPARABLE_CONV2D = LayerSpec(
    id="SeparableConv2D",
    title="SeparableConv2D",
    category="Convolution",
    params=(
        ParamSpec("filters", "int", 32, "number of output channels", minimum=1, maximum=65536, fuzz=(1, 9),
                  key=True),
        _kernel((3, 3), 2),
        _strides(2),
        _PADDING,
        _MULTIPLIER,
        _dilation(2),
        activation_param("relu"),
        ParamSpec("use_bias", "bool", True, "add a learned offset per filter"),
        initializer_param(name="depthwise_initializer"),
        initializer_param(name="pointwise_initializer"),
        *regularizer_params("depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
                            "activity_regularizer"),
    ),
    infer=_separable_infer,
    keras=lambda p: [KerasObj("layers.SeparableConv2D", pick(p, "filters", "kernel_size", "strides", "padding",
                                                                 "depth_multiplier", "dilation_rate", "activation",
                                                                 "use_bias", "depthwise_initializer",
                                                                 "pointwise_initializer")
                              | regularizer_kwargs(p))],
    input_ranks=(3,),
    doc="A convolution split in two: first a depthwise step filters each channel on its own, then a 1x1 "
    "pointwise step mixes the channels. It sees the same window as Conv2D with far fewer weights and "
    "FLOPs (about k·k times fewer for many filters). Like Conv2D (stricter than Keras here), strides and "
    "dilation above 1 cannot be combined.",
)

SPECS = (CONV2D, CONV1D, CONV2D_TRANSPOSE, DEPTHWISE_CONV2D, SEPARABLE_CONV2D)
