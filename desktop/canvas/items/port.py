"""A port: a small circle on a node's edge where connections start (outputs) or end (inputs)."""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from desktop.theme import colors

RADIUS = 6.0


class PortState(Enum):
    NORMAL = 0
    COMPATIBLE = 1
    REFUSED = 2
    HOVER = 3


class PortItem(QGraphicsItem):
    """One input or output port of a node; ``key`` is ``(node_id, port name, is_output)``."""

    def __init__(self, node_id: str, name: str, output: bool, color: QColor, multiple: bool,
                 parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.node_id, self.name, self.output = node_id, name, output
        self.color = color
        self.multiple = multiple
        self.state = PortState.NORMAL
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        kind = "output" if output else "input"
        more = " (takes several inputs, in order)" if multiple else ""
        hint = ("Drag to another port to connect" if output
                else "Drag to connect; drag a connected input away to move or remove its connection")
        self.setToolTip(f"{kind} '{name}'{more}\n{hint}")

    @property
    def key(self) -> tuple[str, str, bool]:
        return (self.node_id, self.name, self.output)

    def scene_center(self) -> QPointF:
        return self.scenePos()

    def set_state(self, state: PortState) -> None:
        if state != self.state:
            self.state = state
            self.update()

    def boundingRect(self) -> QRectF:
        r = RADIUS + 5
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        c = colors()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill, radius = QColor(self.color), RADIUS
        if self.state == PortState.COMPATIBLE:
            halo = QColor(c.ok)
            halo.setAlpha(90)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(halo)
            painter.drawEllipse(QPointF(0, 0), RADIUS + 4.5, RADIUS + 4.5)
            fill = c.ok
        elif self.state == PortState.HOVER:
            fill, radius = c.ok, RADIUS + 1.5
        elif self.state == PortState.REFUSED:
            fill = QColor(c.text_dim)
            fill.setAlpha(90)
        painter.setPen(QPen(c.node_body, 2))
        painter.setBrush(fill)
        painter.drawEllipse(QPointF(0, 0), radius, radius)

    def hoverEnterEvent(self, event: object) -> None:  # type: ignore[override]
        if self.state == PortState.NORMAL:
            self.set_state(PortState.HOVER)

    def hoverLeaveEvent(self, event: object) -> None:  # type: ignore[override]
        if self.state == PortState.HOVER:
            self.set_state(PortState.NORMAL)
