"""Small pictures for the Learn dock, painted with QPainter (no plotting library needed at start-up).

Each diagram has the shared Export menu (PNG, the numbers it draws as CSV, copies of both), on a button shown
while the mouse is over the picture and as its right-click menu.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from desktop.plots.export import Exportable, csv_text, overlay_button, table_text


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


FUNCTIONS: dict[str, Callable[[float], float]] = {
    "linear": lambda x: x,
    "sigmoid": _sigmoid,
    "tanh": math.tanh,
    "relu": lambda x: max(0.0, x),
    "leaky_relu": lambda x: x if x > 0 else 0.2 * x,
    "elu": lambda x: x if x > 0 else math.exp(x) - 1.0,
    "selu": lambda x: 1.0507 * (x if x > 0 else 1.67326 * (math.exp(x) - 1.0)),
    "gelu": lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))),
    "swish": lambda x: x * _sigmoid(x),
    "softplus": lambda x: math.log1p(math.exp(x)),
}


def derivative(f: Callable[[float], float], x: float, h: float = 1e-4) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


class Diagram(QWidget, Exportable):
    """A diagram with the Export menu; subclasses say their file name and the numbers they draw."""

    STEM = "diagram"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        overlay_button(self, self, hover=True)

    def export_stem(self) -> str:
        return self.STEM


class ActivationPlot(Diagram):
    """f(x) (solid) and f'(x) (dashed) on −4..4: the slope is what backpropagation multiplies by."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setMinimumHeight(150)

    def export_stem(self) -> str:
        return f"activation_{self.name}"

    def export_csv(self) -> str:
        xs, ys = zip(*self.points(), strict=True)
        return csv_text({"x": xs, self.name: ys, "slope": [y for _, y in self.points(True)]})

    def sizeHint(self) -> QSize:
        return QSize(280, 170)

    def points(self, derivative_curve: bool = False, n: int = 161) -> list[tuple[float, float]]:
        f = FUNCTIONS[self.name]
        xs = [-4.0 + 8.0 * i / (n - 1) for i in range(n)]
        return [(x, derivative(f, x) if derivative_curve else f(x)) for x in xs]

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(8, 8, -8, -20)
        ys = [y for _, y in self.points()] + [y for _, y in self.points(True)]
        lo, hi = min(min(ys), -1.0), max(max(ys), 1.0)

        def at(x: float, y: float) -> QPointF:
            return QPointF(r.left() + (x + 4) / 8 * r.width(), r.bottom() - (y - lo) / (hi - lo) * r.height())

        text = self.palette().windowText().color()
        p.setPen(QPen(QColor(text.red(), text.green(), text.blue(), 90), 1))
        p.drawLine(at(-4, 0), at(4, 0))
        p.drawLine(at(0, lo), at(0, hi))
        for pts, colour, style in ((self.points(), "#1e88e5", Qt.PenStyle.SolidLine),
                                   (self.points(True), "#e53935", Qt.PenStyle.DashLine)):
            path = QPainterPath(at(*pts[0]))
            for x, y in pts[1:]:
                path.lineTo(at(x, y))
            p.setPen(QPen(QColor(colour), 2, style))
            p.drawPath(path)
        p.setPen(text)
        p.drawText(QRectF(r.left(), r.bottom() + 2, r.width(), 18), Qt.AlignmentFlag.AlignLeft,
                   f"{self.name}(x)   - - slope")
        p.end()


