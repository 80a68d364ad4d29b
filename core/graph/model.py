"""The graph of layers: nodes, ports and edges, with a psygnal signal on every mutation.

The graph is the one source of truth (DESIGN.md §2.3): the canvas observes these signals and never keeps
state the graph lacks. Mutators do exactly one thing and always emit; undo is built on them in
``core.graph.commands``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from psygnal import Signal

from core.catalog.registry import get_spec
from core.catalog.specs import LayerSpec
from core.graph.errors import GraphError, ParamError, UnknownNodeError


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Node:
    """A layer on the canvas. ``params`` are typed per the spec; ``name`` is unique and names the Keras layer."""

    type: str
    params: dict[str, Any]
    name: str
    id: str = field(default_factory=new_id)
    x: float = 0.0
    y: float = 0.0

    @property
    def spec(self) -> LayerSpec:
        return get_spec(self.type)

    def to_dict(self) -> dict[str, Any]:
        params = {k: _plain(v) for k, v in self.params.items()}
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "params": params,
            "ui": {"x": self.x, "y": self.y},
        }


def _plain(value: Any) -> Any:
    """A JSON-ready copy: tuples become lists, containers are copied so callers cannot alter the node."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Edge:
    """A connection from ``src``'s output port to ``dst``'s input port."""

    src: str
    dst: str
    src_port: str = "out"
    dst_port: str = "in"
    id: str = field(default_factory=new_id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "src": self.src, "src_port": self.src_port, "dst": self.dst, "dst_port": self.dst_port}

    def same_link(self, other: Edge) -> bool:
        return (self.src, self.src_port, self.dst, self.dst_port) == (
            other.src,
            other.src_port,
            other.dst,
            other.dst_port,
        )


