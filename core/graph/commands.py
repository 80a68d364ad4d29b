"""Undoable edits of a ``Graph``. They change only the model; views follow its signals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.graph.model import Edge, Graph, Node
from core.graph.undo import Command, Macro
from core.graph.validation import check_connect


class AddNode(Command):
    def __init__(self, graph: Graph, node: Node) -> None:
        self.graph, self.node = graph, node
        self.text = f"Add {node.name}"

    def redo(self) -> None:
        self.graph.add_node(self.node)

    def undo(self) -> None:
        self.graph.remove_node(self.node.id)


class AddEdge(Command):
    """Connect two ports; checks the connection first so a refused edge is never pushed."""

    def __init__(self, graph: Graph, edge: Edge, index: int | None = None) -> None:
        self.graph, self.edge, self.index = graph, edge, index
        self.text = "Connect"

    def redo(self) -> None:
        check_connect(self.graph, self.edge)
        self.graph.add_edge(self.edge, self.index)

    def undo(self) -> None:
        self.graph.remove_edge(self.edge.id)


class RemoveEdge(Command):
    def __init__(self, graph: Graph, edge_id: str) -> None:
        self.graph, self.edge_id = graph, edge_id
        self.index: int | None = None
        self.edge: Edge | None = None
        self.text = "Disconnect"

    def redo(self) -> None:
        self.edge, self.index = self.graph.remove_edge(self.edge_id)

    def undo(self) -> None:
        assert self.edge is not None
        self.graph.add_edge(self.edge, self.index)


class RemoveNode(Macro):
    """Remove a node; its edges go first as child commands, so undo brings them back in place."""

    def __init__(self, graph: Graph, node_id: str) -> None:
        node = graph.node(node_id)
        super().__init__(f"Delete {node.name}", [RemoveEdge(graph, e.id) for e in graph.edges_of(node_id)])
        self.graph, self.node = graph, node
        self.index: int | None = None

    def redo(self) -> None:
        super().redo()
        self.index = self.graph.node_index(self.node.id)
        self.graph.remove_node(self.node.id)

    def undo(self) -> None:
        self.graph.add_node(self.node, self.index)
        super().undo()


class MoveNodes(Command):
    """Move several nodes in one step (pushed once, on mouse release)."""

    def __init__(
        self, graph: Graph, old: Mapping[str, tuple[float, float]], new: Mapping[str, tuple[float, float]]
    ) -> None:
        self.graph, self.old, self.new = graph, dict(old), dict(new)
        self.text = "Move" if len(new) != 1 else f"Move {graph.node(next(iter(new))).name}"

    def redo(self) -> None:
        self.graph.move_nodes(self.new)

    def undo(self) -> None:
        self.graph.move_nodes(self.old)


class SetParams(Command):
    """Change parameters of one node. Consecutive edits of the same field(s) of a node merge."""

    def __init__(self, graph: Graph, node_id: str, params: Mapping[str, Any]) -> None:
        self.graph, self.node_id, self.new = graph, node_id, dict(params)
        node = graph.node(node_id)
        self.old = {k: node.params.get(k) for k in params}
        self.text = f"Set {', '.join(params)} of {node.name}"

    def redo(self) -> None:
        self.graph.set_params(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.set_params(self.node_id, self.old)

    def merge_key(self) -> object:
        return ("params", self.node_id, tuple(sorted(self.new)))

    def merge(self, newer: Command) -> bool:
        if not isinstance(newer, SetParams):
            return False
        self.new = dict(newer.new)
        return True


class RenameNode(Command):
    def __init__(self, graph: Graph, node_id: str, name: str) -> None:
        self.graph, self.node_id, self.name = graph, node_id, name
        self.old = graph.node(node_id).name
        self.text = f"Rename {self.old} to {name}"

    def redo(self) -> None:
        self.graph.rename_node(self.node_id, self.name)

    def undo(self) -> None:
        self.graph.rename_node(self.node_id, self.old)


class InsertNodeOnEdge(Macro):
    """Put ``node`` in the middle of ``edge``: src -> node -> dst, keeping the edge's merge position."""

    def __init__(self, graph: Graph, node: Node, edge_id: str, in_port: str = "in", out_port: str = "out") -> None:
        edge = graph.edge(edge_id)
        index = graph.edges.index(edge)
        children: list[Command] = [
            RemoveEdge(graph, edge.id),
            AddNode(graph, node),
            AddEdge(graph, Edge(edge.src, node.id, edge.src_port, in_port)),
            AddEdge(graph, Edge(node.id, edge.dst, out_port, edge.dst_port), index),
        ]
        super().__init__(f"Insert {node.name}", children)


class AddSubgraph(Macro):
    """Add nodes and the edges between them in one step (paste, duplicate, templates)."""

    def __init__(self, graph: Graph, nodes: list[Node], edges: list[Edge], text: str = "Paste") -> None:
        super().__init__(text, [*(AddNode(graph, n) for n in nodes), *(AddEdge(graph, e) for e in edges)])


def remove_nodes(graph: Graph, node_ids: list[str]) -> Macro:
    """One step deleting several nodes and every edge touching them."""
    edges = dict.fromkeys(e.id for nid in node_ids for e in graph.edges_of(nid))
    children: list[Command] = [RemoveEdge(graph, eid) for eid in edges]
    children += [_RemoveBareNode(graph, nid) for nid in node_ids]
    return Macro("Delete" if len(node_ids) != 1 else f"Delete {graph.node(node_ids[0]).name}", children)


class _RemoveBareNode(Command):
    def __init__(self, graph: Graph, node_id: str) -> None:
        self.graph, self.node = graph, graph.node(node_id)
        self.index: int | None = None

    def redo(self) -> None:
        self.index = self.graph.node_index(self.node.id)
        self.graph.remove_node(self.node.id)

    def undo(self) -> None:
        self.graph.add_node(self.node, self.index)
