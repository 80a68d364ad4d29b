"""Messages an RL run streams: small frozen dataclasses, picklable, sent over the worker's pipe.

The GUI appends them to history buffers and redraws on a timer; a headless run prints them. Arrays are
NumPy (Q-table snapshots, rgb frames), everything else plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class EpisodeEnded:
    """One training episode finished. ``loss`` and ``mean_q`` are averages over its updates (NaN if none)."""

    episode: int
    total_steps: int
    ret: float
    length: int
    epsilon: float = float("nan")
    loss: float = float("nan")
    mean_q: float = float("nan")
    entropy: float = float("nan")


@dataclass(frozen=True)
class GradientNorms:
    """Per-layer gradient norms (keyed by node name) at update ``update``, sent every few updates."""

    update: int
    total_steps: int
    norms: dict[str, float] = field(default_factory=dict)
    global_norm: float = 0.0


@dataclass(frozen=True)
class QTableSnapshot:
    """A tabular agent's Q-table and how far it is from the exact solution (``None`` when not computed)."""

    episode: int
    q: NDArray[np.float64]
    value_gap: float | None = None
    policy_match: float | None = None


@dataclass(frozen=True)
class Frame:
    """An rgb_array frame of the training environment (height, width, 3; uint8), sent a few times a second."""

    episode: int
    step: int
    image: NDArray[np.uint8]


@dataclass(frozen=True)
class Evaluated:
    """Greedy evaluation during or after training: mean and standard deviation of the return."""

    total_steps: int
    mean: float
    std: float
    episodes: int


@dataclass(frozen=True)
class RLFinished:
    """The training loop ended: why (``budget``, ``stopped``, ``solved``) and its totals."""

    reason: str
    episodes: int
    total_steps: int
    seconds: float
    best_eval: float | None = None


RLMessage = EpisodeEnded | GradientNorms | QTableSnapshot | Frame | Evaluated | RLFinished
