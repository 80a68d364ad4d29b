"""Target distributions for a dense GAN in two dimensions (points one can plot beside the generated ones)."""

from __future__ import annotations

import numpy as np


def ring_of_gaussians(count: int = 2000, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                      seed: int = 0) -> np.ndarray:
    """``count`` points ``(count, 2)`` from ``modes`` Gaussians evenly spaced on a circle: the classic
    mode-collapse test (a collapsed generator covers one or two of the modes)."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * rng.integers(0, modes, count) / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return (centres + rng.normal(0.0, std, (count, 2))).astype("float32")


def ring_modes(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The centres of ``ring_of_gaussians``, ``(modes, 2)``."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype("float32")


def modes_covered(points: np.ndarray, centres: np.ndarray, std: float = 0.05, sigmas: float = 4.0) -> int:
    """How many modes have at least one generated point within ``sigmas`` standard deviations."""
    d = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=-1)
    return int((d.min(0) < sigmas * std).sum())
