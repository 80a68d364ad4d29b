"""The canvas scene: it observes a ``Graph`` and keeps one item per node and per edge, nothing more.

Model signals drive the scene (Orange's ``CanvasScene.set_scheme``): ``node_added`` builds a ``NodeItem``,
``edge_removed`` drops an ``EdgeItem`` and so on. The scene never edits the graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from core.catalog.common import fmt
from core.graph.model import Edge, Graph, Node
from core.translate.shapes import GraphInfo
from desktop.canvas.items.edge import EdgeItem
from desktop.canvas.items.node import NodeItem
from desktop.canvas.items.port import PortItem
from desktop.theme import colors

GRID = 20


class GraphScene(QGraphicsScene):
    """Items for the nodes and edges of one graph, kept in step with it through its signals."""

    node_item_added = Signal(object)
    node_item_removed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph: Graph | None = None
        self.info: GraphInfo | None = None
        self._nodes: dict[str, NodeItem] = {}
        self._edges: dict[str, EdgeItem] = {}
        self.setSceneRect(QRectF(-5000, -5000, 10000, 10000))
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)

    # ---- binding --------------------------------------------------------------------------------
    def set_graph(self, graph: Graph | None) -> None:
        if self.graph is not None:
            self._connect(self.graph, False)
            self.clear_items()
        self.graph = graph
        self.info = None
        if graph is None:
            return
        for node in graph.nodes:
            self._on_node_added(node)
        for edge in graph.edges:
            self._on_edge_added(edge)
        self._connect(graph, True)

    def _connect(self, graph: Graph, on: bool) -> None:
        pairs: list[tuple[Any, Callable[..., None]]] = [
            (graph.node_added, self._on_node_added), (graph.node_removed, self._on_node_removed),
            (graph.node_changed, self._on_node_changed), (graph.nodes_moved, self._on_nodes_moved),
            (graph.edge_added, self._on_edge_added), (graph.edge_removed, self._on_edge_removed),
        ]
        for signal, slot in pairs:
            if on:
                signal.connect(slot)
            else:
                signal.disconnect(slot)

    def clear_items(self) -> None:
        for edge_item in list(self._edges.values()):
            self.removeItem(edge_item)
        for node_item in list(self._nodes.values()):
            self.removeItem(node_item)
        self._edges.clear()
        self._nodes.clear()

    # ---- lookups --------------------------------------------------------------------------------
    def item_for_node(self, node_id: str) -> NodeItem | None:
        return self._nodes.get(node_id)

    def item_for_edge(self, edge_id: str) -> EdgeItem | None:
        return self._edges.get(edge_id)

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def edge_items(self) -> list[EdgeItem]:
        return list(self._edges.values())

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self._nodes.values() if i.isSelected()]

    def selected_edge_ids(self) -> list[str]:
        return [i.edge_id for i in self._edges.values() if i.isSelected()]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for nid in node_ids:
            item = self._nodes.get(nid)
            if item is not None:
                item.setSelected(True)

    def port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item
        return None

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def edge_at(self, pos: QPointF) -> EdgeItem | None:
        for item in self.items(pos):
            if isinstance(item, EdgeItem):
                return item
        return None

    # ---- model signals --------------------------------------------------------------------------
    def _on_node_added(self, node: Node) -> None:
        item = NodeItem(node)
        self._nodes[node.id] = item
        self.addItem(item)
        if self.info is not None:
            item.set_info(self.info.nodes.get(node.id))
        self.node_item_added.emit(item)

    def _on_node_removed(self, node: Node) -> None:
        item = self._nodes.pop(node.id, None)
        if item is not None:
            self.removeItem(item)
            self.node_item_removed.emit(item)

    def _on_node_changed(self, node: Node) -> None:
        item = self._nodes.get(node.id)
        if item is not None:
            item.refresh()
            for edge in item.edges:
                edge.update_path()

    def _on_nodes_moved(self, nodes: list[Node]) -> None:
        for node in nodes:
            item = self._nodes.get(node.id)
            if item is not None and (item.pos().x(), item.pos().y()) != (node.x, node.y):
                item.setPos(node.x, node.y)

    def _on_edge_added(self, edge: Edge) -> None:
        src, dst = self._nodes[edge.src], self._nodes[edge.dst]
        item = EdgeItem(edge, src.port(edge.src_port, True), dst.port(edge.dst_port, False))
        src.edges.add(item)
        dst.edges.add(item)
        self._edges[edge.id] = item
        self.addItem(item)
        if self.info is not None:
            item.set_label(self._edge_label(edge))

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self._edges.pop(edge.id, None)
        if item is None:
            return
        for node_id in (edge.src, edge.dst):
            node_item = self._nodes.get(node_id)
            if node_item is not None:
                node_item.edges.discard(item)
        self.removeItem(item)

    # ---- inference ------------------------------------------------------------------------------
    def apply_info(self, info: GraphInfo) -> None:
        """Show the latest shapes, parameter counts and errors on the nodes and edges."""
        self.info = info
        for node_id, item in self._nodes.items():
            item.set_info(info.nodes.get(node_id))
        for edge_item in self._edges.values():
            edge_item.set_label(self._edge_label(edge_item.edge))

    def _edge_label(self, edge: Edge) -> str:
        if self.info is None or self.graph is None:
            return ""
        info = self.info.nodes.get(edge.src)
        if info is None or info.error is not None or not info.outputs:
            return ""
        spec = self.graph.node(edge.src).spec
        index = next((i for i, p in enumerate(spec.outputs) if p.name == edge.src_port), 0)
        return fmt(info.outputs[index]) if index < len(info.outputs) else ""

    # ---- background grid ------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        rect = QRectF(rect)
        c = colors()
        painter.fillRect(rect, c.background)
        scale = painter.transform().m11()
        if scale < 0.35:
            return
        left = math.floor(rect.left() / GRID) * GRID
        top = math.floor(rect.top() / GRID) * GRID
        for major in (False, True):
            painter.setPen(QPen(c.grid_major if major else c.grid_minor, 0))
            step = GRID * 5 if major else GRID
            x = left - left % step if major else left
            while x < rect.right():
                painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
                x += step
            y = top - top % step if major else top
            while y < rect.bottom():
                painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
                y += step


def node_items_bounding(items: list[QGraphicsItem]) -> QRectF:
    rect = QRectF()
    for item in items:
        rect = rect.united(item.sceneBoundingRect())
    return rect
