"""Live RL curves: episode return with its moving average, episode length, epsilon, loss, mean Q estimate and
per-layer gradient norms of the agent network.

Curves are made once and fed with ``setData`` from ``refresh`` (called by the panel's ~30 Hz timer), with
peak downsampling and clip-to-view set on each curve (FACTS.md); nothing redraws per message.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.plots.base import add_legend, color, style_plot
from desktop.plots.export import Exportable, csv_text, export_button

MA_WINDOW = 50
REDRAW_SHARE = 9.0
"""After ``setData`` calls that took t seconds the next redraw waits REDRAW_SHARE * t: painting the six plots
costs about 3 t more (measured: 13 ms setData, 37 ms paint at 100,000 episodes), so redraws keep to about a
third of the GUI thread."""
PLOTS = (("return", "Episode return"), ("length", "Episode length"), ("epsilon", "Epsilon"),
         ("loss", "Loss"), ("mean_q", "Mean Q estimate"), ("gradients", "Gradient norm per layer"))


def faded(hex_color: str, alpha: int = 110) -> QColor:
    c = QColor(hex_color)
    c.setAlpha(alpha)
    return c


def moving_average(values: np.ndarray, window: int = MA_WINDOW) -> np.ndarray:
    """Trailing mean over up to ``window`` values (shorter at the start), NaNs ignored."""
    if not len(values):
        return values
    finite = np.isfinite(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    n = counts[idx] - counts[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (sums[idx] - sums[lo]) / np.maximum(n, 1), np.nan)


def _curve(item: pg.PlotItem, pen: Any, name: str | None = None) -> pg.PlotDataItem:
    curve = item.plot([], [], pen=pen, name=name)
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    return curve


def snapshot(series: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Equal-length views of a ``core.training.history.Series`` the reader thread appends to."""
    values = {name: buf.data for name, buf in list(series.values.items())}
    x = series.x.data
    n = min([len(x), *(len(v) for v in values.values())])
    return x[:n], {name: v[:n] for name, v in values.items()}


class RLCurves(QWidget, Exportable):
    """Six small plots in a grid; ``refresh(history)`` updates them when the episode count changed.

    CSV: ``episode`` and one column per episode curve (return, its moving average, length, epsilon or entropy,
    loss, mean Q), then ``update`` and one column per layer's gradient norm (padded with blanks)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(None)
        self.items: dict[str, pg.PlotItem] = {}
        for i, (key, title) in enumerate(PLOTS):
            item = self.view.addPlot(row=i // 3, col=i % 3, title=title)
            style_plot(item)
            item.setLabel("bottom", "update" if key == "gradients" else "episode")
            self.items[key] = item
        self.curves: dict[str, pg.PlotDataItem] = {
            "return": _curve(self.items["return"], pg.mkPen(faded(color(0)), width=1)),
            "return_ma": _curve(self.items["return"], pg.mkPen(color(1), width=2)),
            "length": _curve(self.items["length"], pg.mkPen(color(0), width=1)),
            "epsilon": _curve(self.items["epsilon"], pg.mkPen(color(2), width=2)),
            "loss": _curve(self.items["loss"], pg.mkPen(color(3), width=1)),
            "mean_q": _curve(self.items["mean_q"], pg.mkPen(color(4), width=2)),
        }
        legend = add_legend(self.items["return"])
        legend.addItem(self.curves["return"], "return")
        legend.addItem(self.curves["return_ma"], f"mean of last {MA_WINDOW}")
        self.items["gradients"].setLogMode(y=True)
        self.grad_legend: pg.LegendItem | None = None
        self.grad_curves: dict[str, pg.PlotDataItem] = {}
        self._seen = (-1, -1)
        self.shown: dict[str, np.ndarray] = {}
        self.shown_gradients: dict[str, np.ndarray] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(QLabel("<b>Training curves</b>"), 1)
        bar.addWidget(export_button(self))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

    def clear(self) -> None:
        for curve in (*self.curves.values(), *self.grad_curves.values()):
            curve.setData([], [])
        self.items["epsilon"].setTitle("Epsilon")
        self.items["mean_q"].setTitle("Mean Q estimate")
        self._seen = (-1, -1)
        self.shown, self.shown_gradients = {}, {}

    def points(self, key: str = "return") -> int:
        """How many points curve ``key`` holds (before downsampling)."""
        x = self.curves[key].xData
        return 0 if x is None else len(x)

    def set_tabular(self, tabular: bool) -> None:
        """A tabular agent has no network: its gradient plot says so."""
        title = "Gradient norm per layer" + (" — none: a Q-table has no network" if tabular else "")
        self.items["gradients"].setTitle(title)

    def refresh(self, history: Any, force: bool = False) -> bool:
        """Redraw from ``history`` (a ``History``) if it grew; True when something was redrawn.

        Redraws keep to about a third of the GUI thread (``REDRAW_SHARE``): long runs of fast tabular episodes
        would otherwise redraw 100,000 points 30 times a second."""
        seen = (len(history.epoch), len(history.gradients))
        now = time.perf_counter()
        if seen == self._seen or (now < self._next and not force):
            return False
        self._seen = seen
        self._draw(history)
        cost = time.perf_counter() - now
        self._next = now + REDRAW_SHARE * cost
        return True

    _next = 0.0

    def _draw(self, history: Any) -> None:
        x, values = snapshot(history.epoch)
        eps = values.get("epsilon")
        if (eps is None or not np.isfinite(eps).any()) and "entropy" in values:
            values["epsilon"] = values["entropy"]  # a policy-gradient agent explores by its entropy, not epsilon
            self.items["epsilon"].setTitle("Policy entropy")
        for key in ("return", "length", "epsilon", "loss", "mean_q"):
            y = values.get(key)
            if y is not None and np.isfinite(y).any():
                self.curves[key].setData(x, y, connect="finite")
        if len(x) and not np.isfinite(values.get("mean_q", np.zeros(0))).any():
            self.items["mean_q"].setTitle("Mean Q estimate — none: this agent learns a policy")
        self.shown = {"episode": x, **{k: values[k] for k in ("return",) if k in values}}
        if "return" in values:
            self.shown[f"return mean of last {MA_WINDOW}"] = average = moving_average(values["return"])
            self.curves["return_ma"].setData(x, average, connect="finite")
        entropy = values.get("epsilon") is values.get("entropy")
        self.shown.update({"entropy" if k == "epsilon" and entropy else k: values[k]
                           for k in ("length", "epsilon", "loss", "mean_q") if k in values})
        self._gradients(history.gradients)

    def _gradients(self, series: Any) -> None:
        x, values = snapshot(series)
        self.shown_gradients = {"update": x, **{f"gradient {name}": y for name, y in values.items()}}
        for i, (name, y) in enumerate(values.items()):
            curve = self.grad_curves.get(name)
            if curve is None:
                if self.grad_legend is None:
                    self.grad_legend = add_legend(self.items["gradients"])
                curve = _curve(self.items["gradients"], pg.mkPen(color(i), width=1.5), name)
                self.grad_curves[name] = curve
            keep = np.isfinite(y) & (y > 0)
            curve.setData(x[keep], y[keep])

    def export_stem(self) -> str:
        return "rl_curves"

    def export_target(self) -> QWidget:
        return self.view

    def export_csv(self) -> str:
        return csv_text({**self.shown, **self.shown_gradients})
