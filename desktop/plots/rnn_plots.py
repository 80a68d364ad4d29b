"""Plots of the RNN inspector: time x units heatmaps (``ImageItem`` with a colour bar) for the hidden state and the
gates, and ||dL/dh_t|| per time step on a log axis, several traces overlaid (SimpleRNN vs LSTM on one sample)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.plots.export import Exportable, csv_text, export_button, matrix_text, overlay_button, stem
from desktop.plots.gan_curves import LogAxis, add_legend, cache_axes

COLORS = ("#2f7cf6", "#e8590c", "#2b9348", "#c2255c", "#7048e8", "#0c8599")
SIGNED = "CET-D1"
"""Diverging map for values around 0 (hidden states, tanh candidates)."""
UNIT = "viridis"
"""Sequential map for gate activations in [0, 1]."""


class Heatmap(QWidget, Exportable):
    """An ``(T, units)`` array drawn with time to the right and units downwards, with its colour bar.

    CSV: as drawn, one row per unit (0..) and one column per time step (1..T)."""

    def __init__(self, title: str, signed: bool = True) -> None:
        super().__init__()
        self.caption = QLabel(f"<b>{title}</b>")
        self.stem = "rnn_" + stem(" ".join(title.split()[:2]))  # "Hidden state hₜ" -> rnn_hidden_state
        self.plot = pg.PlotWidget(background=None)
        self.item: pg.PlotItem = self.plot.getPlotItem()
        self.item.setLabel("bottom", "time step")
        self.item.setLabel("left", "unit")
        self.item.invertY(True)
        cache_axes(self.item)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.item.addItem(self.image)
        self.signed = signed
        limits = (-1.0, 1.0) if signed else (0.0, 1.0)
        self.bar = pg.ColorBarItem(values=limits, colorMap=SIGNED if signed else UNIT, width=14, interactive=False)
        self.bar.setImageItem(self.image, insert_in=self.item)
        self.values: np.ndarray | None = None
        self.setMinimumSize(200, 150)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(1)
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(export_button(self))
        box.addLayout(top)
        box.addWidget(self.plot, 1)

    def export_stem(self) -> str:
        return self.stem

    def export_target(self) -> QWidget:
        return self.plot

    def export_csv(self) -> str:
        values = np.zeros((0, 0)) if self.values is None else self.values
        steps, units = values.shape
        return matrix_text(values.T, list(range(units)), list(range(1, steps + 1)), "unit \\ time step")

    def show_values(self, values: np.ndarray) -> None:
        """``values`` is ``(T, units)``; the image is its transpose (rows = units, columns = time steps)."""
        self.values = np.asarray(values, dtype="float32")
        image = self.values.T
        if self.signed:
            top = float(np.nanmax(np.abs(image))) if image.size else 1.0
            levels = (-max(top, 1e-6), max(top, 1e-6))
        else:
            levels = (0.0, 1.0)
        self.image.setImage(image, autoLevels=False)
        self.bar.setLevels(levels)
        steps, units = self.values.shape
        self.image.setRect(QRectF(0.5, -0.5, steps, units))  # column t is centred on time step t (1..T)
        self.item.setRange(xRange=(0.5, steps + 0.5), yRange=(-0.5, units - 0.5), padding=0.0)

    @property
    def shape(self) -> tuple[int, int] | None:
        """``(time steps, units)`` of what is shown."""
        if self.values is None:
            return None
        steps, units = self.values.shape
        return int(steps), int(units)


class GradientThroughTime(pg.PlotWidget, Exportable):
    """||dL/dh_t|| at each time step (1..T) on a log axis, one curve per inspected variant.

    CSV: ``time step`` and one column per trace, every step as fed (a zero the log axis leaves out included)."""

    def __init__(self) -> None:
        super().__init__(background=None, axisItems={"left": LogAxis("left")})
        item = self.getPlotItem()
        item.setTitle("‖∂L/∂hₜ‖ per time step (log)", size="9pt")
        item.setLabel("bottom", "time step")
        item.setLabel("left", "gradient norm")
        item.getAxis("left").enableAutoSIPrefix(False)
        cache_axes(item)
        item.showGrid(x=True, y=True, alpha=0.18)
        item.setLogMode(False, True)
        add_legend(item).setOffset((8, 8))  # top left: gradients fade towards the early steps
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.norms: dict[str, np.ndarray] = {}
        self.setMinimumHeight(160)
        overlay_button(self, self)

    def export_stem(self) -> str:
        return "rnn_gradient_through_time"

    def export_csv(self) -> str:
        steps = max((len(y) for y in self.norms.values()), default=0)
        return csv_text({"time step": np.arange(1, steps + 1), **self.norms})

    def show_trace(self, label: str, norms: np.ndarray) -> None:
        """Draw (or replace) the curve ``label``; steps whose gradient is exactly zero are left out."""
        y = np.asarray(norms, dtype="float64")
        self.norms[label] = y
        x = np.arange(1, len(y) + 1, dtype="float64")
        keep = np.isfinite(y) & (y > 0)
        curve = self.curves.get(label)
        if curve is None:
            color = COLORS[len(self.curves) % len(COLORS)]
            curve = self.getPlotItem().plot([], [], name=label, pen=pg.mkPen(color, width=1.8), symbol="o",
                                            symbolSize=5, symbolBrush=color, symbolPen=None)
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.curves[label] = curve
        curve.setData(x[keep], y[keep])

    def clear_traces(self) -> None:
        item = self.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
        item.legend.clear()
        self.curves, self.norms = {}, {}

    def points(self, label: str) -> int:
        x, _ = self.curves[label].getData()
        return 0 if x is None else len(x)
