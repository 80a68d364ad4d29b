"""A node on the canvas: the layer's type, name, key parameters, output shape and parameter count.

The item reads everything it shows from the ``Node`` the graph owns and from the latest inference
(``NodeInfo``); it keeps no copy of either. Moving it by mouse is a preview until the controller pushes
``MoveNodes`` on release.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from core.catalog.common import fmt
from core.graph.model import Node
from core.translate.shapes import NodeInfo
from desktop.canvas.items.port import PortItem
from desktop.icons import paint_glyph
from desktop.theme import category_color, colors

if TYPE_CHECKING:
    from desktop.canvas.items.edge import EdgeItem

WIDTH = 180.0
HEADER = 26.0
NAME_ROW = 17.0
ROW = 15.0
FOOTER = 22.0
PAD = 9.0
CHIP_GAP = 9.0
SHORT = {"kernel_size": "kernel", "pool_size": "pool", "dilation_rate": "dilation", "negative_slope": "slope"}


def short_label(name: str) -> str:
    return SHORT.get(name, name.replace("_", " "))


Chip = tuple[float, str, str]
"""x offset, label, value of one key parameter on a node."""


def chip_lines(pairs: list[tuple[str, str]], font: QFont, width: float) -> list[list[Chip]]:
    """Key parameters laid out as ``label value`` chips, wrapped to ``width``."""
    metrics = QFontMetricsF(font)
    lines: list[list[Chip]] = [[]]
    x = 0.0
    for label, value in pairs:
        w = metrics.horizontalAdvance(f"{label} {value}")
        if lines[-1] and x + w > width:
            lines.append([])
            x = 0.0
        lines[-1].append((x, label, value))
        x += w + CHIP_GAP
    return [line for line in lines if line]


def format_value(value: Any, kind: str = "") -> str:
    """A parameter value as it reads on a node: ``3×3``, ``(28, 28, 1)``, ``relu``, ``0.5``."""
    if kind == "shape":
        return fmt(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        if value and all(isinstance(v, int) for v in value) and len(value) <= 3:
            return "×".join(str(v) for v in value)
        return fmt(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v:g}" for k, v in value.items() if v) or "none"
    return str(value)


def format_count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f} M"
    if n >= 10_000:
        return f"{n / 1e3:.1f} k"
    return f"{n:,}"


def _short(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1_000_000 else (f"{n / 1e3:.1f}k" if n >= 1000 else str(n))


def fonts() -> tuple[QFont, QFont, QFont]:
    title = QFont()
    title.setPointSizeF(9.0)
    title.setBold(True)
    body = QFont()
    body.setPointSizeF(8.0)
    mono = QFont(body)
    mono.setBold(True)
    return title, body, mono


def _info_key(info: NodeInfo | None) -> tuple[Any, ...]:
    if info is None:
        return ()
    error = str(info.error) if info.error is not None else None
    return (tuple(info.outputs), info.trainable, info.non_trainable, error, info.blocked)


class ErrorBadge(QGraphicsItem):
    """The red circle on an invalid node; its tooltip is the error text."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return QRectF(-9, -9, 18, 18)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colors().node_body, 2))
        painter.setBrush(colors().error)
        painter.drawEllipse(QPointF(0, 0), 8, 8)
        painter.setPen(QPen(QColor("white"), 2.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawLine(QPointF(0, -4), QPointF(0, 1))
        painter.drawPoint(QPointF(0, 4.2))


class NodeItem(QGraphicsItem):
    """The picture of one ``Node``; ports are child items, edges attach to them."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node = node
        self.info: NodeInfo | None = None
        self.edges: set[EdgeItem] = set()
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.ArrowCursor)
        self.badge = ErrorBadge(self)
        self.badge.setVisible(False)
        self.ports: dict[tuple[str, bool], PortItem] = {}
        self._height = 0.0
        self._lines: list[list[Chip]] = []
        self._hover = False
        self._build_ports()
        self.refresh()
        self.setPos(node.x, node.y)

    @property
    def node_id(self) -> str:
        return self.node.id

    @property
    def key_params(self) -> list[tuple[str, str]]:
        spec = self.node.spec
        params = self.node.params
        return [(short_label(p.name), format_value(params[p.name], p.kind)) for p in spec.params if p.key]

    def _build_ports(self) -> None:
        spec = self.node.spec
        color = category_color(spec.category)
        for output, ports in ((False, spec.inputs), (True, spec.outputs)):
            for p in ports:
                self.ports[(p.name, output)] = PortItem(self.node.id, p.name, output, color, p.multiple, self)

    def port(self, name: str, output: bool) -> PortItem:
        return self.ports[(name, output)]

    def refresh(self) -> None:
        """Re-read the node (after a rename or parameter change) and lay out again."""
        self.prepareGeometryChange()
        self._lines = chip_lines(self.key_params, fonts()[1], WIDTH - 2 * PAD)
        self._height = HEADER + NAME_ROW + ROW * len(self._lines) + 5 + FOOTER
        self._place_ports()
        self.badge.setPos(WIDTH - 2, 2)
        self._update_tooltip()
        self.update()

    def _place_ports(self) -> None:
        for output in (False, True):
            ports = [p for (_, out), p in self.ports.items() if out == output]
            body_top, body = HEADER, self._height - HEADER
            for i, port in enumerate(ports):
                port.setPos(WIDTH if output else 0.0, body_top + body * (i + 1) / (len(ports) + 1))

    def set_info(self, info: NodeInfo | None) -> None:
        key = _info_key(info)
        if self.info is not None and key == _info_key(self.info):
            self.info = info
            return  # nothing visible changed: no repaint
        self.info = info
        error = info.error if info is not None else None
        self.badge.setVisible(error is not None)
        self.badge.setToolTip(str(error) if error is not None else "")
        self._update_tooltip()
        self.update()

    def _update_tooltip(self) -> None:
        spec = self.node.spec
        tip = f"<b>{spec.title}</b> — {self.node.name}<br>{spec.doc}"
        if self.info is not None and self.info.error is not None:
            tip += f"<br><span style='color:{colors().error.name()}'>{self.info.error}</span>"
        self.setToolTip(tip)

    # ---- geometry and painting -----------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(-4, -4, WIDTH + 8, self._height + 8)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, WIDTH, self._height), 8, 8)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        c = colors()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, WIDTH, self._height)
        self._paint_body(painter, rect)
        self._paint_header(painter)
        self._paint_rows(painter)
        self._paint_footer(painter)
        border = QPen(c.node_border, 1)
        if self.info is not None and self.info.error is not None:
            border = QPen(c.error, 1.5)
        if self._hover and not self.isSelected():
            hover = QColor(c.selection)
            hover.setAlpha(150)
            border = QPen(hover, 1.5)
        if self.isSelected():
            border = QPen(c.selection, 2.5)
        painter.setPen(border)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, 8, 8)

    def _paint_body(self, painter: QPainter, rect: QRectF) -> None:
        c = colors()
        shadow = QColor(0, 0, 0, 60 if c.dark else 22)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(shadow)
        painter.drawRoundedRect(rect.translated(0, 2), 8, 8)
        painter.setBrush(c.node_body)
        painter.drawRoundedRect(rect, 8, 8)
        head = QPainterPath()
        head.addRoundedRect(QRectF(0, 0, WIDTH, HEADER), 8, 8)
        head.addRect(QRectF(0, HEADER - 8, WIDTH, 8))
        tint = QColor(category_color(self.node.spec.category))
        tint.setAlpha(70 if c.dark else 40)
        painter.setBrush(tint)
        painter.drawPath(head.simplified())

    def _paint_header(self, painter: QPainter) -> None:
        title, _, _ = fonts()
        spec = self.node.spec
        paint_glyph(painter, QRectF(PAD - 2, 5, 16, 16), spec.category)
        painter.setFont(title)
        painter.setPen(colors().text)
        text_rect = QRectF(PAD + 19, 0, WIDTH - PAD * 2 - 22, HEADER)
        elided = QFontMetricsF(title).elidedText(spec.title, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)

    def _paint_rows(self, painter: QPainter) -> None:
        _, body, bold = fonts()
        c = colors()
        width = WIDTH - 2 * PAD
        painter.setFont(bold)
        painter.setPen(c.text)
        name = QFontMetricsF(bold).elidedText(self.node.name, Qt.TextElideMode.ElideMiddle, width)
        painter.drawText(QRectF(PAD, HEADER + 2, width, NAME_ROW), Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(body)
        metrics = QFontMetricsF(body)
        y = HEADER + 2 + NAME_ROW
        for line in self._lines:
            for x, label, value in line:
                painter.setPen(c.text_dim)
                painter.drawText(QRectF(PAD + x, y, width - x, ROW), Qt.AlignmentFlag.AlignVCenter, label)
                shift = metrics.horizontalAdvance(label + " ")
                painter.setPen(c.text)
                shown = metrics.elidedText(value, Qt.TextElideMode.ElideRight, width - x - shift)
                painter.drawText(QRectF(PAD + x + shift, y, width - x - shift, ROW), Qt.AlignmentFlag.AlignVCenter,
                                 shown)
            y += ROW

    def _paint_footer(self, painter: QPainter) -> None:
        _, body, bold = fonts()
        c = colors()
        top = self._height - FOOTER
        painter.setPen(QPen(c.node_border, 1))
        painter.drawLine(QPointF(1, top), QPointF(WIDTH - 1, top))
        rect = QRectF(PAD, top, WIDTH - 2 * PAD, FOOTER)
        shape, count = self.footer_texts()
        needed = QFontMetricsF(bold).horizontalAdvance(shape) + QFontMetricsF(body).horizontalAdvance(count) + 8
        if needed > rect.width() and self.info is not None:
            count = _short(self.info.params)
        painter.setFont(bold)
        painter.setPen(c.error if self.info is not None and self.info.error is not None else c.text)
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shape)
        painter.setFont(body)
        painter.setPen(c.text_dim)
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, count)

    def footer_texts(self) -> tuple[str, str]:
        """The output shape (or what is wrong) and the parameter count, as painted."""
        info = self.info
        if info is None or info.blocked or (info.error is None and not info.outputs):
            return "→ ?", ""
        if info.error is not None:
            return "invalid", ""
        count = f"{format_count(info.params)} params" if info.params else "no params"
        return f"→ {fmt(info.outputs[0])}", count

    def hoverEnterEvent(self, event: Any) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: Any) -> None:
        self._hover = False
        self.update()

    # ---- movement --------------------------------------------------------------------------------
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.setZValue(1 if value else 0)
        return super().itemChange(change, value)
