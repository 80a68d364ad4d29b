"""The training dashboard: the health banner over tabs for metrics, gradients, weights, feature maps and the
confusion matrix. ``refresh`` is called by a ~30 Hz timer and redraws only the visible tab, and only when
its data grew: one metric plot per refresh (the one waiting longest), painted once by Qt's event loop, so the
GUI thread is never busy for long at a time while a run trains (issue #6: p99 gap between 60 Hz ticks).
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
from desktop.plots.base import PaintClock
from desktop.plots.confusion import ConfusionView
from desktop.plots.data import RunCurves
from desktop.plots.feature_maps import FeatureMapView
from desktop.plots.gradients import GradientsView
from desktop.plots.histograms import HistogramView
from desktop.plots.metrics import MetricsView, metric_versions


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
        self._waiting: list[str] = []
        """Metric plots with new data not drawn yet, the longest waiting first."""
        self._all = True
        self.tabs.currentChanged.connect(lambda _i: self.invalidate())  # the tab shown now is drawn whole

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
        self._last = 0.0
        self._all = True

    def refresh(self, runs: list[RunCurves], session: Any, force: bool = False) -> None:
        """Redraw the visible tab from ``runs`` (first = the current run) and the session's latest messages.

        A redraw and the paint it causes may take at most a third of the GUI thread: after a redraw whose
        feeding and painting took ``t`` seconds, the next one waits ``2 t``. On a fast machine that is every
        tick (~30 Hz); on a slow or busy one the plots update less often and the window stays responsive.
        The paint is left to Qt's event loop (one paint per changed plot): painting here as well made every
        plot paint twice, since pyqtgraph's scene asks for another paint after a synchronous one."""
        now = time.perf_counter()
        painted = PaintClock.seconds - self._clock
        if now < self._last + 3 * (self._feed_cost + painted) and not force:
            return
        self._clock = PaintClock.seconds
        self._draw(runs, session, force)
        self._last, self._feed_cost = now, time.perf_counter() - now
        self.last_cost = self._feed_cost + painted

    _last = 0.0
    _feed_cost = 0.0
    _clock = 0.0
    last_cost = 0.0
    """Seconds of the last redraw and the paint of the one before it (what the budget counts)."""

    def _draw(self, runs: list[RunCurves], session: Any, force: bool) -> None:
        if force:
            self.invalidate()
        self._feed(self.tabs.currentWidget(), runs, session)

    def _feed(self, current: QWidget, runs: list[RunCurves], session: Any) -> None:
        """Feed the visible tab (hidden tabs do nothing until shown)."""
        if current is self.metrics:
            self._feed_metrics(runs)
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

    def _feed_metrics(self, runs: list[RunCurves]) -> None:
        """New data redraws one metric plot per refresh, the one waiting longest, so that a refresh (and the
        paint it causes) costs one plot's work however many metrics there are: the GUI thread is never busy
        for long at a time. A user's action (``invalidate``) redraws every plot at once."""
        for name, version in metric_versions(runs).items():
            if self._changed(f"metrics/{name}", version) and name not in self._waiting:
                self._waiting.append(name)
        if self._changed("metrics", tuple(r.key for r in runs)) or self._all:
            names, self._waiting = self._waiting, []
        elif self._waiting:
            names = [self._waiting.pop(0)]
        else:
            return
        self._all = False
        self.metrics.show_runs(runs, only=names)

    def _refresh_features(self, session: Any) -> None:
        msg = session.last_features
        sample = getattr(session, "feature_sample", None)
        if sample is not None and self._changed("feature_sample", id(sample)):
            self.features.set_input(sample)  # the worker's own input: right for any source and sample index
        if msg is not None and self._changed("features", id(msg)):
            self.features.show_maps(msg.step, msg.maps)

    def _refresh_confusion(self, session: Any) -> None:
        msg = session.confusion
        if msg is not None and self._changed("confusion", id(msg)):
            self.confusion.show_confusion(msg)
