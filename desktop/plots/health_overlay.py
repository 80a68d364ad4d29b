"""Gradient health on the canvas: a coloured halo behind each trained node (green ok, amber weak, red
vanishing, purple exploding), added as a child item of the node so the node item itself is untouched.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from desktop.canvas.scene import GraphScene

COLORS = {"ok": "#21a366", "weak": "#f0a202", "vanishing": "#d93a3a", "exploding": "#8e44ad"}
MEANING = {"ok": "gradients healthy", "weak": "gradients small (learns slowly)",
           "vanishing": "gradients vanishing (barely learns)", "exploding": "gradients exploding"}


class HealthHalo(QGraphicsItem):
    """A rounded outline around its parent node, drawn behind it."""

    def __init__(self, parent: QGraphicsItem, status: str) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.status = status

    def set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.update()

    def _rect(self) -> QRectF:
        parent = self.parentItem()
        base = parent.shape().boundingRect() if parent is not None else QRectF(0, 0, 10, 10)
        return base.adjusted(-5, -5, 5, 5)

    def boundingRect(self) -> QRectF:
        return self._rect().adjusted(-3, -3, 3, 3)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = QColor(COLORS.get(self.status, COLORS["ok"]))
        painter.setPen(QPen(c, 4))
        fill = QColor(c)
        fill.setAlpha(40)
        painter.setBrush(fill)
        painter.drawRoundedRect(self._rect(), 11, 11)


class HealthOverlay:
    """Keeps one halo per node named in the latest verdict; ``clear`` removes them all."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self.status: dict[str, str] = {}
        self.halos: dict[str, HealthHalo] = {}

    def apply(self, status: Mapping[str, str]) -> None:
        """``status``: node name -> ``ok``/``weak``/``vanishing``/``exploding`` (names not listed keep none)."""
        self.status = dict(status)
        by_name = {item.node.name: item for item in self.scene.node_items()}
        for name in list(self.halos):
            halo = self.halos[name]
            if name not in self.status or by_name.get(name) is not halo.parentItem():
                self._drop(name)
        for name, state in self.status.items():
            item = by_name.get(name)
            if item is None:
                continue
            existing = self.halos.get(name)
            if existing is None:
                self.halos[name] = HealthHalo(item, state)
            else:
                existing.set_status(state)
            item.setToolTip(item.toolTip().split("<br><i>gradient")[0] + f"<br><i>gradient: {MEANING[state]}</i>")

    def _drop(self, name: str) -> None:
        halo = self.halos.pop(name)
        scene = halo.scene()
        if scene is not None:
            scene.removeItem(halo)

    def clear(self) -> None:
        for name in list(self.halos):
            self._drop(name)
        self.status = {}
