"""Typed messages from a training worker to the parent (sent over a multiprocessing pipe between our processes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

PHASES = ("starting", "loading data", "downloading", "building", "compiling", "training", "finished")


@dataclass(frozen=True)
class Phase:
    """The worker moved to another phase (``compiling`` covers graph tracing up to the first batch).

    ``downloading`` is sent repeatedly while a dataset downloads: ``detail`` says ``downloading MNIST: 4.1 / 11.5
    MB`` and ``fraction`` how much is done (None when the size is unknown); ``loading data`` follows once done."""

    phase: str
    detail: str = ""
    fraction: float | None = None


@dataclass(frozen=True)
class Heartbeat:
    """The worker is alive and its main thread is getting on (see ``core.training.heartbeat``); shows nothing."""

    phase: str
    progress: int


@dataclass(frozen=True)
class Device:
    """Where the run actually trains, sent once the model is built (before the first batch).

    ``device`` is TensorFlow's name of the device holding the first weight (``/job:…/device:GPU:0``), ``name``
    the hardware's name when TensorFlow knows it (a GPU model), ``strategy`` the ``tf.distribute`` strategy.
    """

    device: str
    name: str = ""
    strategy: str = ""
    replicas: int = 1

    @property
    def label(self) -> str:
        """``GPU:0 (NVIDIA A100), MirroredStrategy over 2 replicas`` or just ``CPU:0``."""
        text = self.device.rsplit("device:", 1)[-1]
        if self.name and self.name != text:
            text += f" ({self.name})"
        if self.replicas > 1 or self.strategy not in ("", "_DefaultDistributionStrategy"):
            text += f", {self.strategy} over {self.replicas} replica{'s' if self.replicas != 1 else ''}"
        return text


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
    """Spatial layers' outputs for one fixed sample: node name -> (height, width, channels) array. The first
    message of a run also carries ``sample``, the input they come from (downsampled when large)."""

    step: int
    maps: dict[str, np.ndarray]
    sample: np.ndarray | None = None


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
    """``error``, ``diverged``, ``crashed``, ``killed`` (did not stop), ``hung`` (watchdog), ``data`` or ``graph``."""


@dataclass(frozen=True)
class Coalesced:
    """Several ``BatchEnd`` and ``Gradients`` messages sent as one through the pipe, as plain rows: the worker
    gathers them for up to ``heartbeat.COALESCE`` seconds (``heartbeat.Pulse``); the parent's reader hands them
    out one by one, in order (``messages``), so nothing past the pipe sees this type. Rows of ints, lists and
    dicts pickle in a third of the time the dataclasses take (6 against 16 us for ten ``BatchEnd``), and the
    pickling runs on the training thread."""

    rows: tuple[tuple[Any, ...], ...]
    """``(0, epoch, batch, step, logs, batches)`` for a ``BatchEnd``, ``(1, step, layers, norms, global_norm,
    health, detail)`` for a ``Gradients``."""

    @classmethod
    def of(cls, gathered: list[Any]) -> Coalesced:
        return cls(tuple((0, m.epoch, m.batch, m.step, m.logs, m.batches) if type(m) is BatchEnd
                         else (1, m.step, m.layers, m.norms, m.global_norm, m.health, m.detail) for m in gathered))

    def messages(self) -> tuple[BatchEnd | Gradients, ...]:
        return tuple(BatchEnd(*row[1:]) if row[0] == 0 else Gradients(*row[1:]) for row in self.rows)


Message = (
    Phase | Heartbeat | Device | BatchEnd | EpochEnd | Gradients | FeatureMaps | Weights | Confusion | Log | Checkpoint
    | Finished | Failed
)


def floats(logs: dict[str, Any] | None) -> dict[str, float]:
    """Scalar entries of Keras logs as plain floats (vectors such as per-layer norms are left out)."""
    out: dict[str, float] = {}
    for key, value in (logs or {}).items():
        if type(value) is float:  # what Keras hands batch callbacks: no array round trip (runs every batch)
            out[key] = value
            continue
        arr = np.asarray(value)
        if arr.ndim == 0:
            out[key] = float(arr)
    return out