class PaddingDiagram(Diagram):
    """A 4×4 image with a one-pixel border: zeros on the left, a mirror (reflect) on the right."""

    IMAGE = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16))
    STEM = "padding"

    def export_csv(self) -> str:
        """Both padded 6×6 grids, one row per cell."""
        return table_text(["padding", "row", "col", "value"],
                          ([name, r, c, self.cell(r, c, mirror)] for name, mirror in (("zero", False), ("mirror", True))
                           for r in range(6) for c in range(6)))

    def sizeHint(self) -> QSize:
        return QSize(300, 170)

    def cell(self, padded_row: int, padded_col: int, mirror: bool) -> int:
        n = len(self.IMAGE)
        r, c = padded_row - 1, padded_col - 1
        if 0 <= r < n and 0 <= c < n:
            return self.IMAGE[r][c]
        if not mirror:
            return 0
        return self.IMAGE[abs(r) if r < 0 else (2 * n - 2 - r if r >= n else r)][
            abs(c) if c < 0 else (2 * n - 2 - c if c >= n else c)]

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        side = min((self.width() - 30) / 12, (self.height() - 24) / 6)
        for panel, (mirror, label) in enumerate(((False, "zero padding"), (True, "mirror (reflect)"))):
            x0 = 10 + panel * (6 * side + 10)
            for r in range(6):
                for c in range(6):
                    inside = 1 <= r <= 4 and 1 <= c <= 4
                    rect = QRectF(x0 + c * side, 4 + r * side, side - 1, side - 1)
                    p.fillRect(rect, QColor("#90caf9" if inside else ("#ffcc80" if mirror else "#e0e0e0")))
                    p.setPen(QColor("#263238"))
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(self.cell(r, c, mirror)))
            p.setPen(self.palette().windowText().color())
            p.drawText(QRectF(x0, 6 + 6 * side, 6 * side, 16), Qt.AlignmentFlag.AlignCenter, label)
        p.end()


