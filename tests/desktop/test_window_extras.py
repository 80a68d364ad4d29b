"""Smaller window behaviours: space-drag panning, context menu, problem centring, recent files, stats, themes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu

from desktop.main_window import MainWindow
from desktop.theme import DARK, LIGHT, colors
from tests.desktop.helpers import mouse, settle


def test_space_drag_pans(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    view = window.view
    view.setFocus()
    before = view.visible_scene_rect().center()
    qtbot.keyPress(view, Qt.Key.Key_Space)
    start = QPointF(450, 300)
    mouse(view, QEvent.Type.MouseButtonPress, start)
    local = QPointF(view.mapFromScene(start)) + QPointF(80, 0)
    mouse(view, QEvent.Type.MouseMove, view.mapToScene(local.toPoint()), buttons=Qt.MouseButton.LeftButton)
    mouse(view, QEvent.Type.MouseButtonRelease, view.mapToScene(local.toPoint()))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    after = view.visible_scene_rect().center()
    assert abs((before - after).x() - 80) < 2
    assert window.scene.selected_node_ids() == []  # panning never rubber-bands


@pytest.mark.qt_log_ignore("does not support raise", "grabbing the keyboard", "propagateSizeHints")
def test_context_menu_offers_edit_actions(window: MainWindow) -> None:
    node = window.scene.node_items()[1]
    pos = window.view.mapFromScene(node.mapToScene(QPointF(90, 40)))
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, window.view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(window.view.viewport(), event)
    menus = [m for m in window.findChildren(QMenu) if m.isVisible()]
    assert menus
    texts = [a.text() for a in menus[-1].actions()]
    assert "&Delete" in texts
    assert "D&uplicate" in texts
    assert window.scene.selected_node_ids() == [node.node_id]
    menus[-1].close()


def test_problem_click_selects_and_centres(window: MainWindow) -> None:
    graph = window.document.graph
    far = window.editor.add_node("Dense", 3000, 2000)
    assert far is not None
    settle(window)
    row = next(i for i in range(window.problems.count()) if window.problems.item(i).data(Qt.ItemDataRole.UserRole + 1)
               == far)
    window.problems.itemClicked.emit(window.problems.item(row))
    assert window.scene.selected_node_ids() == [far]
    item = window.scene.item_for_node(far)
    assert window.view.visible_scene_rect().contains(item.sceneBoundingRect().center())
    assert "problem" in window.stats.text()
    assert f"{len(graph)} layers" in window.stats.text()


def test_recent_files_menu(window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.layerbench"
    assert window.projects.write(path)
    window.recent_menu.aboutToShow.emit()
    actions = window.recent_menu.actions()
    assert [a.text() for a in actions] == [str(path)]
    window.editor.add_node("Dense", 0, 300)
    window.document.mark_saved()
    actions[0].trigger()
    assert len(window.document.graph) == 3


def test_empty_canvas_shows_hint_and_themes_switch(empty_window: MainWindow) -> None:
    image = empty_window.view.viewport().grab()
    assert not image.isNull()
    empty_window.set_theme(True)
    assert colors() is DARK
    empty_window.set_theme(False)
    assert colors() is LIGHT


def test_shortcuts_are_bound(window: MainWindow) -> None:
    def keys(action_id: str) -> list[str]:
        return [k.toString() for k in window.actions_by_id[action_id].shortcuts()]

    assert keys("file.new") == ["Ctrl+N"]
    assert keys("file.save_as") == ["Ctrl+Shift+S"]
    assert keys("edit.redo") == ["Ctrl+Shift+Z", "Ctrl+Y"]
    assert keys("edit.quick_add") == ["Ctrl+K"]
    assert keys("view.fit") == ["F"]
    assert keys("view.layout") == ["Ctrl+L"]


def test_arrow_keys_nudge_selection(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    node = window.document.graph.nodes[1]
    x, y = node.x, node.y
    window.scene.select_nodes([node.id])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    qtbot.keyClick(window.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert (node.x, node.y) == (x + 20, y + 100)
    assert window.scene.item_for_node(node.id).pos() == QPointF(x + 20, y + 100)
    window.document.stack.undo()
    assert (node.x, node.y) == (x + 20, y)
