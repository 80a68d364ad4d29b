"""An edge: a bezier curve from an output port to an input port, labelled with the tensor shape."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from core.graph.model import Edge
from desktop.canvas.items.port import PortItem
from desktop.theme import colors


def curve(p1: QPointF, p2: QPointF) -> QPainterPath:
    """A left-to-right S curve between two points."""
    dx = max(40.0, abs(p2.x() - p1.x()) * 0.5)
    path = QPainterPath(p1)
    path.cubicTo(QPointF(p1.x() + dx, p1.y()), QPointF(p2.x() - dx, p2.y()), p2)
    return path


def label_font() -> QFont:
    font = QFont()
    font.setPointSizeF(7.5)
    return font


class EdgeItem(QGraphicsItem):
    """The picture of one ``Edge``; ``label`` is the shape that flows along it (from inference)."""

    def __init__(self, edge: Edge, src: PortItem, dst: PortItem) -> None:
        super().__init__()
        self.edge = edge
        self.src, self.dst = src, dst
        self.label = ""
        self.drop_target = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(-1)
        self.setAcceptHoverEvents(True)
        self._path = QPainterPath()
        self._label_rect = QRectF()
        self.update_path()

    @property
    def edge_id(self) -> str:
        return self.edge.id

    def update_path(self) -> None:
        self.prepareGeometryChange()
        self._path = curve(self.src.scene_center(), self.dst.scene_center())
        self._layout_label()
        self.update()

    def set_label(self, text: str) -> None:
        if text != self.label:
            self.prepareGeometryChange()
            self.label = text
            self._layout_label()
            self.update()

    def set_drop_target(self, on: bool) -> None:
        if on != self.drop_target:
            self.drop_target = on
            self.update()

    def _layout_label(self) -> None:
        if not self.label:
            self._label_rect = QRectF()
            return
        metrics = QFontMetricsF(label_font())
        w, h = metrics.horizontalAdvance(self.label) + 10, metrics.height() + 4
        self.setToolTip(f"tensor shape {self.label} (without the batch axis)")
        p1, p2 = self.src.scene_center(), self.dst.scene_center()
        if p2.x() - p1.x() < w + 16:
            self._label_rect = QRectF()  # no room between the ports: the tooltip tells the shape
            return
        mid = self._path.pointAtPercent(0.5)
        self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)

    def path(self) -> QPainterPath:
        return self._path

    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-6, -6, 6, 6).united(self._label_rect)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        out = stroker.createStroke(self._path)
        if not self._label_rect.isNull():
            out.addRect(self._label_rect)
        return out

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        c = colors()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color, width = c.edge, 2.0
        if self.isSelected():
            color, width = c.selection, 3.0
        if self.drop_target:
            color, width = c.ok, 3.5
        painter.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if not self._label_rect.isNull():
            painter.setPen(QPen(color, 1))
            painter.setBrush(c.label_bg)
            painter.drawRoundedRect(self._label_rect, 6, 6)
            painter.setFont(label_font())
            painter.setPen(c.text_dim if not self.isSelected() else c.selection)
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)
