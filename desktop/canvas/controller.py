"""The graph editor: the one place that turns user intents into commands on the undo stack.

Every method is one intent (add a layer, connect two ports, delete the selection, ...). A refused edit
pushes nothing and says why through ``message``; the views never touch the graph themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal

from core.catalog.registry import get_spec
from core.graph.commands import (
    AddEdge,
    AddNode,
    AddSubgraph,
    InsertNodeOnEdge,
    MoveNodes,
    RemoveEdge,
    RenameNode,
    SetParams,
    remove_nodes,
)
from core.graph.errors import GraphError
from core.graph.model import Edge, Graph, Node
from core.graph.undo import Command, Macro, UndoStack
from core.graph.validation import check_connect
from desktop.document import Document

STEP_X = 260.0
"""Horizontal distance between a node and one added after it."""


class GraphEditor(QObject):
    """Pushes commands for the current document; ``message`` carries refusals for the status bar."""

    message = Signal(str)

    def __init__(self, document: Document | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = document

    def set_document(self, document: Document) -> None:
        self.document = document

    @property
    def graph(self) -> Graph:
        assert self.document is not None
        return self.document.graph

    @property
    def stack(self) -> UndoStack:
        assert self.document is not None
        return self.document.stack

    def push(self, command: Command) -> str | None:
        """Push ``command``; on a ``GraphError`` push nothing and return (and announce) the reason."""
        try:
            self.stack.push(command)
        except GraphError as exc:
            self.message.emit(str(exc))
            return str(exc)
        return None

    # ---- nodes ----------------------------------------------------------------------------------
    def make_node(self, type_id: str, x: float, y: float, params: Mapping[str, Any] | None = None) -> Node | None:
        try:
            return self.graph.make_node(type_id, params, x, y)
        except GraphError as exc:
            self.message.emit(str(exc))
            return None

    def add_node(self, type_id: str, x: float, y: float) -> str | None:
        """Add a layer with its top-left corner at ``(x, y)``; returns its id."""
        node = self.make_node(type_id, x, y)
        if node is None or self.push(AddNode(self.graph, node)) is not None:
            return None
        return node.id

    def add_after(self, type_id: str, after: str | None) -> str | None:
        """Add a layer to the right of ``after`` and connect ``after`` to it (Quick add, double-click)."""
        if after is None or not self.graph.has_node(after):
            x, y = self._free_spot(0.0, 0.0)
            return self.add_node(type_id, x, y)
        prev = self.graph.node(after)
        x, y = self._free_spot(prev.x + STEP_X, prev.y)
        node = self.make_node(type_id, x, y)
        if node is None:
            return None
        commands: list[Command] = [AddNode(self.graph, node)]
        spec = node.spec
        if spec.inputs and prev.spec.outputs:
            edge = Edge(prev.id, node.id, prev.spec.outputs[0].name, spec.inputs[0].name)
            commands.append(AddEdge(self.graph, edge))
        if self.push(Macro(f"Add {node.name}", commands)) is not None:
            return None
        return node.id

    def _free_spot(self, x: float, y: float) -> tuple[float, float]:
        taken = {(round(n.x), round(n.y)) for n in self.graph.nodes}
        while any(abs(tx - x) < 150 and abs(ty - y) < 60 for tx, ty in taken):
            y += 140.0
        return x, y

    def insert_on_edge(self, type_id: str, edge_id: str, x: float, y: float) -> str | None:
        """Put a new layer in the middle of an edge (a palette drop onto the edge)."""
        spec = get_spec(type_id)
        if not spec.inputs or not spec.outputs:
            self.message.emit(f"{spec.title} cannot be inserted into a connection")
            return None
        node = self.make_node(type_id, x, y)
        if node is None:
            return None
        cmd = InsertNodeOnEdge(self.graph, node, edge_id, spec.inputs[0].name, spec.outputs[0].name)
        return None if self.push(cmd) is not None else node.id

    def delete(self, node_ids: list[str], edge_ids: list[str] | None = None) -> None:
        node_ids = [n for n in node_ids if self.graph.has_node(n)]
        doomed = {e.id for n in node_ids for e in self.graph.edges_of(n)}
        children: list[Command] = [RemoveEdge(self.graph, e) for e in edge_ids or [] if e not in doomed]
        if node_ids:
            children.append(remove_nodes(self.graph, node_ids))
        if not children:
            return
        text = children[0].text if len(children) == 1 else "Delete"
        self.push(Macro(text, children))

    def move_nodes(self, new: Mapping[str, tuple[float, float]], text: str = "") -> None:
        """One undo step for a drag (or a layout) of any number of nodes; unchanged nodes are left out."""
        old = {nid: (self.graph.node(nid).x, self.graph.node(nid).y) for nid in new}
        moved = {nid: pos for nid, pos in new.items() if old[nid] != pos}
        if not moved:
            return
        cmd = MoveNodes(self.graph, {nid: old[nid] for nid in moved}, moved)
        if text:
            cmd.text = text
        self.push(cmd)

    def set_params(self, node_id: str, params: Mapping[str, Any]) -> str | None:
        """Change parameters (one ``SetParams``); an invalid value is refused with the reason, and a
        value equal to the current one pushes nothing."""
        node = self.graph.node(node_id)
        try:
            typed = node.spec.coerce_params({**node.params, **params})
        except ValueError as exc:
            return str(exc)
        if all(node.params.get(k) == typed[k] for k in params):
            return None
        return self.push(SetParams(self.graph, node_id, params))

    def rename(self, node_id: str, name: str) -> str | None:
        if self.graph.node(node_id).name == name.strip():
            return None
        return self.push(RenameNode(self.graph, node_id, name))

    def add_subgraph(self, nodes: list[Node], edges: list[Edge], text: str) -> list[str]:
        if not nodes:
            return []
        return [] if self.push(AddSubgraph(self.graph, nodes, edges, text)) is not None else [n.id for n in nodes]

    # ---- edges ----------------------------------------------------------------------------------
    def connection_error(self, src: str, src_port: str, dst: str, dst_port: str) -> str | None:
        """Why ``src.src_port -> dst.dst_port`` is refused, or ``None`` when it is allowed."""
        try:
            check_connect(self.graph, Edge(src, dst, src_port, dst_port))
        except GraphError as exc:
            return str(exc)
        return None

    def connect_ports(self, src: str, src_port: str, dst: str, dst_port: str) -> str | None:
        reason = self.connection_error(src, src_port, dst, dst_port)
        if reason is not None:
            self.message.emit(f"Cannot connect: {reason}")
            return reason
        return self.push(AddEdge(self.graph, Edge(src, dst, src_port, dst_port)))

    def disconnect_edge(self, edge_id: str) -> str | None:
        return self.push(RemoveEdge(self.graph, edge_id))

    def reconnect(self, edge_id: str, src: str, src_port: str, dst: str, dst_port: str) -> str | None:
        """Move an edge to new ends in one step; a refused move changes nothing and says why."""
        edge = Edge(src, dst, src_port, dst_port)
        reason = self.push(Macro("Reconnect", [RemoveEdge(self.graph, edge_id), AddEdge(self.graph, edge)]))
        if reason is not None:
            self.message.emit(f"Cannot connect: {reason}")
        return reason

    # ---- history --------------------------------------------------------------------------------
    def undo(self) -> None:
        self.stack.undo()

    def redo(self) -> None:
        self.stack.redo()
