"""Merge layers: elementwise Add/Subtract/Multiply/Average/Maximum and Concatenate, on one multi-edge port.

The shape rules follow Keras exactly: elementwise merges broadcast like NumPy (shapes aligned on the right,
a size of 1 stretches, an unknown size stays unknown); Concatenate needs equal sizes except on its axis.
Stricter than Keras: a merge needs at least two inputs, and Concatenate refuses the batch axis.
"""

from __future__ import annotations

from core.catalog.common import fmt
from core.catalog.specs import InferFn, Inferred, KerasObj, LayerSpec, Params, ParamSpec, PortSpec, Shape, prod
from core.graph.errors import ShapeError

MERGE_PORT = (PortSpec("in", multiple=True, doc="two or more inputs, in the order they were connected"),)


def _count(shapes: list[Shape], title: str, exactly: int | None = None) -> None:
    if exactly is not None and len(shapes) != exactly:
        raise ShapeError(f"{title} takes exactly {exactly} inputs (first minus second), got {len(shapes)}")
    if len(shapes) < 2:
        raise ShapeError(f"{title} combines several inputs but has {len(shapes)}; connect at least two layers")


def broadcast(a: Shape, b: Shape, title: str) -> Shape:
    """Keras's elementwise merge rule for two shapes without the batch axis."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return a
    out: list[int | None] = list(a[: len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1 or i == j:
            out.append(j if i == 1 else i)
        else:
            raise ShapeError(
                f"{title} cannot combine {fmt(a)} with {fmt(b)}: sizes {i} and {j} differ (sizes must be equal "
                "or 1, compared from the right); insert a Dense or Reshape so they match"
            )
    return tuple(out)


def _elementwise(title: str, exactly: int | None = None) -> InferFn:
    def infer(p: Params, shapes: list[Shape]) -> Inferred:
        _count(shapes, title, exactly)
        out = shapes[0]
        for shape in shapes[1:]:
            out = broadcast(out, shape, title)
        return Inferred([out], flops=(len(shapes) - 1) * prod(out))

    return infer


_DOCS = {
    "Add": "Adds its inputs element by element; the heart of residual (skip) connections, where a block's "
    "input is added to its output so gradients have a short path back.",
    "Subtract": "Subtracts the second input from the first, element by element (exactly two inputs; the "
    "order is the order of connection).",
    "Multiply": "Multiplies its inputs element by element, e.g. to gate one signal with another (a sigmoid "
    "output between 0 and 1 acting as a mask).",
    "Average": "Takes the element-wise mean of its inputs, e.g. to combine the predictions of several "
    "branches (a small ensemble).",
    "Maximum": "Keeps the element-wise largest value among its inputs.",
}
_RULE = " Shapes must match, or broadcast: compared from the right, each size must be equal or 1."
_AT_LEAST_TWO = " Needs at least two inputs (Keras would also accept one)."


def _elementwise_spec(name: str) -> LayerSpec:
    exactly = 2 if name == "Subtract" else None
    return LayerSpec(
        id=name,
        title=name,
        category="Merge",
        params=(),
        infer=_elementwise(name, exactly),
        keras=lambda p: [KerasObj(f"layers.{name}")],
        inputs=MERGE_PORT,
        doc=_DOCS[name] + _RULE + ("" if exactly else _AT_LEAST_TWO),
    )


def _concat_axis(axis: int, rank: int) -> int:
    """``axis`` (Keras's numbering, batch = 0) as an index into a shape without the batch axis."""
    if axis == 0 or axis == -(rank + 1):
        raise ShapeError("Concatenate along axis 0 would join samples of the batch; use -1 (the features)")
    if not -rank <= axis <= rank:
        raise ShapeError(f"Concatenate axis {axis} does not exist for inputs of rank {rank}; use -1 (the last)")
    return axis + rank if axis < 0 else axis - 1


def _concatenate_infer(p: Params, shapes: list[Shape]) -> Inferred:
    _count(shapes, "Concatenate")
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        listed = ", ".join(fmt(s) for s in shapes)
        raise ShapeError(f"Concatenate needs inputs of the same rank, got {listed}; use Reshape or Flatten first")
    axis = _concat_axis(p["axis"], rank)
    first = shapes[0]
    for shape in shapes[1:]:
        for i, (a, b) in enumerate(zip(first, shape)):
            if i != axis and a is not None and b is not None and a != b:
                raise ShapeError(
                    f"Concatenate joins along axis {p['axis']}, so every other size must match, but "
                    f"{fmt(first)} and {fmt(shape)} differ at position {i + 1}"
                )
    sizes = [s[axis] for s in shapes]
    joined = None if None in sizes else sum(s for s in sizes if s is not None)
    out = (*first[:axis], joined, *first[axis + 1:])
    return Inferred([out])


CONCATENATE = LayerSpec(
    id="Concatenate",
    title="Concatenate",
    category="Merge",
    params=(ParamSpec("axis", "int", -1, "the axis to join along (-1: the last, i.e. the features)",
                      minimum=-8, maximum=8, fuzz=(-3, 3), key=True),),
    infer=_concatenate_infer,
    keras=lambda p: [KerasObj("layers.Concatenate", {"axis": p["axis"]})],
    inputs=MERGE_PORT,
    doc="Joins its inputs side by side along one axis, e.g. 32 and 64 channels become 96. All other sizes "
    "must be equal. Used to combine branches (Inception, U-Net skip connections) or several kinds of input. "
    "Stricter than Keras: at least two inputs, and never along the batch axis 0.",
)

SPECS = (*(_elementwise_spec(n) for n in _DOCS), CONCATENATE)
