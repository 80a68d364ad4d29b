"""Gradient health from per-layer gradient norms (pure Python: the GUI colours nodes with it).

Vanishing: the first trainable layer's gradient norm is below ``VANISHING_RATIO`` (1e-4) times the last
layer's. Backpropagation multiplies by each layer's local derivative (at most 0.25 for a sigmoid), so a deep
sigmoid stack shrinks the early gradients geometrically and those layers stop learning.
Exploding: any layer's norm is above ``EXPLODING_NORM`` (1e3), or the first layer's is above
``EXPLODING_RATIO`` (1e4) times the last's: large initial weights or a high learning rate amplify the
gradient on its way back, and steps that big throw the weights out of range.
A non-finite norm counts as exploding. Layers without a gradient (norm 0 exactly, e.g. frozen) are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

VANISHING_RATIO = 1e-4
EXPLODING_RATIO = 1e4
EXPLODING_NORM = 1e3


@dataclass(frozen=True)
class Health:
    status: str
    """``ok``, ``vanishing`` or ``exploding``."""
    detail: str = ""
    layer: str | None = None


def diagnose(layers: Sequence[str], norms: Sequence[float], exploding_norm: float = EXPLODING_NORM) -> Health:
    """The verdict for one set of per-layer norms, ordered from the input side to the output side."""
    pairs = [(name, float(n)) for name, n in zip(layers, norms) if n != 0.0]
    if not pairs:
        return Health("ok")
    for name, norm in pairs:
        if not math.isfinite(norm):
            return Health("exploding", f"the gradient of {name} is not finite", name)
    worst = max(pairs, key=lambda p: p[1])
    if worst[1] > exploding_norm:
        return Health("exploding", f"the gradient norm of {worst[0]} is {worst[1]:.3g} (> {exploding_norm:g})",
                      worst[0])
    (first, g_first), (last, g_last) = pairs[0], pairs[-1]
    if len(pairs) < 2 or g_last == 0.0:
        return Health("ok")
    ratio = g_first / g_last
    if ratio < VANISHING_RATIO:
        return Health("vanishing", f"{first}'s gradient is {ratio:.2g} times {last}'s: early layers barely learn",
                      first)
    if ratio > EXPLODING_RATIO:
        return Health("exploding", f"{first}'s gradient is {ratio:.2g} times {last}'s", first)
    return Health("ok")
