"""The canvas view: zoom around the cursor, pan (middle drag or space+drag), rubber-band selection,
palette drops (onto empty space or onto an edge) and the start of port drags and node moves."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from desktop.canvas.controller import GraphEditor
from desktop.canvas.interactions import ConnectInteraction, MoveTracker
from desktop.canvas.items.edge import EdgeItem
from desktop.canvas.items.node import HEADER, WIDTH
from desktop.canvas.items.port import PortItem
from desktop.canvas.scene import GRID, GraphScene, node_items_bounding
from desktop.theme import colors

LAYER_MIME = "application/x-layerbench-layer"
EMPTY_HINT = "Drag layers here from the palette\nor press Ctrl+K to add one by name"
MIN_ZOOM, MAX_ZOOM = 0.15, 3.0
OPEN_MIN_ZOOM = 0.4
"""The smallest zoom a freshly opened graph is fitted at: node names and shapes stay legible down to here (at
0.65, the former floor, the 7-layer CNN example opened with its last layer outside the view)."""
NUDGES = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}


class GraphView(QGraphicsView):
    """Shows a ``GraphScene``; ``status`` carries hints (why a connection is refused) for the status bar."""

    status = Signal(str)
    context_menu_requested = Signal(object, object)  # scene position, global position

    def __init__(self, scene: GraphScene, editor: GraphEditor, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.graph_scene, self.editor = scene, editor
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._connect: ConnectInteraction | None = None
        self._move: MoveTracker | None = None
        self._pan_from: QPointF | None = None
        self._space = False
        self._drop_edge: EdgeItem | None = None

    # ---- zoom and pan ---------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if not steps:
            return
        factor = 1.15**steps
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        self.zoom_at(target / self.zoom(), event.position())
        event.accept()

    def zoom_at(self, factor: float, pos: QPointF) -> None:
        """Scale by ``factor`` keeping the scene point under viewport position ``pos`` where it is."""
        anchor = self.mapToScene(pos.toPoint())
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.scale(factor, factor)
        moved = self.mapFromScene(anchor) - pos.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + moved.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + moved.y())
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)

    def fit(self, min_zoom: float = MIN_ZOOM) -> None:
        """Show every node, at most at 100% zoom; below ``min_zoom`` show the start (inputs) of the graph."""
        items = self.graph_scene.node_items()
        if not items:
            self.resetTransform()
            self.centerOn(0, 0)
            return
        rect = node_items_bounding(list(items)).adjusted(-60, -60, 60, 60)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.resetTransform()
            self.centerOn(rect.center())
        elif self.zoom() < min_zoom:
            self.resetTransform()
            self.scale(min_zoom, min_zoom)
            half = self.viewport().width() / 2 / min_zoom
            self.centerOn(rect.left() + half, rect.center().y())

    def fit_on_open(self) -> None:
        """Fit a graph just opened: all of it when that keeps labels legible, else its start (inputs)."""
        self.fit(min_zoom=OPEN_MIN_ZOOM)

    def center_on_node(self, node_id: str) -> None:
        item = self.graph_scene.item_for_node(node_id)
        if item is not None:
            self.centerOn(item.sceneBoundingRect().center())

    def _pan(self, pos: QPointF) -> None:
        assert self._pan_from is not None
        delta = pos - self._pan_from
        self._pan_from = pos
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(delta.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))

    # ---- mouse ----------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if button == Qt.MouseButton.LeftButton:
            port = self.graph_scene.port_at(pos)
            if port is not None:
                self._connect = self._start_connect(port)
                self._connect.move(pos)
                event.accept()
                return
        super().mousePressEvent(_shift_as_ctrl(event))
        if button == Qt.MouseButton.LeftButton and self.graph_scene.node_at(pos) is not None:
            self._move = MoveTracker(self.graph_scene, self.editor)

    def _start_connect(self, port: PortItem) -> ConnectInteraction:
        """A drag from an output starts a new edge; from a connected single input it picks that edge up."""
        graph = self.editor.graph
        edges = [] if port.output or port.multiple else graph.in_edges(port.node_id, port.name)
        if len(edges) == 1:
            edge = edges[0]
            src_item = self.graph_scene.item_for_node(edge.src)
            if src_item is not None:
                start = src_item.port(edge.src_port, True)
                return ConnectInteraction(self.graph_scene, self.editor, start, self.status.emit, moving=edge)
        return ConnectInteraction(self.graph_scene, self.editor, port, self.status.emit)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan(event.position())
            return
        if self._connect is not None:
            self._connect.move(self.mapToScene(event.position().toPoint()))
            return
        super().mouseMoveEvent(_shift_as_ctrl(event))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            return
        if self._connect is not None:
            interaction, self._connect = self._connect, None
            interaction.finish(self.mapToScene(event.position().toPoint()))
            return
        super().mouseReleaseEvent(_shift_as_ctrl(event))
        if self._move is not None:
            tracker, self._move = self._move, None
            tracker.finish()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if event.key() == Qt.Key.Key_Escape and self._connect is not None:
            self._connect.cancel()
            self._connect = None
            return
        if event.key() in NUDGES and self.graph_scene.selected_node_ids():
            self._nudge(event)
            return
        super().keyPressEvent(event)

    def _nudge(self, event: QKeyEvent) -> None:
        """Arrow keys move the selected layers by one grid step (Shift: five), one undo step per press."""
        dx, dy = NUDGES[event.key()]
        step = 5 * GRID if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else GRID
        graph = self.editor.graph
        moved = {nid: (graph.node(nid).x + dx * step, graph.node(nid).y + dy * step)
                 for nid in self.graph_scene.selected_node_ids()}
        self.editor.move_nodes(moved, "Nudge")

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QEvent) -> None:  # type: ignore[override]
        self._space = False
        super().focusOutEvent(event)  # type: ignore[arg-type]

    # ---- drops from the palette -----------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if not event.mimeData().hasFormat(LAYER_MIME):
            event.ignore()
            return
        self._set_drop_edge(self._edge_under(self.mapToScene(event.position().toPoint())))
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_drop_edge(None)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drop_edge(None)
        if not event.mimeData().hasFormat(LAYER_MIME):
            event.ignore()
            return
        type_id = bytes(event.mimeData().data(LAYER_MIME).data()).decode()
        pos = self.mapToScene(event.position().toPoint())
        x, y = pos.x() - WIDTH / 2, pos.y() - HEADER / 2
        edge = self._edge_under(pos)
        if edge is not None:
            node_id = self.editor.insert_on_edge(type_id, edge.edge_id, x, y)
        else:
            node_id = self.editor.add_node(type_id, x, y)
        if node_id is not None:
            self.graph_scene.select_nodes([node_id])
        event.acceptProposedAction()
        self.setFocus()

    def _edge_under(self, pos: QPointF) -> EdgeItem | None:
        if self.graph_scene.node_at(pos) is not None:
            return None
        return self.graph_scene.edge_at(pos)

    def _set_drop_edge(self, edge: EdgeItem | None) -> None:
        if self._drop_edge is not None and self._drop_edge.scene() is not None:
            self._drop_edge.set_drop_target(False)
        self._drop_edge = edge
        if edge is not None:
            edge.set_drop_target(True)

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        """A hint on an empty canvas, drawn in view coordinates so zoom does not change it."""
        if self.graph_scene.node_items():
            return
        painter.save()
        painter.resetTransform()
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        painter.setFont(font)
        painter.setPen(colors().text_dim)
        painter.drawText(QRectF(self.viewport().rect()), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
        painter.restore()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.context_menu_requested.emit(self.mapToScene(event.pos()), event.globalPos())
        event.accept()

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()


def _shift_as_ctrl(event: QMouseEvent) -> QMouseEvent:
    """Shift adds to the selection like Ctrl (Qt's items and rubber band only know Ctrl)."""
    if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
        return event
    mods = event.modifiers() | Qt.KeyboardModifier.ControlModifier
    return QMouseEvent(event.type(), event.position(), event.scenePosition(), event.globalPosition(),
                       event.button(), event.buttons(), mods)
