"""Loss and every metric, training and validation, per batch and per epoch, for one run or several overlaid.

A run's curves come as a flat dict of arrays, the form ``History.arrays()`` and ``Project.history`` use:
``batch/x`` (steps), ``batch/loss``, ``epoch/x`` (epochs), ``epoch/val_accuracy``... The x axis is in
epochs for both: a batch at step ``s`` sits at ``s / batches_per_epoch``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from desktop.plots.base import CurveSpec, LivePlot, color
from desktop.plots.data import RunCurves, live_arrays, metric_names  # noqa: F401  (re-exported)
from desktop.plots.smoothing import Grow

MAX_SYMBOLS = 100
"""Per-epoch points get markers only up to this many (markers are slow to update by the thousand)."""
TITLES = {"loss": "Loss", "accuracy": "Accuracy", "mae": "Mean absolute error", "mse": "Mean squared error",
          "auc": "AUC", "precision": "Precision", "recall": "Recall", "learning_rate": "Learning rate"}


class MetricsView(QWidget):
    """A grid of plots, one per metric, made as metrics first appear."""

    COLUMNS = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots: dict[str, LivePlot] = {}
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(6)
        self.empty = QLabel("Start a run (or tick runs in the Runs list) to see loss and metrics here.")
        self.empty.setWordWrap(True)
        self.grid.addWidget(self.empty, 0, 0)
        self._keys: set[str] = set()
        self._x: dict[str, tuple[Grow, int]] = {}

    def plot_for(self, metric: str) -> LivePlot:
        plot = self.plots.get(metric)
        if plot is None:
            self.empty.hide()
            title = TITLES.get(metric, metric.replace("_", " ").capitalize())
            plot = LivePlot(title, "epoch", title.lower(), log_y=False, stem=metric)
            plot.setObjectName(f"plot_{metric}")
            i = len(self.plots)
            self.grid.addWidget(plot, i // self.COLUMNS, i % self.COLUMNS)
            self.plots[metric] = plot
        return plot

    def show_runs(self, runs: Sequence[RunCurves], only: Collection[str] | None = None) -> None:
        """Draw ``runs`` (called by the refresh timer); curves of runs no longer listed are removed.
        ``only``: the metrics whose plots to redraw (default all)."""
        keys = {r.key for r in runs}
        for gone in self._keys - keys:
            self._x.pop(gone, None)
            for plot in self.plots.values():
                plot.remove_curves(gone + ":")
        self._keys = keys
        for run in runs:
            arrays = {**run.arrays, **run.extra}
            for metric in metric_names(arrays):
                if only is None or metric in only:
                    self._draw(self.plot_for(metric), run, arrays, metric)
        for metric, plot in self.plots.items():
            if only is None or metric in only:
                plot.follow_x()

    def _epochs(self, run: RunCurves, n: int) -> np.ndarray:
        """Batch steps in epochs, converted incrementally (only new points are divided each tick)."""
        steps = run.arrays["batch/x"]
        n = min(n, len(steps))
        cached = self._x.get(run.key)
        if cached is None or cached[1] != run.batches or len(cached[0]) > n:
            cached = (Grow(), run.batches)
            self._x[run.key] = cached
        grow, batches = cached
        if len(grow) < n:
            grow.extend(steps[len(grow):n] / max(batches, 1))
        return grow.data[:n]

    def _draw(self, plot: LivePlot, run: RunCurves, arrays: Mapping[str, np.ndarray], metric: str) -> None:
        label = "" if run.primary else f"{run.label}: "
        base = color(run.color_index)
        batch_y = arrays.get(f"batch/{metric}")
        if batch_y is not None and len(batch_y) and (run.primary or metric != "learning_rate"):
            x = self._epochs(run, len(batch_y))
            spec = CurveSpec(f"{label}train (batch)" if run.primary else f"{label}train", base, 1.0, smooth=True)
            plot.set_curve(f"{run.key}:batch/{metric}", spec, x, batch_y)
        for name, dashed, title in ((metric, False, "train (epoch)"), (f"val_{metric}", True, "validation")):
            y = arrays.get(f"epoch/{name}")
            if y is None or not len(y) or (name == metric and not run.primary and batch_y is not None):
                continue
            tint = base if not run.primary or dashed else _darker(base)
            title = "schedule" if metric == "learning_rate" else title
            symbol = "o" if run.primary and len(y) <= MAX_SYMBOLS else None
            spec = CurveSpec(f"{label}{title}", tint, 2.0, dashed=dashed, symbol=symbol)
            plot.set_curve(f"{run.key}:epoch/{name}", spec, arrays["epoch/x"][: len(y)], y)


def metric_versions(runs: Sequence[RunCurves]) -> dict[str, tuple[tuple[str, int, int, int], ...]]:
    """Per metric, what its plot shows: each run's key and its numbers of batch, epoch and validation points
    (a plot whose version did not change needs no redraw)."""
    out: dict[str, list[tuple[str, int, int, int]]] = {}
    for run in runs:
        arrays = {**run.arrays, **run.extra}
        for metric in metric_names(arrays):
            out.setdefault(metric, []).append((run.key, *(len(arrays.get(f"{kind}/{name}", ())) for kind, name in
                                                          (("batch", metric), ("epoch", metric),
                                                           ("epoch", f"val_{metric}")))))
    return {metric: tuple(v) for metric, v in out.items()}


def _darker(hex_color: str) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"#{int(r * 0.6):02x}{int(g * 0.6):02x}{int(b * 0.6):02x}"
