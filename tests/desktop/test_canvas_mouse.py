"""Editing on the canvas with real events: palette drops, port drags, moves, selection."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt

from desktop.canvas.items.port import PortState
from desktop.canvas.view import LAYER_MIME
from desktop.main_window import MainWindow
from tests.desktop.helpers import (
    click_on_view,
    drag_on_view,
    drop_mime,
    mouse,
    node_ids_by_type,
    palette_mime,
    settle,
)


def test_palette_drop_creates_node_at_drop_point(window: MainWindow) -> None:
    mime = palette_mime(window, "Dense")
    assert mime.hasFormat(LAYER_MIME)
    drop_at = QPointF(400, 320)
    assert drop_mime(window.view, mime, drop_at)
    (node_id,) = node_ids_by_type(window, "Dense")
    item = window.scene.item_for_node(node_id)
    assert item is not None
    assert item.sceneBoundingRect().contains(drop_at)
    assert window.scene.selected_node_ids() == [node_id]
    window.document.stack.undo()
    assert node_ids_by_type(window, "Dense") == []
    assert window.scene.item_for_node(node_id) is None


def test_drop_on_edge_inserts_node(window: MainWindow) -> None:
    graph = window.document.graph
    inp, conv1, _ = (n.id for n in graph.nodes)
    edge = graph.out_edges(inp)[0]
    edge_item = window.scene.item_for_edge(edge.id)
    assert edge_item is not None
    on_edge = edge_item.path().pointAtPercent(0.3)
    assert drop_mime(window.view, palette_mime(window, "Activation"), on_edge)
    (act,) = node_ids_by_type(window, "Activation")
    assert {(e.src, e.dst) for e in graph.edges if act in (e.src, e.dst)} == {(inp, act), (act, conv1)}
    assert not graph.has_node(edge.id)
    assert all(e.id != edge.id for e in graph.edges)
    window.document.stack.undo()
    assert next((e.src, e.dst) for e in graph.edges) == (inp, conv1)


def test_drop_of_foreign_mime_is_refused(window: MainWindow) -> None:
    from PySide6.QtCore import QMimeData

    mime = QMimeData()
    mime.setText("Dense")
    assert not drop_mime(window.view, mime, QPointF(100, 300))
    assert len(window.document.graph) == 3


def _add(window: MainWindow, type_id: str, x: float, y: float) -> str:
    node_id = window.editor.add_node(type_id, x, y)
    assert node_id is not None
    return node_id


def test_connect_two_ports_by_dragging(window: MainWindow) -> None:
    graph = window.document.graph
    conv2 = graph.nodes[2].id
    flat = _add(window, "Flatten", 900, 0)
    out_port = window.scene.item_for_node(conv2).port("out", True)
    in_port = window.scene.item_for_node(flat).port("in", False)
    view = window.view
    mouse(view, QEvent.Type.MouseButtonPress, out_port.scene_center())
    mouse(view, QEvent.Type.MouseMove, (out_port.scene_center() + in_port.scene_center()) / 2,
          buttons=Qt.MouseButton.LeftButton)
    assert in_port.state == PortState.COMPATIBLE
    input_port = window.scene.item_for_node(graph.nodes[1].id).port("in", False)
    assert input_port.state == PortState.REFUSED  # already fed by the Input
    mouse(view, QEvent.Type.MouseMove, in_port.scene_center(), buttons=Qt.MouseButton.LeftButton)
    mouse(view, QEvent.Type.MouseButtonRelease, in_port.scene_center())
    assert [(e.src, e.dst) for e in graph.out_edges(conv2)] == [(conv2, flat)]
    assert in_port.state == PortState.NORMAL
    settle(window)
    assert window.scene.item_for_node(flat).footer_texts()[0] == "→ (9216,)"


def test_invalid_connection_is_refused_with_reason(window: MainWindow) -> None:
    graph = window.document.graph
    conv1 = graph.nodes[1].id
    other = _add(window, "Input", 0, 300)
    before = graph.to_dict()
    depth = len(window.document.stack)
    src = window.scene.item_for_node(other).port("out", True).scene_center()
    dst = window.scene.item_for_node(conv1).port("in", False).scene_center()
    drag_on_view(window.view, src, dst)
    assert graph.to_dict() == before
    assert len(window.document.stack) == depth
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot connect")
    assert "already takes its input" in message


def test_cycle_is_refused(window: MainWindow) -> None:
    graph = window.document.graph
    conv1, conv2 = graph.nodes[1].id, graph.nodes[2].id
    src = window.scene.item_for_node(conv2).port("out", True).scene_center()
    dst = window.scene.item_for_node(conv1).port("in", False).scene_center()
    edges = len(graph.edges)
    drag_on_view(window.view, src, dst)
    assert len(graph.edges) == edges
    assert "Cannot connect" in window.statusBar().currentMessage()


def test_moving_several_nodes_is_one_undo_step(window: MainWindow) -> None:
    graph = window.document.graph
    a, b, c = graph.nodes
    start = {n.id: (n.x, n.y) for n in graph.nodes}
    window.scene.select_nodes([a.id, b.id])
    item_b = window.scene.item_for_node(b.id)
    grab = item_b.mapToScene(QPointF(100, 40))
    depth = len(window.document.stack)
    drag_on_view(window.view, grab, grab + QPointF(60, 120), steps=8)
    assert len(window.document.stack) == depth + 1
    assert (a.x, a.y) == (start[a.id][0] + 60, start[a.id][1] + 120)
    assert (b.x, b.y) == (start[b.id][0] + 60, start[b.id][1] + 120)
    assert (c.x, c.y) == start[c.id]
    edge_item = window.scene.item_for_edge(graph.out_edges(b.id)[0].id)
    assert edge_item.path().pointAtPercent(0).x() == item_b.port("out", True).scene_center().x()
    window.document.stack.undo()
    assert {n.id: (n.x, n.y) for n in graph.nodes} == start
    assert window.scene.item_for_node(a.id).pos() == QPointF(*start[a.id])


def test_click_selects_and_shift_or_ctrl_click_adds(window: MainWindow) -> None:
    a, b, c = (window.scene.item_for_node(n.id) for n in window.document.graph.nodes)
    click_on_view(window.view, a.mapToScene(QPointF(100, 40)))
    assert window.scene.selected_node_ids() == [a.node_id]
    click_on_view(window.view, b.mapToScene(QPointF(100, 40)), Qt.KeyboardModifier.ShiftModifier)
    click_on_view(window.view, c.mapToScene(QPointF(100, 40)), Qt.KeyboardModifier.ControlModifier)
    assert set(window.scene.selected_node_ids()) == {a.node_id, b.node_id, c.node_id}
    click_on_view(window.view, QPointF(450, 600))
    assert window.scene.selected_node_ids() == []


def test_rubber_band_selects_nodes_inside(window: MainWindow) -> None:
    a, b, _c = (window.scene.item_for_node(n.id) for n in window.document.graph.nodes)
    top_left = a.sceneBoundingRect().topLeft() - QPointF(20, 20)
    bottom_right = b.sceneBoundingRect().bottomRight() + QPointF(20, 20)
    drag_on_view(window.view, top_left, bottom_right, steps=6)
    assert set(window.scene.selected_node_ids()) == {a.node_id, b.node_id}


def test_wheel_zooms_around_cursor_and_fit(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    view = window.view
    anchor = QPointF(300, 100)
    local = view.mapFromScene(anchor)
    glob = view.viewport().mapToGlobal(local)
    event = QWheelEvent(QPointF(local), QPointF(glob), QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom() > 1.2
    after = view.mapToScene(local)
    assert abs(after.x() - anchor.x()) < 3
    assert abs(after.y() - anchor.y()) < 3
    view.fit()
    visible = view.visible_scene_rect()
    for item in window.scene.node_items():
        assert visible.contains(item.sceneBoundingRect())


def test_middle_drag_pans(window: MainWindow) -> None:
    view = window.view
    before = view.visible_scene_rect().center()
    start = QPointF(450, 300)
    mouse(view, QEvent.Type.MouseButtonPress, start, button=Qt.MouseButton.MiddleButton)
    local = QPointF(view.mapFromScene(start)) + QPointF(-100, -50)
    mouse(view, QEvent.Type.MouseMove, view.mapToScene(local.toPoint()), buttons=Qt.MouseButton.MiddleButton)
    mouse(view, QEvent.Type.MouseButtonRelease, view.mapToScene(local.toPoint()), button=Qt.MouseButton.MiddleButton)
    after = view.visible_scene_rect().center()
    assert abs((after - before).x() - 100) < 2
    assert abs((after - before).y() - 50) < 2


def test_drag_connected_input_moves_the_edge(window: MainWindow) -> None:
    graph = window.document.graph
    inp, conv1, conv2 = (n.id for n in graph.nodes)
    flat = _add(window, "Flatten", 600, 300)
    start = window.scene.item_for_node(conv2).port("in", False).scene_center()
    target = window.scene.item_for_node(flat).port("in", False).scene_center()
    depth = len(window.document.stack)
    drag_on_view(window.view, start, target)
    assert {(e.src, e.dst) for e in graph.edges} == {(inp, conv1), (conv1, flat)}
    assert len(window.document.stack) == depth + 1
    assert all(i.isVisible() for i in window.scene.edge_items())
    window.document.stack.undo()
    assert {(e.src, e.dst) for e in graph.edges} == {(inp, conv1), (conv1, conv2)}


def test_drag_connected_input_to_empty_space_disconnects(window: MainWindow) -> None:
    graph = window.document.graph
    conv2 = graph.nodes[2].id
    start = window.scene.item_for_node(conv2).port("in", False).scene_center()
    drag_on_view(window.view, start, start + QPointF(-20, 250))
    assert graph.in_edges(conv2) == []
    window.document.stack.undo()
    assert len(graph.in_edges(conv2)) == 1
    assert window.scene.item_for_edge(graph.in_edges(conv2)[0].id).isVisible()


def test_refused_move_keeps_the_edge(window: MainWindow) -> None:
    graph = window.document.graph
    _inp, conv1, conv2 = (n.id for n in graph.nodes)
    before = graph.to_dict()
    start = window.scene.item_for_node(conv2).port("in", False).scene_center()
    target = window.scene.item_for_node(conv1).port("in", False).scene_center()  # occupied by the Input
    drag_on_view(window.view, start, target)
    assert graph.to_dict() == before
    assert "Cannot connect" in window.statusBar().currentMessage()
    assert all(i.isVisible() for i in window.scene.edge_items())
