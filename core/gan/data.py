"""Real samples for a GAN: any dataset source's inputs (labels are ignored) or the ring of Gaussians."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.gan.samples import is_image
from core.gan.toy import ring_of_gaussians

RING = "gan.ring"
"""Source id of the 2-D ring of Gaussians (options: samples, modes, radius, std, seed)."""


def to_unit_range(x: np.ndarray) -> np.ndarray:
    """Scale values linearly to [-1, 1] (what a tanh generator can produce)."""
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        return np.zeros_like(x, dtype="float32")
    return np.asarray((x - lo) / (hi - lo) * 2.0 - 1.0, dtype="float32")


def real_samples(source: str, options: Mapping[str, Any] | None = None, scale: str = "auto") -> np.ndarray:
    """The real data a discriminator sees, as float32.

    ``scale``: ``unit`` maps values to [-1, 1], ``none`` keeps them; ``auto`` does ``unit`` for images only.
    """
    opts = dict(options or {})
    if source == RING:
        return ring_of_gaussians(
            count=int(opts.get("samples", 2000)), modes=int(opts.get("modes", 8)),
            radius=float(opts.get("radius", 2.0)), std=float(opts.get("std", 0.05)), seed=int(opts.get("seed", 0)),
        )
    from core.data.sources import get_source

    x = np.asarray(get_source(source).load(opts).x, dtype="float32")
    if scale == "unit" or (scale == "auto" and is_image(tuple(x.shape[1:]))):
        return to_unit_range(x)
    return x
