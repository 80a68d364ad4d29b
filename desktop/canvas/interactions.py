"""Mouse interactions on the canvas: dragging a new connection and tracking a move of selected nodes.

An interaction only previews; at the end it calls the controller once (``connect`` or ``move_nodes``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem

from core.graph.model import Edge
from desktop.canvas.controller import GraphEditor
from desktop.canvas.items.edge import curve
from desktop.canvas.items.port import PortItem, PortState
from desktop.canvas.scene import GraphScene
from desktop.theme import colors


class ConnectInteraction:
    """Drag from a port: compatible ports light up, refused ones dim and say why when hovered."""

    def __init__(self, scene: GraphScene, editor: GraphEditor, start: PortItem,
                 status: Callable[[str], None], moving: Edge | None = None) -> None:
        self.scene, self.editor, self.start, self.status = scene, editor, start, status
        self.moving = moving
        """An existing edge picked up by its input end: dropped elsewhere it moves, dropped on empty
        space it is removed."""
        self.reasons: dict[PortItem, str | None] = {}
        self._hide_moving(True)
        self.line = QGraphicsPathItem()
        self.line.setPen(QPen(colors().selection, 2, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap))
        self.line.setZValue(5)
        scene.addItem(self.line)
        self._mark_candidates()
        self._hovered: PortItem | None = None

    def _ends(self, other: PortItem) -> tuple[PortItem, PortItem]:
        return (self.start, other) if self.start.output else (other, self.start)

    def _mark_candidates(self) -> None:
        for item in self.scene.node_items():
            for port in item.ports.values():
                if port.output == self.start.output:
                    continue
                if port.node_id == self.start.node_id:
                    reason: str | None = "a layer cannot be connected to itself"
                elif self.moving is not None and (port.node_id, port.name) == (self.moving.dst, self.moving.dst_port):
                    reason = None  # where the picked-up edge came from
                else:
                    src, dst = self._ends(port)
                    reason = self.editor.connection_error(src.node_id, src.name, dst.node_id, dst.name)
                self.reasons[port] = reason
                port.set_state(PortState.COMPATIBLE if reason is None else PortState.REFUSED)

    def move(self, pos: QPointF) -> None:
        origin = self.start.scene_center()
        self.line.setPath(curve(origin, pos) if self.start.output else curve(pos, origin))
        port = self.scene.port_at(pos)
        if port is self._hovered:
            return
        self._hovered = port
        if port in self.reasons:
            reason = self.reasons[port]
            self.status(f"Cannot connect: {reason}" if reason else "Release to connect")

    def finish(self, pos: QPointF) -> str | None:
        """Connect to the port under ``pos``; returns the refusal reason, if any."""
        port = self.scene.port_at(pos)
        self.cancel()
        moving = self.moving
        if moving is not None and port is None:
            return self.editor.disconnect_edge(moving.id)
        if port is None or port not in self.reasons:
            return None
        src, dst = self._ends(port)
        if moving is None:
            return self.editor.connect_ports(src.node_id, src.name, dst.node_id, dst.name)
        if (dst.node_id, dst.name) == (moving.dst, moving.dst_port):
            return None
        return self.editor.reconnect(moving.id, src.node_id, src.name, dst.node_id, dst.name)

    def cancel(self) -> None:
        for port in self.reasons:
            port.set_state(PortState.NORMAL)
        if self.line.scene() is not None:
            self.scene.removeItem(self.line)
        self._hide_moving(False)

    def _hide_moving(self, hide: bool) -> None:
        item = self.scene.item_for_edge(self.moving.id) if self.moving is not None else None
        if item is not None:
            item.setVisible(not hide)


class MoveTracker:
    """Remembers which nodes a press may move; on release reports their new positions in one call."""

    def __init__(self, scene: GraphScene, editor: GraphEditor) -> None:
        self.scene, self.editor = scene, editor
        self.ids = scene.selected_node_ids()

    def finish(self) -> None:
        new: dict[str, tuple[float, float]] = {}
        for nid in self.ids:
            item = self.scene.item_for_node(nid)
            if item is not None and self.editor.graph.has_node(nid):
                new[nid] = (item.pos().x(), item.pos().y())
        if new:
            self.editor.move_nodes(new)
