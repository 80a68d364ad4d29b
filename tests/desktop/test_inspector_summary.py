"""The inspector edits parameters as undoable commands; shapes, the summary and problems follow at once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from desktop.main_window import MainWindow
from desktop.panels.param_editors import ChoiceEditor, IntEditor, IntsEditor, RegularizerEditor, ShapeEditor
from tests.desktop.helpers import settle


def _select(window: MainWindow, index: int) -> str:
    node_id = window.document.graph.nodes[index].id
    window.scene.select_nodes([node_id])
    assert window.inspector.node_id == node_id
    return node_id


def test_inspector_has_an_editor_per_param(window: MainWindow) -> None:
    _select(window, 1)
    eds = window.inspector.editors
    assert isinstance(eds["filters"], IntEditor)
    assert isinstance(eds["kernel_size"], IntsEditor)
    assert isinstance(eds["padding"], ChoiceEditor)
    assert isinstance(eds["kernel_regularizer"], RegularizerEditor)
    assert eds["filters"].box.maximum() >= 1024
    assert eds["filters"].box.minimum() >= 1
    _select(window, 0)
    assert isinstance(window.inspector.editors["shape"], ShapeEditor)


def test_edit_updates_downstream_shapes_and_summary(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    graph = window.document.graph
    conv1 = _select(window, 1)
    conv2 = graph.nodes[2].id
    settle(window)
    params_before = window.summary.cell_text(conv2, "Params")
    box = window.inspector.editors["filters"].box
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "4")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert graph.node(conv1).params["filters"] == 4
    settle(window)
    assert window.summary.cell_text(conv2, "Params") == f"{3 * 3 * 4 * 16 + 16:,}"
    assert window.summary.cell_text(conv2, "Params") != params_before
    # kernel 5x5 on conv1: the downstream shape shrinks on the canvas and on the edge label
    sizes = window.inspector.editors["kernel_size"].boxes
    for b in sizes:
        b.setFocus()
        b.selectAll()
        qtbot.keyClicks(b, "5")
        qtbot.keyClick(b, Qt.Key.Key_Return)
    settle(window)
    assert graph.node(conv1).params["kernel_size"] == (5, 5)
    assert window.scene.item_for_node(conv2).footer_texts()[0] == "→ (22, 22, 16)"
    edge = graph.out_edges(conv1)[0]
    assert window.scene.item_for_edge(edge.id).label == "(24, 24, 4)"
    assert window.summary.cell_text(conv2, "Output shape") == "(22, 22, 16)"
    window.document.stack.undo()
    settle(window)
    assert graph.node(conv1).params["kernel_size"] in ((5, 3), (3, 3))


def test_invalid_value_is_refused_with_reason(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    graph = window.document.graph
    inp = _select(window, 0)
    before = graph.to_dict()
    line: QLineEdit = window.inspector.editors["shape"].line
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, "28, x, 1")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert graph.to_dict() == before
    assert window.inspector.error.isVisibleTo(window.inspector)
    assert "'x' is not a whole number" in window.inspector.error.text()
    line.selectAll()
    qtbot.keyClicks(line, "32, 32, 3")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert graph.node(inp).params["shape"] == (32, 32, 3)
    assert not window.inspector.error.isVisibleTo(window.inspector)


def test_shape_error_shows_badge_and_problem(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    graph = window.document.graph
    conv2 = _select(window, 2)
    window.editor.set_params(conv2, {"kernel_size": (30, 30)})
    settle(window)
    item = window.scene.item_for_node(conv2)
    assert item.badge.isVisible()
    assert "does not fit" in item.badge.toolTip()
    problems = window.problems
    assert problems.count() == 1
    assert window.docks["problems"].windowTitle() == "Problems (1)"
    window.scene.clearSelection()
    problems.itemClicked.emit(problems.item(0))
    assert window.scene.selected_node_ids() == [conv2]
    assert "does not fit" in window.inspector.status.text()
    window.document.stack.undo()
    settle(window)
    assert not item.badge.isVisible()
    assert graph.node(conv2).params["kernel_size"] == (3, 3)


def test_rename_is_undoable(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    conv1 = _select(window, 1)
    edit = window.inspector.name_edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "features")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.document.graph.node(conv1).name == "features"
    settle(window)
    assert window.summary.cell_text(conv1, "Layer") == "features"
    window.document.stack.undo()
    assert window.document.graph.node(conv1).name == "conv2d_1"
    assert edit.text() == "conv2d_1"


def test_summary_totals_memory_and_row_click(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    settle(window)
    info = window.document.info
    assert f"{info.total_params:,}" in window.summary.totals.text()
    first = window.summary.memory.text()
    window.summary.batch.setValue(64)
    assert window.summary.memory.text() != first
    conv2 = window.document.graph.nodes[2].id
    table = window.summary.table
    window.docks["summary"].raise_()
    index = window.summary.model.index(window.summary.row_of(conv2), 0)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    assert window.scene.selected_node_ids() == [conv2]


def test_pending_edit_goes_to_its_own_node_when_selection_moves(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    graph = window.document.graph
    conv1 = _select(window, 1)
    box = window.inspector.editors["filters"].box
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "5")  # typed, not yet committed
    conv2 = graph.nodes[2].id
    window.view.setFocus()  # focus leaves the editor: it commits
    window.scene.select_nodes([conv2])
    assert graph.node(conv1).params["filters"] == 5
    assert graph.node(conv2).params["filters"] == 16


def test_every_catalog_type_opens_in_the_inspector(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Each layer type gets its editors, showing its defaults (pooling strides of None included)."""
    from core.catalog.registry import all_specs
    from core.graph.commands import AddNode

    graph = window.document.graph
    for spec in all_specs():
        if spec.id == "KerasLayer":
            continue
        node = graph.make_node(spec.id)
        window.document.stack.push(AddNode(graph, node))
        window.scene.select_nodes([node.id])
        assert window.inspector.node_id == node.id
        assert set(window.inspector.editors) == {p.name for p in spec.params}, spec.id


def test_auto_strides_toggle_between_none_and_a_tuple(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    from core.graph.commands import AddNode

    graph = window.document.graph
    node = graph.make_node("MaxPooling2D")
    window.document.stack.push(AddNode(graph, node))
    window.scene.select_nodes([node.id])
    editor = window.inspector.editors["strides"]
    assert isinstance(editor, IntsEditor)
    assert editor.auto is not None
    assert editor.auto.isChecked()
    assert not editor.boxes[0].isEnabled()
    editor.auto.setChecked(False)
    settle(window)
    assert graph.node(node.id).params["strides"] == (1, 1)
    window.document.stack.undo()
    assert graph.node(node.id).params["strides"] is None
