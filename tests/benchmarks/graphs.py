"""Large graphs for the benchmarks, built without per-edge checks (they are valid by construction)."""

from __future__ import annotations

from core.graph.model import Edge, Graph, Node


def _add(graph: Graph, type_id: str, **params: object) -> Node:
    return graph.add_node(graph.make_node(type_id, params))


def dense_chain(nodes: int, units: int = 64) -> Graph:
    """Input followed by ``nodes - 1`` Dense layers in a line."""
    graph = Graph()
    prev = _add(graph, "Input", shape=[units])
    for _ in range(nodes - 1):
        node = _add(graph, "Dense", units=units)
        graph.add_edge(Edge(prev.id, node.id))
        prev = node
    return graph


def residual(nodes: int, units: int = 64) -> Graph:
    """Input, then blocks of Dense -> Dense -> Add(block input, block output) up to ``nodes`` nodes."""
    graph = Graph()
    prev = _add(graph, "Input", shape=[units])
    while len(graph) + 3 <= nodes:
        a = _add(graph, "Dense", units=units, activation="relu")
        b = _add(graph, "Dense", units=units)
        merge = _add(graph, "Add")
        for src, dst in ((prev, a), (a, b), (b, merge), (prev, merge)):
            graph.add_edge(Edge(src.id, dst.id))
        prev = merge
    while len(graph) < nodes:
        node = _add(graph, "Dense", units=units)
        graph.add_edge(Edge(prev.id, node.id))
        prev = node
    return graph