class Graph:
    """Nodes and edges of one network, in insertion order (edge order is the input order of merges)."""

    node_added = Signal(object)
    node_removed = Signal(object)
    node_changed = Signal(object)  # params or name
    nodes_moved = Signal(object)  # list[Node]
    edge_added = Signal(object)
    edge_removed = Signal(object)
    changed = Signal()  # after any structural or parameter change

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._edges: list[Edge] = []

    # ---- queries -------------------------------------------------------------------------------
    @property
    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    @property
    def edges(self) -> list[Edge]:
        return list(self._edges)

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise UnknownNodeError(f"no node with id {node_id}", node_id) from None

    def has_node(self, node_id: str) -> bool:
        return node_id in self._nodes

    def edge(self, edge_id: str) -> Edge:
        for e in self._edges:
            if e.id == edge_id:
                return e
        raise GraphError(f"no edge with id {edge_id}")

    def node_by_name(self, name: str) -> Node | None:
        return next((n for n in self._nodes.values() if n.name == name), None)

    def in_edges(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self._edges if e.dst == node_id and (port is None or e.dst_port == port)]

    def out_edges(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self._edges if e.src == node_id and (port is None or e.src_port == port)]

    def edges_of(self, node_id: str) -> list[Edge]:
        return [e for e in self._edges if node_id in (e.src, e.dst)]

    def unique_name(self, prefix: str) -> str:
        taken = {n.name for n in self._nodes.values()}
        i = 1
        while f"{prefix}_{i}" in taken:
            i += 1
        return f"{prefix}_{i}"

    def __len__(self) -> int:
        return len(self._nodes)

    # ---- factory -------------------------------------------------------------------------------
    def make_node(
        self, type_id: str, params: Mapping[str, Any] | None = None, x: float = 0.0, y: float = 0.0,
        name: str | None = None, node_id: str | None = None,
    ) -> Node:
        """A new node of ``type_id`` (not yet added) with typed params and a unique name."""
        spec = get_spec(type_id)
        try:
            typed = spec.coerce_params(params or {})
        except ValueError as exc:
            raise ParamError(f"{spec.title}: {exc}", node_id) from None
        return Node(
            type=type_id, params=typed, name=name or self.unique_name(spec.prefix),
            id=node_id or new_id(), x=float(x), y=float(y),
        )

    # ---- mutators (each emits) -----------------------------------------------------------------
    def node_index(self, node_id: str) -> int:
        """Position of the node in insertion order (undo puts a removed node back there)."""
        self.node(node_id)
        return list(self._nodes).index(node_id)

    def add_node(self, node: Node, index: int | None = None) -> Node:
        if node.id in self._nodes:
            raise GraphError(f"node {node.id} is already in the graph", node.id)
        if index is None or index >= len(self._nodes):
            self._nodes[node.id] = node
        else:
            items = list(self._nodes.items())
            items.insert(index, (node.id, node))
            self._nodes = dict(items)
        self.node_added.emit(node)
        self.changed.emit()
        return node

    def remove_node(self, node_id: str) -> Node:
        """Remove a node that has no edges left (commands remove its edges first)."""
        node = self.node(node_id)
        if self.edges_of(node_id):
            raise GraphError(f"{node.name} still has edges; remove them first", node_id)
        del self._nodes[node_id]
        self.node_removed.emit(node)
        self.changed.emit()
        return node

    def add_edge(self, edge: Edge, index: int | None = None) -> Edge:
        """Insert an already validated edge (see ``validation.check_connect``)."""
        self.node(edge.src)
        self.node(edge.dst)
        if index is None:
            self._edges.append(edge)
        else:
            self._edges.insert(index, edge)
        self.edge_added.emit(edge)
        self.changed.emit()
        return edge

    def remove_edge(self, edge_id: str) -> tuple[Edge, int]:
        for i, e in enumerate(self._edges):
            if e.id == edge_id:
                del self._edges[i]
                self.edge_removed.emit(e)
                self.changed.emit()
                return e, i
        raise GraphError(f"no edge with id {edge_id}")

    def set_params(self, node_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Overlay ``params`` on the node's; returns the previous values of the keys changed."""
        node = self.node(node_id)
        spec = node.spec
        merged = {**node.params, **params}
        try:
            typed = spec.coerce_params(merged)
        except ValueError as exc:
            raise ParamError(f"{node.name}: {exc}", node_id) from None
        old = {k: node.params[k] for k in params}
        node.params = typed
        self.node_changed.emit(node)
        self.changed.emit()
        return old

    def rename_node(self, node_id: str, name: str) -> str:
        node = self.node(node_id)
        name = name.strip()
        if not name or not all(ch.isalnum() or ch in "_-." for ch in name):
            raise GraphError(f"{name!r} is not a valid layer name (letters, digits, _ - .)", node_id)
        other = self.node_by_name(name)
        if other is not None and other.id != node_id:
            raise GraphError(f"another layer is already named {name!r}", node_id)
        old, node.name = node.name, name
        self.node_changed.emit(node)
        self.changed.emit()
        return old

    def move_nodes(self, positions: Mapping[str, tuple[float, float]]) -> None:
        moved = []
        for node_id, (x, y) in positions.items():
            node = self.node(node_id)
            node.x, node.y = float(x), float(y)
            moved.append(node)
        self.nodes_moved.emit(moved)

    def clear(self) -> None:
        for e in list(self._edges):
            self.remove_edge(e.id)
        for n in list(self._nodes):
            self.remove_node(n)

    # ---- serialization ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"nodes": [n.to_dict() for n in self._nodes.values()], "edges": [e.to_dict() for e in self._edges]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Graph:
        """Rebuild a graph, checking every node, parameter and edge (``GraphError`` says which)."""
        graph = cls()
        graph.load(data)
        return graph

    def load(self, data: Mapping[str, Any]) -> None:
        """Add the nodes and edges of ``data`` (the ``to_dict`` form) after checking them all."""
        from core.graph.validation import check_edges

        names: set[str] = set()
        for raw in data.get("nodes", []):
            ui = raw.get("ui", {}) or {}
            node = self.make_node(
                raw["type"], raw.get("params", {}), ui.get("x", 0.0), ui.get("y", 0.0),
                name=raw.get("name"), node_id=raw.get("id"),
            )
            if node.name in names:
                raise GraphError(f"two layers are named {node.name!r}", node.id)
            names.add(node.name)
            self.add_node(node)
        edges = [
            Edge(
                src=raw["src"], dst=raw["dst"], src_port=raw.get("src_port", "out"),
                dst_port=raw.get("dst_port", "in"), id=raw.get("id") or new_id(),
            )
            for raw in data.get("edges", [])
        ]
        check_edges(self, edges)
        for edge in edges:
            self.add_edge(edge)

    def extend(self, nodes: Iterable[Node], edges: Iterable[Edge]) -> None:
        for n in nodes:
            self.add_node(n)
        for e in edges:
            self.add_edge(e)
