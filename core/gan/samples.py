"""Latent vectors, sample grids, latent interpolation and the sample-diversity (mode-collapse) measures.

Pure NumPy except ``generate`` and ``interpolate``, which call a Keras generator.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def latent(count: int, latent_dim: int, distribution: str = "normal", seed: int = 0) -> np.ndarray:
    """``count`` latent vectors from the prior (standard normal or uniform on [-1, 1]), reproducible by seed."""
    rng = np.random.default_rng(seed)
    if distribution == "normal":
        z = rng.standard_normal((count, latent_dim))
    elif distribution == "uniform":
        z = rng.uniform(-1.0, 1.0, (count, latent_dim))
    else:
        raise ValueError(f"unknown latent distribution {distribution!r}; use 'normal' or 'uniform'")
    return z.astype("float32")


def is_image(sample_shape: tuple[int, ...]) -> bool:
    """Samples shaped (H, W) or (H, W, 1|3) are drawn as pictures; anything else as numbers or points."""
    return len(sample_shape) == 2 or (len(sample_shape) == 3 and sample_shape[-1] in (1, 3))


def tile(samples: np.ndarray, columns: int | None = None, pad: int = 1,
         value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Images ``(n, H, W[, C])`` tiled row by row into one ``(rows*(H+pad)-pad, cols*(W+pad)-pad, C)`` picture.

    Values in ``value_range`` (the real data's, so grids of every step and of real data compare) map to
    [0, 1], clipped; without it the grid's own minimum and maximum are used.
    """
    images = samples if samples.ndim == 4 else samples[..., None]
    n, h, w, c = images.shape
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    lo, hi = value_range or (float(images.min()), float(images.max()))
    scaled = np.clip((images - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(images)
    grid = np.ones((rows * (h + pad) - pad, cols * (w + pad) - pad, c), dtype="float32")
    for i in range(n):
        r, col = divmod(i, cols)
        grid[r * (h + pad) : r * (h + pad) + h, col * (w + pad) : col * (w + pad) + w] = scaled[i]
    return grid


def grid_for(samples: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray | None:
    """The tiled picture for image samples, ``None`` for other samples."""
    return tile(samples, value_range=value_range) if is_image(tuple(samples.shape[1:])) else None


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean Euclidean distance between all pairs of (flattened) samples."""
    flat = x.reshape(len(x), -1).astype("float64")
    sq = (flat * flat).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * flat @ flat.T, 0.0)
    n = len(flat)
    return float(np.sqrt(d2).sum() / max(n * (n - 1), 1))


def nearest_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Symmetric mean nearest-neighbour (Chamfer) distance between two sets of samples."""
    fa = a.reshape(len(a), -1).astype("float64")
    fb = b.reshape(len(b), -1).astype("float64")
    d2 = (fa * fa).sum(1)[:, None] + (fb * fb).sum(1)[None, :] - 2 * fa @ fb.T
    d = np.sqrt(np.maximum(d2, 0.0))
    return float((d.min(1).mean() + d.min(0).mean()) / 2)


def diversity_ratio(generated: np.ndarray, real: np.ndarray) -> float:
    """Spread of generated samples relative to the real data's: near 1 is healthy, near 0 is mode collapse."""
    reference = mean_pairwise_distance(real)
    return mean_pairwise_distance(generated) / reference if reference > 0 else 0.0


def latent_path(z0: np.ndarray, z1: np.ndarray, steps: int, method: str = "slerp") -> np.ndarray:
    """``steps`` latent vectors from ``z0`` to ``z1``: straight (``linear``) or along the great circle (``slerp``).

    Slerp keeps the norm typical of a Gaussian prior, so midpoints do not fall into the low-density centre.
    """
    t: np.ndarray = np.linspace(0.0, 1.0, steps)[:, None]
    if method == "linear":
        return np.asarray((1 - t) * z0 + t * z1, dtype="float32")
    if method != "slerp":
        raise ValueError(f"unknown interpolation {method!r}; use 'linear' or 'slerp'")
    cos = float(np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1) + 1e-12))
    omega = math.acos(min(1.0, max(-1.0, cos)))
    if omega < 1e-6:
        return np.asarray((1 - t) * z0 + t * z1, dtype="float32")
    path = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / math.sin(omega)
    return np.asarray(path, dtype="float32")


def generate(generator: Any, z: np.ndarray) -> np.ndarray:
    """Run the generator in inference mode on latent vectors (no ``predict``: one direct call)."""
    return np.asarray(generator(z, training=False))


def interpolate(generator: Any, z0: np.ndarray, z1: np.ndarray, steps: int = 10, method: str = "slerp") -> np.ndarray:
    """Samples along the latent path between two seeds: ``(steps, *sample_shape)``."""
    return generate(generator, latent_path(np.asarray(z0), np.asarray(z1), steps, method))
