"""check_connect refuses each bad connection with its typed error naming the node; graph order."""

from __future__ import annotations

import pytest

from core.catalog.registry import all_specs
from core.graph.errors import (
    CycleError,
    DuplicateEdgeError,
    GraphError,
    PortOccupiedError,
    SelfLoopError,
    UnknownNodeError,
    UnknownPortError,
)
from core.graph.model import Edge, Graph
from core.graph.validation import check_connect, creates_cycle, topological_order, upstream
from tests.conftest import add, link

MERGE = next((s.id for s in all_specs() if any(p.multiple for p in s.inputs)), None)
needs_merge = pytest.mark.skipif(MERGE is None, reason="no merge layer in the catalog yet")


def _refused(graph: Graph, edge: Edge, error: type[GraphError], node_id: str) -> None:
    before = graph.edges
    with pytest.raises(error) as info:
        check_connect(graph, edge)
    assert info.value.node_id == node_id
    assert graph.edges == before


def test_valid_connection_passes(graph: Graph) -> None:
    a, b = add(graph, "Input", shape=[4]), add(graph, "Dense")
    check_connect(graph, Edge(a.id, b.id))


def test_self_loop_is_refused(graph: Graph) -> None:
    a = add(graph, "Dense")
    _refused(graph, Edge(a.id, a.id), SelfLoopError, a.id)


def test_cycle_is_refused(graph: Graph) -> None:
    a, b, c = add(graph, "Dense"), add(graph, "Dense"), add(graph, "Dense")
    link(graph, a, b, c)
    _refused(graph, Edge(c.id, a.id), CycleError, a.id)
    assert creates_cycle(graph, c.id, a.id)
    assert not creates_cycle(graph, a.id, c.id)


def test_occupied_single_input_port_is_refused(graph: Graph) -> None:
    a, b, c = add(graph, "Input", shape=[4]), add(graph, "Input", shape=[4]), add(graph, "Dense")
    link(graph, a, c)
    _refused(graph, Edge(b.id, c.id), PortOccupiedError, c.id)


def test_duplicate_edge_is_refused(graph: Graph) -> None:
    a, b = add(graph, "Input", shape=[4]), add(graph, "Dense")
    link(graph, a, b)
    _refused(graph, Edge(a.id, b.id), DuplicateEdgeError, b.id)


@needs_merge
def test_merge_port_takes_many_inputs_but_not_the_same_twice(graph: Graph) -> None:
    a, b = add(graph, "Input", shape=[4]), add(graph, "Input", shape=[4])
    m = add(graph, str(MERGE))
    link(graph, a, m)
    check_connect(graph, Edge(b.id, m.id))
    _refused(graph, Edge(a.id, m.id), DuplicateEdgeError, m.id)


@pytest.mark.parametrize(("src_port", "dst_port", "culprit"), [("nope", "in", "src"), ("out", "nope", "dst")])
def test_unknown_ports_are_refused(graph: Graph, src_port: str, dst_port: str, culprit: str) -> None:
    a, b = add(graph, "Input", shape=[4]), add(graph, "Dense")
    node_id = a.id if culprit == "src" else b.id
    _refused(graph, Edge(a.id, b.id, src_port, dst_port), UnknownPortError, node_id)


def test_connecting_into_an_input_layer_is_refused(graph: Graph) -> None:
    a, b = add(graph, "Dense"), add(graph, "Input", shape=[4])
    _refused(graph, Edge(a.id, b.id), UnknownPortError, b.id)


def test_unknown_node_is_refused(graph: Graph) -> None:
    a = add(graph, "Dense")
    _refused(graph, Edge(a.id, "ghost"), UnknownNodeError, "ghost")


def test_topological_order_puts_every_edge_forward(graph: Graph) -> None:
    # inserted in reverse order of the data flow, with a branch
    d, c, b, a = add(graph, "Dense"), add(graph, "Dense"), add(graph, "Dense"), add(graph, "Input", shape=[3])
    link(graph, a, b, c, d)
    e = add(graph, "Dense")
    link(graph, b, e)
    order = topological_order(graph)
    assert sorted(order) == sorted(n.id for n in graph.nodes)
    pos = {nid: i for i, nid in enumerate(order)}
    assert all(pos[edge.src] < pos[edge.dst] for edge in graph.edges)
    assert order[0] == a.id


def test_topological_order_keeps_insertion_order_of_independent_nodes(graph: Graph) -> None:
    nodes = [add(graph, "Input", shape=[2]) for _ in range(5)]
    assert topological_order(graph) == [n.id for n in nodes]


def test_topological_order_raises_cycle_error_naming_a_node(graph: Graph) -> None:
    a, b = add(graph, "Dense"), add(graph, "Dense")
    graph.add_edge(Edge(a.id, b.id))
    graph.add_edge(Edge(b.id, a.id))  # unchecked on purpose
    with pytest.raises(CycleError) as info:
        topological_order(graph)
    assert info.value.node_id in (a.id, b.id)


def test_upstream_collects_every_ancestor(graph: Graph) -> None:
    a, b, c, d = add(graph, "Input", shape=[2]), add(graph, "Dense"), add(graph, "Dense"), add(graph, "Dense")
    link(graph, a, b, c)
    link(graph, a, d)
    assert upstream(graph, c.id) == {a.id, b.id}
    assert upstream(graph, a.id) == set()
