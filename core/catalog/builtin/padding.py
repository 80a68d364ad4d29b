"""Padding layers: add rows and columns around an image, filled with zeros or a mirror of the border."""

from __future__ import annotations

from core.catalog.common import check_mirror, need_rank, one_input
from core.catalog.specs import Inferred, KerasObj, LayerSpec, Params, ParamSpec, RFStep, Shape


def _side(name: str, where: str) -> ParamSpec:
    return ParamSpec(name, "int", 1, f"rows or columns added at the {where}", minimum=0, maximum=1024,
                     fuzz=(0, 3), key=True)


SIDES = (_side("top", "top"), _side("bottom", "bottom"), _side("left", "left"), _side("right", "right"))


def _padded(p: Params, shapes: list[Shape], title: str) -> tuple[Shape, Inferred]:
    shape = one_input(shapes, title)
    need_rank(shape, (3,), title, "it pads images (height, width, channels)")
    h, w, c = shape
    out = (None if h is None else h + p["top"] + p["bottom"], None if w is None else w + p["left"] + p["right"], c)
    return shape, Inferred([out], rf=RFStep(kernel=1, stride=1, pad=p["top"]))


def _pads(p: Params) -> tuple[tuple[int, int], tuple[int, int]]:
    return (p["top"], p["bottom"]), (p["left"], p["right"])


ZERO_PADDING2D = LayerSpec(
    id="ZeroPadding2D",
    title="ZeroPadding2D",
    category="Padding",
    params=SIDES,
    infer=lambda p, s: _padded(p, s, "ZeroPadding2D")[1],
    keras=lambda p: [KerasObj("layers.ZeroPadding2D", {"padding": _pads(p)})],
    input_ranks=(3,),
    doc="Adds a border of zeros around each image, so a following 'valid' convolution or pooling keeps more "
    "of the size, or so that sizes line up before a merge.",
)


def _mirror_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape, result = _padded(p, shapes, "MirrorPadding2D")
    check_mirror(shape[0], p["top"], p["bottom"], p["mode"], "MirrorPadding2D")
    check_mirror(shape[1], p["left"], p["right"], p["mode"], "MirrorPadding2D")
    return result


MIRROR_PADDING2D = LayerSpec(
    id="MirrorPadding2D",
    title="MirrorPadding2D",
    category="Padding",
    params=(
        *SIDES,
        ParamSpec("mode", "choice", "reflect", "reflect mirrors around the edge pixel; symmetric repeats it",
                  choices=("reflect", "symmetric"), key=True),
    ),
    infer=_mirror_infer,
    keras=lambda p: [KerasObj("layerbench.MirrorPadding2D", {"padding": _pads(p), "mode": p["mode"]})],
    input_ranks=(3,),
    doc="Pads each image with a mirror image of its own border instead of zeros, so the edges look natural "
    "to the next convolution (no dark frame); common in style transfer and image-to-image networks. "
    "'reflect' needs the pad smaller than the image side, 'symmetric' at most the side. A Layerbench layer: "
    "a plain-Keras user loading the model needs its class, which the Python export includes.",
)

SPECS = (ZERO_PADDING2D, MIRROR_PADDING2D)
