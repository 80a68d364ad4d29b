"""Plot data without widgets (no pyqtgraph import): a run's arrays, metric names, per-layer gradient health.

A run's curves come as a flat dict of arrays, the form ``History.arrays()`` and ``Project.history`` use:
``batch/x`` (steps), ``batch/loss``, ``epoch/x`` (epochs), ``epoch/val_accuracy``, ``grad/<layer>``...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from core.training.health import EXPLODING_NORM, VANISHING_RATIO
from core.training.history import History

HIDDEN = ("grad_global_norm",)
"""Scalar logs shown elsewhere (the gradient plot), not as a metric."""
WEAK_RATIO = 1e-2


@dataclass
class RunCurves:
    """One run to draw: a key, a legend label, its arrays and its batches per epoch."""

    key: str
    label: str
    arrays: Mapping[str, np.ndarray]
    batches: int = 1
    primary: bool = True
    color_index: int = 0
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def live_arrays(history: History) -> dict[str, np.ndarray]:
    """Views (no copies) of a live run's buffers, keyed like ``History.arrays``."""
    out: dict[str, np.ndarray] = {}
    for prefix, series in (("batch", history.batch), ("epoch", history.epoch), ("grad", history.gradients)):
        out[f"{prefix}/x"] = series.x.data
        for name, buf in list(series.values.items()):
            out[f"{prefix}/{name}"] = buf.data
    return out


def metric_names(arrays: Mapping[str, np.ndarray]) -> list[str]:
    """Base metric names in a stable order, loss first (``val_`` prefixes folded into their metric)."""
    names: list[str] = []
    for key in arrays:
        prefix, _, name = key.partition("/")
        if prefix not in ("batch", "epoch") or name == "x" or name in HIDDEN:
            continue
        base = name.removeprefix("val_")
        if base not in names:
            names.append(base)
    return sorted(names, key=lambda n: (n != "loss", n == "learning_rate", n))


def layer_health(norms: Mapping[str, float]) -> dict[str, str]:
    """``ok``, ``weak``, ``vanishing`` or ``exploding`` per layer, against the largest finite norm."""
    finite = [v for v in norms.values() if np.isfinite(v) and v > 0]
    top = max(finite, default=0.0)
    out: dict[str, str] = {}
    for name, value in norms.items():
        if not np.isfinite(value) or value > EXPLODING_NORM:
            out[name] = "exploding"
        elif top <= 0 or value <= 0:
            out[name] = "ok"
        elif value < VANISHING_RATIO * top:
            out[name] = "vanishing"
        elif value < WEAK_RATIO * top:
            out[name] = "weak"
        else:
            out[name] = "ok"
    return out
