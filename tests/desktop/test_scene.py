"""Orange-style scene tests: change the model, check that the scene's items follow."""

from __future__ import annotations

from PySide6.QtCore import QPointF

from core.graph.model import Edge, Graph
from core.translate.shapes import infer_graph
from desktop.canvas.items.node import NodeItem
from desktop.canvas.scene import GraphScene


def test_scene_follows_the_model(qtbot) -> None:  # type: ignore[no-untyped-def]
    scene = GraphScene()
    graph = Graph()
    scene.set_graph(graph)
    added: list[NodeItem] = []
    removed: list[NodeItem] = []
    scene.node_item_added.connect(added.append)
    scene.node_item_removed.connect(removed.append)

    inp = graph.add_node(graph.make_node("Input", {"shape": [8]}, 10, 20))
    dense = graph.add_node(graph.make_node("Dense", {"units": 4}, 300, 20))
    assert [i.node for i in added] == [inp, dense]
    item = scene.item_for_node(dense.id)
    assert item is added[1]
    assert item.pos() == QPointF(300, 20)

    edge = graph.add_edge(Edge(inp.id, dense.id))
    edge_item = scene.item_for_edge(edge.id)
    assert edge_item is not None
    assert edge_item in item.edges

    graph.set_params(dense.id, {"units": 7})
    assert ("units", "7") in item.key_params
    graph.rename_node(dense.id, "head")
    assert item.node.name == "head"

    graph.move_nodes({dense.id: (500.0, 60.0)})
    assert item.pos() == QPointF(500, 60)
    assert edge_item.path().pointAtPercent(1) == item.port("in", False).scene_center()

    scene.apply_info(infer_graph(graph))
    assert item.footer_texts() == ("→ (7,)", "63 params")
    assert edge_item.label == "(8,)"

    graph.remove_edge(edge.id)
    assert scene.item_for_edge(edge.id) is None
    assert not item.edges
    graph.remove_node(dense.id)
    assert removed == [item]
    assert scene.item_for_node(dense.id) is None
    assert item.scene() is None

    scene.set_graph(None)
    assert scene.items() == []
    graph.add_node(graph.make_node("Dense", {}, 0, 0))
    assert scene.items() == []


def test_scene_builds_items_for_existing_graph(qtbot) -> None:  # type: ignore[no-untyped-def]
    from tests.desktop.conftest import chain_graph

    graph = chain_graph()
    scene = GraphScene()
    scene.set_graph(graph)
    assert {i.node_id for i in scene.node_items()} == {n.id for n in graph.nodes}
    assert {i.edge_id for i in scene.edge_items()} == {e.id for e in graph.edges}
