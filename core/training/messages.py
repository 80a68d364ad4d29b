"""Typed messages from a training worker to the parent (sent over a multiprocessing pipe between our processes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

PHASES = ("starting", "loading data", "building", "compiling", "training", "finished")


@dataclass(frozen=True)
class Phase:
    """The worker moved to another phase (``compiling`` covers graph tracing up to the first batch)."""

    phase: str
    detail: str = ""


@dataclass(frozen=True)
class BatchEnd:
    epoch: int
    batch: int
    step: int
    logs: dict[str, float]
    batches: int
    """Batches per epoch (for progress and ETA)."""


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    logs: dict[str, float]
    seconds: float
    epochs: int


@dataclass(frozen=True)
class Gradients:
    """Per-layer gradient L2 norms (layer = node name), their global norm and the health verdict."""

    step: int
    layers: list[str]
    norms: list[float]
    global_norm: float
    health: str = "ok"
    detail: str = ""


@dataclass(frozen=True)
class FeatureMaps:
    """Conv-layer outputs for one fixed sample: node name -> (height, width, channels) array."""

    step: int
    maps: dict[str, np.ndarray]


@dataclass(frozen=True)
class Weights:
    """Per-epoch weight statistics per node: weight and bias histograms (counts, edges), the L2 norm of all
    its weights and the update-to-weight ratio since the previous epoch."""

    epoch: int
    histograms: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    bias_histograms: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    norms: dict[str, float] = field(default_factory=dict)
    update_ratios: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Confusion:
    epoch: int
    matrix: np.ndarray
    classes: list[str]


@dataclass(frozen=True)
class Log:
    level: str
    text: str


@dataclass(frozen=True)
class Checkpoint:
    """Weights and history of a finished epoch are on disk in the run folder."""

    epoch: int
    weights_path: str
    history_path: str


@dataclass(frozen=True)
class Finished:
    logs: dict[str, float]
    epochs_done: int
    stopped: bool
    weights_path: str
    history_path: str
    device: str
    time_to_first_batch: float | None
    seconds: float
    test_logs: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    """The run ended with an error. ``node`` names the layer concerned when known; ``stderr`` is its tail."""

    error: str
    node: str | None = None
    stderr: str = ""
    kind: str = "error"
    """``error``, ``diverged``, ``crashed``, ``data`` or ``graph``."""


Message = (
    Phase | BatchEnd | EpochEnd | Gradients | FeatureMaps | Weights | Confusion | Log | Checkpoint | Finished | Failed
)


def floats(logs: dict[str, Any] | None) -> dict[str, float]:
    """Scalar entries of Keras logs as plain floats (vectors such as per-layer norms are left out)."""
    out: dict[str, float] = {}
    for key, value in (logs or {}).items():
        arr = np.asarray(value)
        if arr.ndim == 0:
            out[key] = float(arr)
    return out
