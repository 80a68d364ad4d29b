"""Messages a GAN run streams to the parent (plain dataclasses of numbers and NumPy arrays: picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class GanStarted:
    """Sent once: the shapes, the latent size and a sample of the real data to draw beside the fakes."""

    latent_dim: int
    sample_shape: tuple[int, ...]
    real: np.ndarray
    """Up to a few hundred real samples (for 2-D data: the points of the scatter plot)."""
    g_layers: list[str] = field(default_factory=list)
    d_layers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GanStep:
    """One generator update (after its k discriminator updates): losses and mean discriminator outputs."""

    step: int
    d_loss: float
    g_loss: float
    d_real: float
    """Mean D(x) on real data, as a probability."""
    d_fake: float
    """Mean D(G(z)) on generated data, as a probability."""


@dataclass(frozen=True)
class GanSamples:
    """Generator outputs for the fixed latent seeds (the same seeds every time, so they visibly sharpen)."""

    step: int
    samples: np.ndarray
    """``(count, *sample_shape)``."""
    grid: np.ndarray | None = None
    """Images tiled into one ``(rows*H, cols*W, C)`` picture; ``None`` for non-image samples (e.g. 2-D points)."""


@dataclass(frozen=True)
class GanDiversity:
    """Mode-collapse signal: spread of fresh samples relative to real data's, and how far they are from it."""

    step: int
    ratio: float
    """Mean pairwise distance of generated samples / that of real samples (near 1 is healthy, near 0 collapsed)."""
    distance: float
    """Symmetric mean nearest-neighbour distance between generated and real samples (falls as G learns)."""
    collapsed: bool


@dataclass(frozen=True)
class GanGradients:
    """Per-layer gradient norms of one network (``network`` is 'generator' or 'discriminator')."""

    step: int
    network: str
    layers: list[str]
    norms: np.ndarray


@dataclass(frozen=True)
class GanInterpolation:
    """Generator outputs along a path between two fixed latent seeds, sent after training."""

    samples: np.ndarray
    grid: np.ndarray | None
    method: str


@dataclass(frozen=True)
class GanFinished:
    """The run ended (``stopped`` when the stop flag ended it early)."""

    steps: int
    stopped: bool
    export_path: str | None = None
    weights_dir: str | None = None


GanMessage = GanStarted | GanStep | GanSamples | GanDiversity | GanGradients | GanInterpolation | GanFinished
