"""Reshape layers: Flatten, Reshape, Permute, RepeatVector. They move values around and learn nothing."""

from __future__ import annotations

from core.catalog.common import fmt, need_rank, one_input
from core.catalog.specs import Inferred, KerasObj, LayerSpec, Params, ParamSpec, Shape, prod
from core.graph.errors import ShapeError


def _flatten_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "Flatten")
    size = None if None in shape else prod(shape)
    return Inferred([(size,)])


FLATTEN = LayerSpec(
    id="Flatten",
    title="Flatten",
    category="Reshape",
    params=(),
    infer=_flatten_infer,
    keras=lambda p: [KerasObj("layers.Flatten")],
    doc="Lays all values of one sample out in a single row, e.g. a 7x7x64 feature map becomes 3136 numbers, "
    "so that a Dense layer can look at all of them. If any axis has an unknown length the flat length is "
    "unknown too, and a following Dense cannot be built.",
)


def _check_target(target: Shape) -> None:
    if target.count(-1) > 1:
        raise ShapeError(f"Reshape: only one size may be -1 (meaning 'whatever is left'), got {fmt(target)}")
    if any(d is None or (d < 1 and d != -1) for d in target):
        raise ShapeError(f"Reshape: sizes must be positive, or -1 for one of them; got {fmt(target)}")


def _reshape_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "Reshape")
    target: Shape = tuple(p["target_shape"])
    _check_target(target)
    if None in shape:
        if -1 not in target:
            raise ShapeError(
                f"Reshape: the input {fmt(shape)} has an axis of unknown length, so the target must contain -1 "
                "for the size that follows from it"
            )
        return Inferred([tuple(None if d == -1 else d for d in target)])
    size, known = prod(shape), prod([d for d in target if d != -1])
    if -1 in target:
        if size % known:
            raise ShapeError(
                f"Reshape: {fmt(shape)} holds {size} values, which cannot be split into {fmt(target)} "
                f"({size} is not a multiple of {known})"
            )
        return Inferred([tuple(size // known if d == -1 else d for d in target)])
    if size != known:
        raise ShapeError(
            f"Reshape: {fmt(shape)} holds {size} values but {fmt(target)} holds {known}; the count must stay "
            "the same (use -1 for one size to have it computed)"
        )
    return Inferred([target])


RESHAPE = LayerSpec(
    id="Reshape",
    title="Reshape",
    category="Reshape",
    params=(
        ParamSpec("target_shape", "shape", (-1, 1), "the new shape without the batch axis; one size may be -1",
                  minimum=-1, key=True,
                  fuzz=((-1,), (-1, 1), (1, -1), (4, -1), (2, 2, -1), (-1, 2, 2), (2, 3), (4, 4), (12,))),
    ),
    infer=_reshape_infer,
    keras=lambda p: [KerasObj("layers.Reshape", {"target_shape": tuple(p["target_shape"])})],
    doc="Rearranges the same values into a new shape, for instance 784 numbers into a 28x28x1 image. The "
    "number of values must stay the same; one size may be -1 and is then computed. Stricter than Keras: "
    "when the input has an axis of unknown length the target must use -1, because otherwise the sizes "
    "could only be checked while training.",
)


def _permute_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "Permute")
    dims = tuple(p["dims"])
    want = tuple(range(1, len(shape) + 1))
    if tuple(sorted(dims)) != want:
        raise ShapeError(
            f"Permute: dims must list each axis of {fmt(shape)} exactly once, counting from 1 "
            f"(e.g. {fmt(tuple(reversed(want)))}), got {fmt(dims)}"
        )
    return Inferred([tuple(shape[d - 1] for d in dims)])


PERMUTE = LayerSpec(
    id="Permute",
    title="Permute",
    category="Reshape",
    params=(
        ParamSpec("dims", "ints", (2, 1), "new order of the axes, counted from 1 (the batch axis stays first)",
                  minimum=1, maximum=8, key=True,
                  fuzz=((2, 1), (1, 2), (1, 3, 2), (3, 2, 1), (2, 3, 1), (3, 1, 2), (2, 1, 3), (2, 2), (1,))),
    ),
    infer=_permute_infer,
    keras=lambda p: [KerasObj("layers.Permute", {"dims": tuple(p["dims"])})],
    input_ranks=(2, 3),
    doc="Swaps axes around, like a transpose: dims (2, 1) turns (steps, features) into (features, steps). "
    "Axes are numbered from 1 because the batch axis 0 never moves.",
)


def _repeat_infer(p: Params, shapes: list[Shape]) -> Inferred:
    shape = one_input(shapes, "RepeatVector")
    need_rank(shape, (1,), "RepeatVector", "it repeats a vector; use Flatten or global pooling first")
    return Inferred([(p["n"], shape[0])])


REPEAT_VECTOR = LayerSpec(
    id="RepeatVector",
    title="RepeatVector",
    category="Reshape",
    params=(ParamSpec("n", "int", 4, "how many times to repeat the vector (the new number of steps)", minimum=1,
                      maximum=100_000, fuzz=(1, 6), key=True),),
    infer=_repeat_infer,
    keras=lambda p: [KerasObj("layers.RepeatVector", {"n": p["n"]})],
    input_ranks=(1, 2),
    doc="Repeats a vector n times to make a sequence (n, features); the usual bridge from an encoder's "
    "summary vector to a recurrent decoder that emits one step per repeat.",
)

SPECS = (FLATTEN, RESHAPE, PERMUTE, REPEAT_VECTOR)
