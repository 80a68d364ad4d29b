"""GAN cockpit curves: losses of both networks, D(x) and D(G(z)) with a balance meter, and per-layer gradient
norms of both networks on a log axis.

Curves are made once and fed with ``setData`` from the cockpit's refresh timer, with peak downsampling and
clip-to-view set on each curve (pyqtgraph 0.14 ignores those keyword arguments of ``plot``; FACTS.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QGraphicsItem, QSizePolicy, QWidget

from desktop.plots.export import Exportable, csv_text, overlay_button, stem

COLORS = ("#2f7cf6", "#e8590c", "#2b9348", "#c2255c", "#7048e8", "#0c8599", "#e67700", "#5c940d")
D_COLOR, G_COLOR = "#2f7cf6", "#e8590c"
HEALTHY = (-0.1, 0.6)
"""The band of D(x) - D(G(z)) where both networks still learn: above it D wins and G's gradients fade,
below it G fools D completely."""
BALANCE_WINDOW = 20


class LogAxis(pg.AxisItem):
    """A log axis that labels only 1, 2 and 5 times a power of ten (pyqtgraph's minor labels pile up)."""

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        out = []
        for v in values:
            mantissa = 10 ** (v - np.floor(v))
            nice = round(mantissa) in (1, 2, 5) and abs(mantissa - round(mantissa)) < 0.05
            out.append(f"{10.0 ** v:g}" if nice else "")
        return out


def cache_axes(item: pg.PlotItem) -> None:
    """Keep the axes as pixels: replaying their text on every repaint of the curves cost ~14 ms per axis."""
    for name in ("left", "bottom"):
        item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def add_legend(item: pg.PlotItem) -> pg.LegendItem:
    """A legend on a translucent patch of the window colour (light or dark theme), so curves show through."""
    back = QColor(QApplication.palette().window().color())
    back.setAlpha(200)
    return item.addLegend(offset=(-8, 8), labelTextSize="8pt", brush=pg.mkBrush(back),
                          pen=pg.mkPen(128, 128, 128, 90), labelTextColor=QApplication.palette().windowText().color())


def new_curve(item: pg.PlotItem, name: str, color: str, width: float = 1.0, dashed: bool = False) -> pg.PlotDataItem:
    """A curve with downsampling and clip-to-view set on the curve itself. Width 1 on purpose: measured on
    this stack, a 1.3-wide dashed pen paints 4,000 points in ~770 ms (width 1: ~14 ms) and a 1.6-wide solid
    pen 100,000 points in ~33 ms (width 1: ~11 ms)."""
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    curve = item.plot([], [], name=name, pen=pg.mkPen(color, width=width, style=style))
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    return curve


def finite_positive(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points a log axis can show (zeros and NaN dropped)."""
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    keep = np.isfinite(y) & (y > 0)
    return x[keep], y[keep]


class CurvesPlot(pg.PlotWidget, Exportable):
    """A plot of named curves fed from NumPy arrays; ``show`` sets every curve's data at once.

    CSV: ``step`` and one column per curve (by key), as fed (points a log axis drops included)."""

    def __init__(self, title: str, y_label: str, names: Mapping[str, str], log_y: bool = False) -> None:
        super().__init__(background=None, axisItems={"left": LogAxis("left")} if log_y else None)
        item = self.getPlotItem()
        item.setTitle(title, size="9pt")
        item.setLabel("bottom", "generator step")
        item.setLabel("left", y_label)
        item.showGrid(x=True, y=True, alpha=0.18)
        item.getAxis("left").enableAutoSIPrefix(False)
        cache_axes(item)
        add_legend(item)
        self.log_y = log_y
        item.setLogMode(False, log_y)
        self.curves = {key: new_curve(item, label, COLORS[i % len(COLORS)]) for i, (key, label) in
                       enumerate(names.items())}
        self.setMinimumHeight(150)
        self.stem = f"gan_{stem(title)}"
        self.shown: tuple[np.ndarray, Mapping[str, np.ndarray]] = (np.zeros(0), {})
        overlay_button(self, self)

    def export_stem(self) -> str:
        return self.stem

    def export_csv(self) -> str:
        x, values = self.shown
        return csv_text({"step": x, **{key: values[key] for key in self.curves if key in values}})

    def show_series(self, x: np.ndarray, values: Mapping[str, np.ndarray]) -> None:
        self.shown = (x, values)
        for key, curve in self.curves.items():
            y = values.get(key)
            if y is None:
                continue
            px, py = finite_positive(x, y) if self.log_y else (x[: len(y)], y[: len(x)])
            curve.setData(px, py)

    def points(self, key: str) -> int:
        """How many points the curve ``key`` holds (tests, status)."""
        x, _ = self.curves[key].getData()
        return 0 if x is None else len(x)


class LossPlot(CurvesPlot):
    def __init__(self) -> None:
        super().__init__("Losses", "loss", {"d_loss": "discriminator", "g_loss": "generator"})
        self.curves["d_loss"].setPen(pg.mkPen(D_COLOR))
        self.curves["g_loss"].setPen(pg.mkPen(G_COLOR))


class OutputsPlot(CurvesPlot):
    """Mean D(x) on real data and D(G(z)) on generated data, as probabilities; 0.5 is the equilibrium."""

    def __init__(self) -> None:
        super().__init__("Discriminator outputs", "probability", {"d_real": "D(x)  real", "d_fake": "D(G(z))  fake"})
        self.curves["d_real"].setPen(pg.mkPen("#2b9348"))
        self.curves["d_fake"].setPen(pg.mkPen("#c2255c"))
        item = self.getPlotItem()
        item.addItem(pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen((128, 128, 128), style=Qt.PenStyle.DotLine)))
        item.setYRange(0.0, 1.0, padding=0.02)
        item.vb.setLimits(yMin=-0.05, yMax=1.05)
        item.enableAutoRange(axis="y", enable=False)


class GradientNormsPlot(pg.GraphicsLayoutWidget, Exportable):
    """Per-layer gradient norms of both networks on a log axis (generator solid, discriminator dashed), the
    legend beside the plot so that it never hides a curve. CSV: ``step`` and one column per layer
    (``generator/<node>``, ``discriminator/<node>``)."""

    def __init__(self) -> None:
        super().__init__()
        self.setBackground(None)
        item = self.addPlot(row=0, col=0, axisItems={"left": LogAxis("left")})
        item.setTitle("Gradient norm per layer (G solid, D dashed)", size="9pt")
        item.setLabel("bottom", "generator step")
        item.setLabel("left", "‖∇‖")
        item.getAxis("left").enableAutoSIPrefix(False)  # "(x0.001)" on a log axis misleads
        cache_axes(item)
        item.showGrid(x=True, y=True, alpha=0.18)
        item.setLogMode(False, True)
        self.item: pg.PlotItem = item
        self.legend = pg.LegendItem(labelTextSize="7pt", verSpacing=-6,
                                    labelTextColor=QApplication.palette().windowText().color())
        self.addItem(self.legend, row=0, col=1)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.setMinimumHeight(150)
        self.shown: tuple[np.ndarray, Mapping[str, np.ndarray]] = (np.zeros(0), {})
        overlay_button(self, self)

    def export_stem(self) -> str:
        return "gan_gradient_norms"

    def export_csv(self) -> str:
        x, values = self.shown
        return csv_text({"step": x, **{key: values[key] for key in self.curves if key in values}})

    def set_layers(self, generator: Sequence[str], discriminator: Sequence[str]) -> None:
        """Make one curve per layer (once per run); keys are ``generator/<node>``, ``discriminator/<node>``."""
        item = self.item
        for curve in self.curves.values():
            item.removeItem(curve)
        self.legend.clear()
        self.curves = {}
        for network, layers, dashed in (("generator", generator, False), ("discriminator", discriminator, True)):
            tag = "G" if network == "generator" else "D"
            for i, layer in enumerate(layers):
                curve = new_curve(item, f"{tag} {layer}", COLORS[i % len(COLORS)], dashed=dashed)
                self.curves[f"{network}/{layer}"] = curve
                self.legend.addItem(curve, f"{tag} {layer}")

    def show_series(self, x: np.ndarray, values: Mapping[str, np.ndarray]) -> None:
        self.shown = (x, values)
        for key, y in values.items():
            curve = self.curves.get(key)
            if curve is not None:
                curve.setData(*finite_positive(x, y))

    def points_total(self) -> int:
        """Points over all curves (tests, status)."""
        return sum(len(c.getData()[0] if c.getData()[0] is not None else ()) for c in self.curves.values())


def balance(d_real: np.ndarray, d_fake: np.ndarray, window: int = BALANCE_WINDOW) -> float | None:
    """Mean D(x) - D(G(z)) over the last ``window`` steps, or None before the first step."""
    n = min(len(d_real), len(d_fake))
    if n == 0:
        return None
    gap = d_real[max(0, n - window) : n] - d_fake[max(0, n - window) : n]
    gap = gap[np.isfinite(gap)]
    return float(gap.mean()) if len(gap) else None


def balance_verdict(value: float | None) -> str:
    if value is None:
        return "no steps yet"
    if value > HEALTHY[1]:
        return "D is winning: G's gradients fade"
    if value < HEALTHY[0]:
        return "G fools D: D is not learning"
    return "balanced"


class BalanceMeter(QWidget):
    """A horizontal bar from -1 to 1 showing D(x) - D(G(z)), the healthy band shaded green."""

    def __init__(self) -> None:
        super().__init__()
        self.value: float | None = None
        self.setMinimumHeight(44)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("D(x) - D(G(z)) over the last steps. Near 1: the discriminator wins and the generator "
                        "stops learning; below 0: the generator fools it. The green band is healthy.")

    def set_value(self, value: float | None) -> None:
        if value != self.value:
            self.value = value
            self.update()

    def _x(self, bar: QRectF, v: float) -> float:
        return bar.left() + (min(1.0, max(-1.0, v)) + 1.0) / 2.0 * bar.width()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().windowText().color()
        bar = QRectF(8, 20, self.width() - 16, 14)
        p.fillRect(bar, QColor(128, 128, 128, 50))
        lo, hi = self._x(bar, HEALTHY[0]), self._x(bar, HEALTHY[1])
        p.fillRect(QRectF(lo, bar.top(), hi - lo, bar.height()), QColor(43, 147, 72, 90))
        p.setPen(QPen(text, 1))
        p.drawLine(int(self._x(bar, 0.0)), int(bar.top()) - 2, int(self._x(bar, 0.0)), int(bar.bottom()) + 2)
        label = "D(x) − D(G(z)): " + ("—" if self.value is None else f"{self.value:+.2f}")
        p.drawText(QRectF(8, 0, self.width() - 16, 18), Qt.AlignmentFlag.AlignLeft, label)
        p.drawText(QRectF(8, 0, self.width() - 16, 18), Qt.AlignmentFlag.AlignRight, balance_verdict(self.value))
        if self.value is not None:
            healthy = HEALTHY[0] <= self.value <= HEALTHY[1]
            p.setPen(QPen(QColor("#2b9348" if healthy else "#e03131"), 4))
            x = int(self._x(bar, self.value))
            p.drawLine(x, int(bar.top()) - 3, x, int(bar.bottom()) + 3)
        p.end()
