"""A live curve plot: curves made once and fed with ``setData`` (peak downsampling, clip to view), a log
scale switch, EMA smoothing drawn over the raw curve (never instead of it), a crosshair readout, and
PNG/CSV export and copy.

pyqtgraph 0.14 ignores ``plot(..., autoDownsample=True, clipToView=True)``; the settings are made on each
curve (FACTS.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGraphicsItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.plots import export
from desktop.plots.decimate import Pyramid, finite_range
from desktop.plots.smoothing import Ema

SAME_CHECK = 4096
"""Curves up to this many points are compared whole before ``setData``; longer ones only grow (live runs), so
their length and end points tell whether they changed."""
LONG = 20_000
"""Curves with at least this many points are drawn from a min/max envelope of what is in view."""
PALETTE = ("#2f7cf6", "#e8590c", "#2b9348", "#c2255c", "#7048e8", "#0c8599", "#e67700", "#5c940d",
           "#862e9c", "#1864ab", "#a61e4d", "#087f5b")


def paint_now(widget: QWidget) -> None:
    """Paint ``widget``'s plots synchronously (``QWidget.repaint`` does not reach a graphics view's viewport)."""
    views = [widget] if isinstance(widget, QGraphicsView) else widget.findChildren(QGraphicsView)
    for view in views:
        if view.isVisible():
            view.viewport().repaint()


class PaintClock:
    """Seconds the plots spent painting, summed: the dashboard counts the paint its redraw caused (done by Qt's
    event loop, once, after the redraw) in its share of the GUI thread."""

    seconds = 0.0


class PlotWidget(pg.PlotWidget):
    """A pyqtgraph ``PlotWidget`` that adds the time of each of its paints to ``PaintClock``."""

    def paintEvent(self, ev: Any) -> None:
        start = time.perf_counter()
        try:
            super().paintEvent(ev)
        finally:
            PaintClock.seconds += time.perf_counter() - start


def same_data(old: tuple[np.ndarray, np.ndarray] | None, x: np.ndarray, y: np.ndarray) -> bool:
    """True when ``(x, y)`` shows what ``old`` showed (``setData`` again would redo the same work)."""
    if old is None or len(old[0]) != len(x) or len(old[1]) != len(y):
        return False
    if len(x) <= SAME_CHECK:
        return bool(np.array_equal(old[0], x, equal_nan=True) and np.array_equal(old[1], y, equal_nan=True))
    return all(np.array_equal(a[[0, -1]], b[[0, -1]], equal_nan=True) for a, b in ((old[0], x), (old[1], y)))


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def style_plot(item: pg.PlotItem, dark: bool = False) -> None:
    fg = foreground(dark)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(fg))
        axis.setTextPen(pg.mkPen(fg))
        axis.enableAutoSIPrefix(False)  # "accuracy (x0.001)" reads worse than plain numbers
        # replaying an axis' text on every repaint of the curves costs more than the curves: cache it as pixels
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    item.showGrid(x=True, y=True, alpha=0.18)


def foreground(dark: bool) -> str:
    return "#c9ced8" if dark else "#3a4150"


def add_legend(item: pg.PlotItem, dark: bool = False) -> pg.LegendItem:
    back = QColor("#23272e" if dark else "#ffffff")
    back.setAlpha(210)
    return item.addLegend(offset=(-8, 8), labelTextSize="8pt", labelTextColor=foreground(dark),
                          brush=pg.mkBrush(back), pen=pg.mkPen(QColor(128, 128, 128, 90)))


@dataclass
class CurveSpec:
    """How one curve looks: legend name, colour, width, dashed, markers (for per-epoch points)."""

    name: str
    color: str
    width: float = 1.5
    dashed: bool = False
    symbol: str | None = None
    smooth: bool = False
    """Draw an EMA over it (when smoothing is on) and show the raw curve faded underneath."""


class LivePlot(QWidget, export.Exportable):
    """One plot with its toolbar. Call ``set_curve`` from a timer; nothing redraws per message.

    ``stem`` names exported files (default: the title); ``csv_source`` replaces the CSV of the curves (a histogram
    exports its bins, not the bin centres it draws)."""

    def __init__(self, title: str, x_label: str, y_label: str, log_y: bool = False, smoothing: bool = True,
                 parent: QWidget | None = None, stem: str | None = None,
                 csv_source: Callable[[], str] | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.stem = stem or export.stem(title)
        self.csv_source = csv_source
        self.widget = PlotWidget(background=None)
        self.item: pg.PlotItem = self.widget.getPlotItem()
        self.item.setLabel("bottom", x_label)
        self.item.setLabel("left", y_label)
        style_plot(self.item, _dark(self))
        self.legend = add_legend(self.item, _dark(self))
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.smoothed: dict[str, pg.PlotDataItem] = {}
        self.specs: dict[str, CurveSpec] = {}
        self.data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._emas: dict[str, Ema] = {}
        self._build_bar(smoothing, log_y)
        self._crosshair()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.bar)
        layout.addWidget(self.widget, 1)
        self.set_log_y(log_y)
        self._follow = True
        self.item.vb.sigRangeChangedManually.connect(self._zoomed)
        self._pyramids: dict[str, Pyramid] = {}
        self._long: dict[str, tuple[pg.PlotDataItem, np.ndarray, np.ndarray]] = {}
        self.item.vb.sigXRangeChanged.connect(self._range_changed)

    # ---- toolbar -------------------------------------------------------------------------------
    def _build_bar(self, smoothing: bool, log_y: bool) -> None:
        self.bar = QHBoxLayout()
        self.bar.setContentsMargins(4, 0, 4, 0)
        self.heading = QLabel(f"<b>{self.title}</b>")
        self.bar.addWidget(self.heading)
        self.bar.addSpacing(8)
        self.log_box = QCheckBox("Log scale")
        self.log_box.setChecked(log_y)
        self.log_box.toggled.connect(self.set_log_y)
        self.smooth_box = QCheckBox("Smooth")
        self.smooth_box.setToolTip("Exponential moving average drawn over the raw curve (which stays visible)")
        self.smooth_weight = QDoubleSpinBox()
        self.smooth_weight.setRange(0.0, 0.999)
        self.smooth_weight.setSingleStep(0.05)
        self.smooth_weight.setDecimals(3)
        self.smooth_weight.setValue(0.9)
        self.smooth_weight.setToolTip("Smoothing weight: 0 = none, closer to 1 = smoother")
        self.smooth_box.toggled.connect(self._smoothing_changed)
        self.smooth_weight.valueChanged.connect(self._smoothing_changed)
        self.readout = QLabel("")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setMinimumWidth(80)
        self.bar.addWidget(self.log_box)
        if smoothing:
            self.bar.addWidget(self.smooth_box)
            self.bar.addWidget(self.smooth_weight)
        else:
            self.smooth_box.hide()
            self.smooth_weight.hide()
        self.bar.addWidget(self.readout, 1)
        self.bar.addWidget(self._export_button())

    def _export_button(self) -> QToolButton:
        button = export.export_button(self)
        actions = self.export_actions()
        self.copy_image_action, self.copy_data_action = actions["Copy image"], actions["Copy data"]
        self.export_menu = button.menu()
        return button

    def set_log_y(self, on: bool) -> None:
        self.item.setLogMode(y=bool(on))
        self._span = None
        if self.log_box.isChecked() != bool(on):
            self.log_box.setChecked(bool(on))

    def _smoothing_changed(self, *_: object) -> None:
        for key, ema in self._emas.items():
            ema.reset(self.smooth_weight.value())
            self._apply_smoothing(key)

    @property
    def smoothing(self) -> bool:
        return self.smooth_box.isChecked() and self.smooth_weight.value() > 0

    # ---- curves --------------------------------------------------------------------------------
    def curve(self, key: str, spec: CurveSpec) -> pg.PlotDataItem:
        """The curve for ``key``, made on first use (with downsampling and clip-to-view on the curve)."""
        existing = self.curves.get(key)
        if existing is not None:
            return existing
        pen = pg.mkPen(spec.color, width=spec.width,
                       style=Qt.PenStyle.DashLine if spec.dashed else Qt.PenStyle.SolidLine)
        kwargs = {"symbol": spec.symbol, "symbolSize": 6, "symbolBrush": spec.color,
                  "symbolPen": None} if spec.symbol else {}
        item = self.item.plot(name=spec.name, pen=pen, **kwargs)
        item.setDownsampling(auto=True, method="peak")
        item.setClipToView(True)
        self.curves[key] = item
        self.specs[key] = spec
        if spec.smooth:
            self._emas[key] = Ema(self.smooth_weight.value())
        return item

    def set_curve(self, key: str, spec: CurveSpec, x: np.ndarray, y: np.ndarray) -> None:
        """Show ``(x, y)`` on the curve ``key``; nothing is redone when the data did not change (per-epoch
        curves with markers are handed over again at every refresh of a live run)."""
        n = min(len(x), len(y))
        x, y = x[:n], y[:n]
        old = self.data.get(key)
        self.data[key] = (x, y)
        item = self.curve(key, spec)
        if spec.symbol != self.specs[key].symbol:
            item.setSymbol(spec.symbol)
            self.specs[key] = spec
        elif same_data(old, x, y):
            return
        self._set_data(key, item, x, y)
        if spec.smooth:
            self._apply_smoothing(key)

    def _set_data(self, key: str, item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
        """``setData``; a long curve (x increasing) gets our incremental min/max envelope of what is in view
        instead of pyqtgraph's downsampling, which re-reads every point on each update."""
        if len(x) < LONG:
            spec = self.specs.get(key)  # smoothing overlays ("~ema") have no spec of their own
            if spec is not None and spec.symbol and not np.isfinite(y).all():
                keep = np.isfinite(y)  # a diverged run's NaN has no place for a marker (pyqtgraph warns)
                x, y = x[keep], y[keep]
            item.setData(x, y)
            return
        pyramid = self._pyramids.get(key)
        if pyramid is None:
            pyramid = self._pyramids[key] = Pyramid()
            item.setDownsampling(auto=False, ds=1)
            item.setClipToView(False)
        pyramid.update(y)
        self._long[key] = (item, x, y)
        (lo, hi), width = self.item.vb.viewRange()[0], max(int(self.item.vb.width()), 200)
        i0 = max(int(np.searchsorted(x, lo)) - 1, 0)
        i1 = min(int(np.searchsorted(x, hi)) + 1, len(x))
        xs, ys = pyramid.view(x, y, i0, i1 if i1 > i0 else len(x), budget=2 * width)
        item.setData(xs, ys)

    def _range_changed(self, *_: object) -> None:
        for key, (item, x, y) in list(self._long.items()):
            self._set_data(key, item, x, y)

    # ---- x range -------------------------------------------------------------------------------
    def _zoomed(self, *_: object) -> None:
        self._follow = False

    def follow_x(self) -> None:
        """Keep all data in view, widening the range in 25 % steps instead of at every new point: each
        range change re-lays the axes, which costs more than drawing the curves. A pan or zoom by hand
        stops following; the plot's auto-range button ("A") resumes it."""
        vb = self.item.vb
        if vb.state["autoRange"][0] is not False or vb.state["autoRange"][1] is not False:
            self._follow = True
            vb.enableAutoRange(x=False, y=False)
            self._span = None
        rect = self._bounds()
        if not self._follow or rect is None:
            return
        (x0, x1), (y0, y1) = rect
        if self._span is not None:
            (vx0, vx1), (vy0, vy1) = self._span
            inside = vx0 <= x0 and x1 <= vx1 and vy0 <= y0 and y1 <= vy1
            tight = (x1 - x0) > 0.25 * (vx1 - vx0) and (y1 - y0) > 0.4 * (vy1 - vy0)
            if inside and tight:
                return
        if y1 - y0 <= 1e-6 * max(abs(y1), 1e-12):  # a flat line (a constant learning rate): show it against 0
            y0, y1 = (0.0, 1.5 * y1) if y1 > 0 and not self.log_box.isChecked() else (y0 - 0.5, y1 + 0.5)
        pad_y = 0.08 * (y1 - y0)
        self._span = ((x0, x0 + 1.25 * max(x1 - x0, 1e-9)), (y0 - pad_y, y1 + pad_y))
        vb.setRange(xRange=self._span[0], yRange=self._span[1], padding=0.0)
        self._range_changed()

    _span: tuple[tuple[float, float], tuple[float, float]] | None = None

    def _bounds(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """Bounds of every visible curve's full data, in view coordinates (log10 on a log axis)."""
        xs: list[float] = []
        ys: list[float] = []
        for key, (x, y) in self.data.items():
            if not len(x) or not self.curves[key].isVisible():
                continue
            pyramid = self._pyramids.get(key)
            lo, hi = pyramid.bounds(y) if pyramid is not None else finite_range(y)
            if np.isfinite(lo):
                xs += [float(x[0]), float(x[-1])]
                ys += [lo, hi]
        if not xs:
            return None
        y0, y1 = min(ys), max(ys)
        if self.log_box.isChecked():
            if y0 <= 0:
                return None
            y0, y1 = float(np.log10(y0)), float(np.log10(y1))
        return (min(xs), max(xs)), (y0, y1)

    def _apply_smoothing(self, key: str) -> None:
        spec, raw = self.specs[key], self.curves[key]
        x, y = self.data.get(key, (np.empty(0), np.empty(0)))
        item = self.smoothed.get(key)
        if not self.smoothing:
            raw.setOpacity(1.0)
            if item is not None:
                item.setVisible(False)
            return
        raw.setOpacity(0.35)
        if item is None:
            item = pg.PlotDataItem(pen=pg.mkPen(spec.color, width=spec.width + 1.0))
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
            self.item.addItem(item)
            self.smoothed[key] = item
        item.setVisible(True)
        self._set_data(key + "~ema", item, x, self._emas[key].update(y)[: len(x)])

    def remove_curves(self, prefix: str = "") -> None:
        for key in [k for k in self.curves if k.startswith(prefix)]:
            self.item.removeItem(self.curves.pop(key))
            self.legend.removeItem(self.specs[key].name)
            smoothed = self.smoothed.pop(key, None)
            if smoothed is not None:
                self.item.removeItem(smoothed)
            self.specs.pop(key, None)
            self.data.pop(key, None)
            self._emas.pop(key, None)
            for k in (key, key + "~ema"):
                self._pyramids.pop(k, None)
                self._long.pop(k, None)

    # ---- crosshair -----------------------------------------------------------------------------
    def _crosshair(self) -> None:
        pen = pg.mkPen(QColor(128, 128, 128, 160), width=1, style=Qt.PenStyle.DotLine)
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        self.hline = pg.InfiniteLine(angle=0, movable=False, pen=pen)
        for line in (self.vline, self.hline):
            line.setVisible(False)
            self.item.addItem(line, ignoreBounds=True)
        self.proxy = pg.SignalProxy(self.widget.scene().sigMouseMoved, rateLimit=30, slot=self._moved)

    def _moved(self, event: tuple[QPointF]) -> None:
        pos = event[0]
        if not self.item.sceneBoundingRect().contains(pos):
            for line in (self.vline, self.hline):
                line.setVisible(False)
            return
        point = self.item.vb.mapSceneToView(pos)
        self.show_readout(point.x(), point.y())

    def show_readout(self, x: float, y: float) -> str:
        """Move the crosshair to ``(x, y)`` (view coordinates) and show the curves' values at ``x``."""
        self.vline.setPos(x)
        self.hline.setPos(y)
        for line in (self.vline, self.hline):
            line.setVisible(True)
        parts = [f"x {x:.4g}"]
        for key, (xs, ys) in list(self.data.items())[:6]:
            if len(xs):
                i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
                parts.append(f"{self.specs[key].name} {ys[i]:.4g}")
        text = "   ".join(parts)
        self.readout.setText(text)
        return text

    # ---- export --------------------------------------------------------------------------------
    def columns(self) -> dict[str, np.ndarray]:
        """Every curve's raw data as CSV columns ``<name> x`` and ``<name>``."""
        out: dict[str, np.ndarray] = {}
        for key, (x, y) in self.data.items():
            name = self.specs[key].name
            out[f"{name} x"] = np.array(x, dtype="float64")
            out[name] = np.array(y, dtype="float64")
        return out

    def export_stem(self) -> str:
        return self.stem

    def export_target(self) -> QWidget:
        return self.widget

    def export_csv(self) -> str:
        return self.csv_source() if self.csv_source is not None else export.csv_text(self.columns())


def _dark(widget: QWidget) -> bool:
    return widget.palette().window().color().lightness() < 128
