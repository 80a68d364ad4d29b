"""Pooling layers: windowed max/average pooling, global pooling and nearest/bilinear upsampling."""

from __future__ import annotations

from core.catalog.common import conv_length, need_rank, one_input, pad_before, rf_for
from core.catalog.specs import InferFn, Inferred, KerasObj, LayerSpec, Params, ParamSpec, Shape, prod

_HINTS = {
    1: "sequences are (steps, features); for images use the 2D version",
    2: "images are (height, width, channels); for sequences use the 1D version",
}


def _window_infer(title: str, dims: int) -> InferFn:
    def infer(p: Params, shapes: list[Shape]) -> Inferred:
        shape = one_input(shapes, title)
        need_rank(shape, (dims + 1,), title, _HINTS[dims])
        k, mode = p["pool_size"], p["padding"]
        s = p["strides"] or k
        out = tuple(conv_length(shape[a], k[a], s[a], 1, mode, title) for a in range(dims))
        pads = [pad_before(shape[a], k[a], s[a], 1, mode) for a in range(dims)]
        flops = prod(out) * (shape[-1] or 1) * prod(k)
        return Inferred([(*out, shape[-1])], flops=flops, rf=rf_for(k, s, (1,) * dims, pads))

    return infer


def _window_spec(kind: str, dims: int) -> LayerSpec:
    title = f"{kind}Pooling{dims}D"
    what = "largest value" if kind == "Max" else "average"
    default = (2,) * dims
    params = (
        ParamSpec("pool_size", "ints", default, "window size; 2 halves each side", minimum=1, maximum=64,
                  length=dims, fuzz=(1, 4), key=True),
        ParamSpec("strides", "ints", None, "step between windows; empty means the pool size (no overlap)",
                  minimum=1, maximum=64, length=dims, allow_none=True, fuzz=(1, 3)),
        ParamSpec("padding", "choice", "valid", "valid drops the leftover border, same keeps it (ceil)",
                  choices=("valid", "same")),
    )
    axes = "each window of steps in a sequence" if dims == 1 else "each window of an image, channel by channel"
    use = ("keeps the strongest response, so a feature counts wherever it appears in the window"
           if kind == "Max" else "smooths, keeping the overall level of the window")
    return LayerSpec(
        id=title,
        title=title,
        category="Pooling",
        params=params,
        infer=_window_infer(title, dims),
        keras=lambda p: [KerasObj(f"layers.{title}", {"pool_size": p["pool_size"], "strides": p["strides"],
                                                      "padding": p["padding"]})],
        input_ranks=(dims + 1,),
        doc=f"Takes the {what} of {axes}, and so shrinks it by the stride; it has no weights. The {what} "
        f"{use}. Pooling makes later layers see a wider area for the same kernel size.",
    )


def _global_infer(title: str, dims: int) -> InferFn:
    def infer(p: Params, shapes: list[Shape]) -> Inferred:
        shape = one_input(shapes, title)
        need_rank(shape, (dims + 1,), title, _HINTS[dims])
        out: Shape = (*([1] * dims), shape[-1]) if p["keepdims"] else (shape[-1],)
        return Inferred([out], flops=prod(shape))

    return infer


def _global_spec(kind: str, dims: int) -> LayerSpec:
    title = f"Global{kind}Pooling{dims}D"
    what = "maximum" if kind == "Max" else "average"
    over = "all steps" if dims == 1 else "the whole height and width"
    return LayerSpec(
        id=title,
        title=title,
        category="Pooling",
        params=(ParamSpec("keepdims", "bool", False, "keep the pooled axes with size 1"),),
        infer=_global_infer(title, dims),
        keras=lambda p: [KerasObj(f"layers.{title}", {"keepdims": p["keepdims"]})],
        input_ranks=(dims + 1,),
        doc=f"Takes the {what} of each channel over {over}, leaving one number per channel. A common bridge "
        "from convolutions to Dense layers: unlike Flatten it works for any input size, and it gives the Dense "
        "layer far fewer inputs, so far fewer weights.",
    )


def _upsampling_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "UpSampling2D")
    need_rank(shape, (3,), "UpSampling2D", "images are (height, width, channels)")
    size = p["size"]
    out = tuple(None if n is None else n * k for n, k in zip(shape[:2], size))
    return Inferred([(*out, shape[2])], flops=prod((*out, shape[2])))


UPSAMPLING2D = LayerSpec(
    id="UpSampling2D",
    title="UpSampling2D",
    category="Pooling",
    params=(
        ParamSpec("size", "ints", (2, 2), "how many times larger the height and width become", minimum=1,
                  maximum=32, length=2, fuzz=(1, 3), key=True),
        ParamSpec("interpolation", "choice", "nearest", "nearest repeats pixels; bilinear blends neighbours",
                  choices=("nearest", "bilinear")),
    ),
    infer=_upsampling_infer,
    keras=lambda p: [KerasObj("layers.UpSampling2D", {"size": p["size"], "interpolation": p["interpolation"]})],
    input_ranks=(3,),
    doc="Makes an image larger by repeating (or blending) pixels; no weights. Followed by a convolution it "
    "is a simple alternative to Conv2DTranspose without checkerboard artefacts. The receptive field is "
    "not tracked through it.",
)

SPECS = (
    *(_window_spec(kind, dims) for kind in ("Max", "Average") for dims in (1, 2)),
    *(_global_spec(kind, dims) for kind in ("Max", "Average") for dims in (1, 2)),
    UPSAMPLING2D,
)
