"""The training dashboard: the health banner over tabs for metrics, gradients, weights, feature maps and the
confusion matrix. ``refresh`` is called by a ~30 Hz timer and redraws only the visible tab, and only when
its data grew.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from core.graph.undo import Command
from core.training.config import TrainingConfig
from desktop.panels.health_banner import HealthBanner
from desktop.plots.base import paint_now
from desktop.plots.confusion import ConfusionView
from desktop.plots.data import RunCurves
from desktop.plots.feature_maps import FeatureMapView
from desktop.plots.gradients import GradientsView
from desktop.plots.histograms import HistogramView
from desktop.plots.metrics import MetricsView


def learning_rates(config: TrainingConfig, steps: np.ndarray) -> np.ndarray:
    """The learning rate at each step, from the schedule in ``config`` (as Keras computes it)."""
    opt = config.optimizer
    s = opt.schedule
    steps = np.asarray(steps, dtype="float64")
    rates: np.ndarray = np.full(len(steps), opt.learning_rate)
    if s.kind == "exponential":
        rates = opt.learning_rate * s.decay_rate ** (steps / s.decay_steps)
    elif s.kind == "cosine":
        done = np.minimum(steps, s.decay_steps) / s.decay_steps
        rates = opt.learning_rate * ((1 - s.alpha) * 0.5 * (1 + np.cos(np.pi * done)) + s.alpha)
    return rates


class Dashboard(QWidget):
    def __init__(self, push: Callable[[Command], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.banner = HealthBanner(push)
        self.metrics = MetricsView()
        self.gradients = GradientsView()
        self.histograms = HistogramView()
        self.features = FeatureMapView()
        self.confusion = ConfusionView()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("dashboard_tabs")
        self.tabs.setDocumentMode(True)
        for widget, title in ((self.metrics, "Loss && metrics"), (self.gradients, "Gradients"),
                              (self.histograms, "Weights"), (self.features, "Feature maps"),
                              (self.confusion, "Confusion matrix")):
            self.tabs.addTab(widget, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self._versions: dict[str, Any] = {}

    def add_tab(self, widget: QWidget, title: str) -> None:
        self.tabs.addTab(widget, title)

    def _changed(self, name: str, version: Any) -> bool:
        if self._versions.get(name) == version:
            return False
        self._versions[name] = version
        return True

    def invalidate(self) -> None:
        """Redraw everything at the next refresh, without waiting (a user's action, not new data)."""
        self._versions.clear()
        self._next = 0.0

    def refresh(self, runs: list[RunCurves], session: Any, force: bool = False) -> None:
        """Redraw the visible tab from ``runs`` (first = the current run) and the session's latest messages.

        The redraw (including its paint, done here) may take at most a third of the GUI thread: after a
        redraw that took ``t`` seconds, the next one waits ``2 t``. On a fast machine that is every tick
        (~30 Hz); on a slow or busy one the plots update less often and the window stays responsive."""
        now = time.perf_counter()
        if now < self._next and not force:
            return
        self._draw(runs, session, force)
        cost = time.perf_counter() - now
        self.last_cost = cost
        self._next = now + 3 * cost

    _next = 0.0
    last_cost = 0.0

    def _draw(self, runs: list[RunCurves], session: Any, force: bool) -> None:
        current = self.tabs.currentWidget()
        if force:
            self.invalidate()
        drawn = self._update(current, runs, session)
        if drawn:
            paint_now(current)

    def _update(self, current: QWidget, runs: list[RunCurves], session: Any) -> bool:
        """Feed the visible tab; True when something was redrawn."""
        before = dict(self._versions)
        self._feed(current, runs, session)
        return before != self._versions

    def _feed(self, current: QWidget, runs: list[RunCurves], session: Any) -> None:
        if current is self.metrics:
            version = tuple((r.key, len(r.arrays.get("batch/x", ())), len(r.arrays.get("epoch/x", ()))) for r in runs)
            if self._changed("metrics", version):
                self.metrics.show_runs(runs)
        elif current is self.gradients and runs:
            arrays = runs[0].arrays
            if self._changed("gradients", (runs[0].key, len(arrays.get("grad/x", ())))):
                self.gradients.show_run(arrays)
        elif current is self.histograms and session.weights:
            if self._changed("weights", (id(session.weights), len(session.weights))):
                self.histograms.show_weights(session.weights)
        elif current is self.features:
            self._refresh_features(session)
        elif current is self.confusion:
            self._refresh_confusion(session)

    def _refresh_features(self, session: Any) -> None:
        msg = session.last_features
        if msg is not None and self._changed("features", id(msg)):
            self.features.show_maps(msg.step, msg.maps)

    def _refresh_confusion(self, session: Any) -> None:
        msg = session.confusion
        if msg is not None and self._changed("confusion", id(msg)):
            self.confusion.show_confusion(msg)
