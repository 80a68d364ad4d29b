"""Undo/redo through the editor, delete, copy/paste, duplicate, quick add and auto layout."""

from __future__ import annotations

from itertools import combinations, pairwise

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QGuiApplication

from desktop.canvas.layout import layered_layout
from desktop.main_window import MainWindow
from tests.desktop.helpers import drag_on_view, drop_mime, node_ids_by_type, palette_mime, settle


def test_undo_redo_ten_mixed_edits(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    graph, stack, editor = window.document.graph, window.document.stack, window.editor
    _inp, conv1, conv2 = (n.id for n in graph.nodes)
    snapshots = [graph.to_dict()]

    def step() -> None:
        snapshots.append(graph.to_dict())

    drop_mime(window.view, palette_mime(window, "Flatten"), QPointF(1000, 60))
    step()
    flat = node_ids_by_type(window, "Flatten")[0]
    editor.connect_ports(conv2, "out", flat, "in")
    step()
    editor.add_after("Dense", flat)
    step()
    dense = node_ids_by_type(window, "Dense")[0]
    editor.set_params(dense, {"units": 10})
    step()
    editor.rename(dense, "logits")
    step()
    window.scene.select_nodes([conv1, conv2])
    item = window.scene.item_for_node(conv2)
    grab = item.mapToScene(QPointF(100, 40))
    drag_on_view(window.view, grab, grab + QPointF(0, 200))
    step()
    editor.insert_on_edge("Activation", graph.out_edges(conv1)[0].id, 450, 300)
    step()
    window.scene.select_nodes([conv1])
    window.duplicate()
    step()
    window.auto_layout()
    step()
    window.scene.select_nodes([flat])
    window.actions_by_id["edit.delete"].trigger()
    step()
    assert len(snapshots) == 11
    assert all(a != b for a, b in pairwise(snapshots))
    assert len(stack) == 10
    for expected in reversed(snapshots[:-1]):
        window.actions_by_id["edit.undo"].trigger()
        assert graph.to_dict() == expected
    assert not stack.can_undo()
    assert not window.isWindowModified()
    for expected in snapshots[1:]:
        window.actions_by_id["edit.redo"].trigger()
        assert graph.to_dict() == expected
    settle(window)
    assert {i.node_id for i in window.scene.node_items()} == {n.id for n in graph.nodes}
    assert {i.edge_id for i in window.scene.edge_items()} == {e.id for e in graph.edges}


def test_delete_restores_node_and_edges_on_undo(window: MainWindow) -> None:
    graph = window.document.graph
    conv1 = graph.nodes[1].id
    before = graph.to_dict()
    window.scene.select_nodes([conv1])
    window.view.setFocus()
    window.actions_by_id["edit.delete"].trigger()
    assert not graph.has_node(conv1)
    assert len(graph.edges) == 0
    assert window.scene.item_for_node(conv1) is None
    window.document.stack.undo()
    assert graph.to_dict() == before
    assert len(window.scene.edge_items()) == 2


def test_delete_key_removes_selected_edge(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    graph = window.document.graph
    edge = graph.edges[0]
    window.scene.clearSelection()
    window.scene.item_for_edge(edge.id).setSelected(True)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert all(e.id != edge.id for e in graph.edges)
    assert len(graph) == 3


def test_copy_paste_gets_new_ids_offset_and_inner_edges(window: MainWindow) -> None:
    graph = window.document.graph
    _inp, conv1, conv2 = graph.nodes
    window.scene.select_nodes([conv1.id, conv2.id])
    window.actions_by_id["edit.copy"].trigger()
    assert QGuiApplication.clipboard().mimeData().hasFormat("application/x-layerbench-graph")
    window.actions_by_id["edit.paste"].trigger()
    assert len(graph) == 5
    pasted = [graph.node(n) for n in window.scene.selected_node_ids()]
    assert len(pasted) == 2
    assert {n.id for n in pasted}.isdisjoint({conv1.id, conv2.id})
    assert len({n.name for n in graph.nodes}) == 5
    assert sorted((n.x, n.y) for n in pasted) == sorted((n.x + 40, n.y + 40) for n in (conv1, conv2))
    inner = [e for e in graph.edges if e.src in {n.id for n in pasted}]
    assert len(inner) == 1
    assert inner[0].dst in {n.id for n in pasted}
    window.actions_by_id["edit.paste"].trigger()
    again = [graph.node(n) for n in window.scene.selected_node_ids()]
    assert sorted((n.x, n.y) for n in again) == sorted((n.x + 80, n.y + 80) for n in (conv1, conv2))
    window.document.stack.undo()
    window.document.stack.undo()
    assert len(graph) == 3


def test_cut_then_paste(window: MainWindow) -> None:
    graph = window.document.graph
    conv2 = graph.nodes[2]
    window.scene.select_nodes([conv2.id])
    window.actions_by_id["edit.cut"].trigger()
    assert len(graph) == 2
    window.actions_by_id["edit.paste"].trigger()
    assert len(graph) == 3
    assert graph.nodes[-1].type == "Conv2D"


def test_quick_add_adds_after_selection_and_connects(window: MainWindow, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from desktop.dialogs import quick_add

    graph = window.document.graph
    conv2 = graph.nodes[2].id
    window.scene.select_nodes([conv2])

    def typed_exec(dialog: quick_add.QuickAddDialog) -> int:
        qtbot.keyClicks(dialog.search, "flat")
        assert dialog.list.currentItem().text().startswith("Flatten")
        qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
        return int(dialog.result())

    monkeypatch.setattr(quick_add.QuickAddDialog, "exec", typed_exec)
    window.actions_by_id["edit.quick_add"].trigger()
    (flat,) = node_ids_by_type(window, "Flatten")
    assert [(e.src, e.dst) for e in graph.out_edges(conv2)] == [(conv2, flat)]
    assert window.scene.selected_node_ids() == [flat]
    assert graph.node(flat).x > graph.node(conv2).x
    window.document.stack.undo()
    assert node_ids_by_type(window, "Flatten") == []
    assert not graph.out_edges(conv2)


def test_palette_double_click_adds_after_selected(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    conv2 = window.document.graph.nodes[2].id
    window.scene.select_nodes([conv2])
    tree = window.palette_panel.tree
    item = window.palette_panel.item_for("Flatten")
    tree.scrollToItem(item)
    pos = tree.visualItemRect(item).center()
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    (flat,) = node_ids_by_type(window, "Flatten")
    assert window.document.graph.in_edges(flat)[0].src == conv2


def test_palette_search_filters(window: MainWindow) -> None:
    window.palette_panel.search.setText("maxpool")
    shown = window.palette_panel.visible_types()
    assert shown
    assert all("MaxPooling" in t for t in shown)
    window.palette_panel.search.setText("")
    assert len(window.palette_panel.visible_types()) > len(shown)


def _overlaps(window: MainWindow) -> list[tuple[str, str]]:
    rects = {i.node_id: i.sceneBoundingRect() for i in window.scene.node_items()}
    return [(a, b) for a, b in combinations(rects, 2) if rects[a].intersects(rects[b])]


def test_auto_layout_leaves_no_overlap_and_is_one_step(window: MainWindow) -> None:
    graph, editor = window.document.graph, window.editor
    for n in graph.nodes:
        editor.move_nodes({n.id: (0.0, 0.0)})
    inp, conv1, _ = graph.nodes
    for t in ("Conv2D", "Conv2D", "MaxPooling2D"):
        editor.add_after(t, conv1.id)
    editor.add_after("Dense", inp.id)
    editor.move_nodes({n.id: (10.0, 10.0) for n in graph.nodes})
    assert _overlaps(window)
    depth = len(window.document.stack)
    window.actions_by_id["view.layout"].trigger()
    assert len(window.document.stack) == depth + 1
    assert _overlaps(window) == []
    for e in graph.edges:
        assert graph.node(e.src).x < graph.node(e.dst).x
    window.document.stack.undo()
    assert all((n.x, n.y) == (10.0, 10.0) for n in graph.nodes)


def test_layered_layout_orders_layers_and_reduces_crossings() -> None:
    nodes = ["a", "b", "c", "d", "e"]
    edges = [("a", "c"), ("b", "d"), ("a", "e"), ("c", "e"), ("d", "e")]
    pos = layered_layout(nodes, edges, dict.fromkeys(nodes, 100.0), 200)
    assert pos["a"][0] == pos["b"][0] < pos["c"][0] == pos["d"][0] < pos["e"][0]
    assert (pos["a"][1] < pos["b"][1]) == (pos["c"][1] < pos["d"][1])


def test_layered_layout_gives_skip_connections_their_own_lane() -> None:
    nodes = ["inp", "conv", "bn", "add", "out"]
    edges = [("inp", "conv"), ("conv", "bn"), ("bn", "add"), ("inp", "add"), ("add", "out")]
    pos = layered_layout(nodes, edges, dict.fromkeys(nodes, 100.0), 200, gap_y=40)
    assert pos["add"][1] == pos["inp"][1] == pos["out"][1]
    assert pos["conv"][1] == pos["bn"][1] > pos["inp"][1] + 100


def test_quick_add_with_an_edge_selected_inserts_into_it(window: MainWindow) -> None:
    graph = window.document.graph
    inp, conv1, _ = (n.id for n in graph.nodes)
    edge = graph.out_edges(inp)[0]
    window.scene.clearSelection()
    window.scene.item_for_edge(edge.id).setSelected(True)
    node_id = window.add_after_selection("Activation")
    assert node_id is not None
    assert {(e.src, e.dst) for e in graph.edges if node_id in (e.src, e.dst)} == {(inp, node_id), (node_id, conv1)}