class StackDiagram(Diagram):
    """Rows of cells: what one output sees through stacked 3-wide windows (receptive field) or a stride."""

    def __init__(self, stride: int = 1, layers: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stride, self.layers = stride, layers

    def export_stem(self) -> str:
        return f"receptive_field_stride_{self.stride}"

    def export_csv(self) -> str:
        return table_text(["level", "first", "last"], ([i, lo, hi] for i, (lo, hi) in enumerate(self.covered())))

    def sizeHint(self) -> QSize:
        return QSize(300, 140)

    def covered(self) -> list[tuple[int, int]]:
        """(first, last) input index seen at each level, from the top output down to the input."""
        lo = hi = 0
        spans = [(lo, hi)]
        for _ in range(self.layers):
            lo, hi = lo * self.stride, hi * self.stride + 2
            spans.append((lo, hi))
        return spans

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        spans = self.covered()
        width = spans[-1][1] + 1
        side = min((self.width() - 20) / width, (self.height() - 10) / len(spans) - 4)
        for level, (lo, hi) in enumerate(spans):
            y = 4 + level * (side + 4)
            first = (width - (hi - lo + 1)) / 2  # the span seen from the top output, centred in a full row
            for i in range(width):
                colour = "#ef6c00" if first <= i < first + hi - lo + 1 else "#cfd8dc"
                p.fillRect(QRectF(10 + i * side, y, side - 2, side), QColor(colour))
        p.end()


def _pen(widget: QWidget, alpha: int = 255, width: float = 1.0) -> QPen:
    c = widget.palette().windowText().color()
    return QPen(QColor(c.red(), c.green(), c.blue(), alpha), width)


class BottleneckDiagram(Diagram):
    """An autoencoder's layer widths as bars: wide input, narrow code, wide reconstruction."""

    WIDTHS = (64, 32, 8, 32, 64)
    LABELS = ("input", "", "code", "", "output ≈ input")
    STEM = "autoencoder_bottleneck"

    def export_csv(self) -> str:
        return table_text(["layer", "label", "units"], ([i, label, units] for i, (units, label) in
                                                        enumerate(zip(self.WIDTHS, self.LABELS, strict=True))))

    def sizeHint(self) -> QSize:
        return QSize(300, 150)

    def bars(self) -> list[QRectF]:
        """One rectangle per layer, its height proportional to the layer's width."""
        r = QRectF(self.rect()).adjusted(10, 6, -10, -22)
        step = r.width() / len(self.WIDTHS)
        top = max(self.WIDTHS)
        out = []
        for i, units in enumerate(self.WIDTHS):
            h = r.height() * units / top
            out.append(QRectF(r.left() + i * step + step * 0.3, r.center().y() - h / 2, step * 0.4, h))
        return out

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        bars = self.bars()
        for i, bar in enumerate(bars):
            colour = "#ef6c00" if i == len(bars) // 2 else ("#90caf9" if i < len(bars) // 2 else "#a5d6a7")
            p.fillRect(bar, QColor(colour))
            p.setPen(QColor("#263238"))
            p.drawText(bar, Qt.AlignmentFlag.AlignCenter, str(self.WIDTHS[i]))
            if i + 1 < len(bars):
                nxt = bars[i + 1]
                p.setPen(_pen(self, 90))
                p.drawLine(bar.topRight(), nxt.topLeft())
                p.drawLine(bar.bottomRight(), nxt.bottomLeft())
            p.setPen(_pen(self))
            p.drawText(QRectF(bar.center().x() - 50, self.height() - 20, 100, 18), Qt.AlignmentFlag.AlignCenter,
                       self.LABELS[i])
        p.end()


class ResidualDiagram(Diagram):
    """x → F(x) → (+) → y, with the identity path from x straight to the sum."""

    STEM = "residual_block"
    EDGES = (("x", "F(x)", "layers"), ("F(x)", "+", "layers"), ("x", "+", "identity"), ("+", "y", "sum"))

    def export_csv(self) -> str:
        """A schematic has no numbers: its arrows, one per row."""
        return table_text(["from", "to", "path"], self.EDGES)

    def sizeHint(self) -> QSize:
        return QSize(300, 120)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, y = self.width(), self.height() * 0.62
        xs = (w * 0.1, w * 0.45, w * 0.75, w * 0.92)
        box = QRectF(xs[1] - 40, y - 16, 80, 32)
        p.fillRect(box, QColor("#90caf9"))
        p.setPen(QColor("#263238"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, "F(x)")
        p.setPen(_pen(self, 255, 1.5))
        p.drawText(QRectF(xs[0] - 20, y - 10, 20, 20), Qt.AlignmentFlag.AlignCenter, "x")
        p.drawLine(QPointF(xs[0], y), QPointF(box.left(), y))
        p.drawLine(QPointF(box.right(), y), QPointF(xs[2] - 12, y))
        p.drawEllipse(QPointF(xs[2], y), 12, 12)
        p.drawText(QRectF(xs[2] - 12, y - 12, 24, 24), Qt.AlignmentFlag.AlignCenter, "+")
        p.drawLine(QPointF(xs[2] + 12, y), QPointF(xs[3], y))
        p.drawText(QRectF(xs[3], y - 10, 20, 20), Qt.AlignmentFlag.AlignCenter, "y")
        skip = QPainterPath(QPointF(xs[0] + 10, y))
        skip.cubicTo(QPointF(xs[0] + 10, y - 55), QPointF(xs[2], y - 55), QPointF(xs[2], y - 12))
        p.setPen(QPen(QColor("#ef6c00"), 2, Qt.PenStyle.DashLine))
        p.drawPath(skip)
        p.drawText(QRectF(xs[1] - 60, y - 62, 120, 16), Qt.AlignmentFlag.AlignCenter, "identity")
        p.end()


class ClippingDiagram(Diagram):
    """Size of the step taken against the gradient's norm: clipnorm c caps it at c (dashed: no clipping)."""

    LIMIT = 1.0
    RANGE = 3.0
    STEM = "gradient_clipping"

    def export_csv(self) -> str:
        g = [x for x, _ in self.points()]
        return csv_text({"gradient norm": g, f"step norm (clipnorm {self.LIMIT:g})": [y for _, y in self.points()],
                         "step norm (no clipping)": [y for _, y in self.points(False)]})

    def sizeHint(self) -> QSize:
        return QSize(280, 150)

    def points(self, clipped: bool = True, n: int = 61) -> list[tuple[float, float]]:
        xs = [self.RANGE * i / (n - 1) for i in range(n)]
        return [(g, min(g, self.LIMIT) if clipped else g) for g in xs]

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(24, 8, -8, -22)

        def at(x: float, y: float) -> QPointF:
            return QPointF(r.left() + x / self.RANGE * r.width(), r.bottom() - y / self.RANGE * r.height())

        p.setPen(_pen(self, 90))
        p.drawLine(at(0, 0), at(self.RANGE, 0))
        p.drawLine(at(0, 0), at(0, self.RANGE))
        for pts, colour, style in ((self.points(False), "#9e9e9e", Qt.PenStyle.DashLine),
                                   (self.points(True), "#1e88e5", Qt.PenStyle.SolidLine)):
            path = QPainterPath(at(*pts[0]))
            for x, y in pts[1:]:
                path.lineTo(at(x, y))
            p.setPen(QPen(QColor(colour), 2, style))
            p.drawPath(path)
        p.setPen(_pen(self))
        p.drawText(QRectF(r.left(), r.bottom() + 2, r.width(), 18), Qt.AlignmentFlag.AlignLeft,
                   f"gradient norm →   step norm ↑ (clipnorm = {self.LIMIT:g})")
        p.end()


class LearningRateDiagram(Diagram):
    """Gradient descent on loss = w² from w = 1 with three learning rates: small, large, too large."""

    RATES = (0.1, 0.8, 1.05)
    COLOURS = ("#43a047", "#fb8c00", "#e53935")
    STEM = "learning_rates"

    def export_csv(self) -> str:
        """The weight after each step, one column per learning rate."""
        paths = {f"w (learning rate {rate:g})": self.path(rate) for rate in self.RATES}
        return csv_text({"step": list(range(len(next(iter(paths.values()))))), **paths})

    def sizeHint(self) -> QSize:
        return QSize(300, 170)

    @staticmethod
    def path(rate: float, steps: int = 6, start: float = 1.0) -> list[float]:
        """The weights visited: w ← w − η·2w (the gradient of w² is 2w)."""
        ws = [start]
        for _ in range(steps):
            ws.append(ws[-1] - rate * 2 * ws[-1])
        return ws

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(8, 8, -8, -22)
        span = 1.5

        def at(w: float) -> QPointF:
            w = max(-span, min(span, w))
            return QPointF(r.center().x() + w / span * r.width() / 2, r.bottom() - w * w / span**2 * r.height())

        curve = QPainterPath(at(-span))
        for i in range(1, 61):
            curve.lineTo(at(-span + 2 * span * i / 60))
        p.setPen(_pen(self, 120, 1.5))
        p.drawPath(curve)
        for rate, colour in zip(self.RATES, self.COLOURS):
            ws = self.path(rate)
            p.setPen(QPen(QColor(colour), 1.5))
            for a, b in itertools.pairwise(ws):
                p.drawLine(at(a), at(b))
            p.setBrush(QColor(colour))
            for w in ws:
                p.drawEllipse(at(w), 2.5, 2.5)
        p.setPen(_pen(self))
        legend = "   ".join(f"η = {rate:g}" for rate in self.RATES)
        p.drawText(QRectF(r.left(), r.bottom() + 2, r.width(), 18), Qt.AlignmentFlag.AlignLeft,
                   f"loss = w²:  {legend} (green, orange, red)")
        p.end()


EXTRA: dict[str, Callable[[], QWidget]] = {
    "autoencoder": BottleneckDiagram, "residual": ResidualDiagram, "clipping": ClippingDiagram,
    "learning_rate": LearningRateDiagram,
}
"""Diagrams by ``Topic.diagram`` key beyond the activation curves, padding, stride and receptive field."""
