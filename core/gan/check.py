"""Pure-Python checks that a generator and a discriminator fit together as a GAN (no TensorFlow)."""

from __future__ import annotations

from dataclasses import dataclass

from core.catalog.common import fmt
from core.catalog.specs import Shape
from core.graph.errors import GraphError, ShapeError
from core.graph.model import Graph
from core.translate.shapes import GraphInfo, infer_graph


class GanShapeError(ShapeError):
    """The two networks of a GAN do not fit together; the message names both shapes."""


@dataclass(frozen=True)
class GanShapes:
    """What the check found: the latent size and the shape of one sample (generator output = D input)."""

    latent_dim: int
    sample_shape: tuple[int, ...]


def _single(info: GraphInfo, role: str) -> tuple[Shape, Shape, str, str]:
    if info.errors:
        first = info.errors[0]
        raise GraphError(f"the {role} is not valid: {first.message}", first.node_id)
    if len(info.inputs) != 1 or len(info.outputs) != 1:
        raise GanShapeError(
            f"the {role} needs exactly one input and one output, it has {len(info.inputs)} input(s) "
            f"and {len(info.outputs)} output(s)"
        )
    in_id, out_id = info.inputs[0], info.outputs[0]
    in_shape, out_shape = info.nodes[in_id].shape, info.nodes[out_id].shape
    assert in_shape is not None
    assert out_shape is not None
    return in_shape, out_shape, in_id, out_id


def check_gan(generator: Graph, discriminator: Graph, latent_dim: int | None = None) -> GanShapes:
    """Refuse a generator/discriminator pair that cannot train together; ``GanShapeError`` says why.

    The generator takes a latent vector ``(latent,)``; its output shape must equal the discriminator's
    input shape; the discriminator ends in a single value (a logit or a probability) per sample.
    """
    g_in, g_out, g_in_id, g_out_id = _single(infer_graph(generator), "generator")
    d_in, d_out, _, d_out_id = _single(infer_graph(discriminator), "discriminator")
    if len(g_in) != 1 or g_in[0] is None:
        raise GanShapeError(f"the generator's input must be a latent vector (latent,), not {fmt(g_in)}", g_in_id)
    if latent_dim is not None and g_in[0] != latent_dim:
        raise GanShapeError(
            f"the latent size is {latent_dim} but the generator's input is {fmt(g_in)}; make them equal", g_in_id
        )
    if None in g_out or None in d_in:
        raise GanShapeError(
            f"generator output {fmt(g_out)} and discriminator input {fmt(d_in)} must have fully known sizes", g_out_id
        )
    if tuple(g_out) != tuple(d_in):
        raise GanShapeError(
            f"the generator makes samples of shape {fmt(g_out)} but the discriminator takes {fmt(d_in)}; "
            "they must be equal",
            g_out_id,
        )
    if tuple(d_out) != (1,):
        raise GanShapeError(
            f"the discriminator must output one value per sample, shape (1,), but its output is {fmt(d_out)}; "
            "end it with Dense(1)",
            d_out_id,
        )
    return GanShapes(latent_dim=int(g_in[0]), sample_shape=tuple(int(d) for d in g_out if d is not None))
