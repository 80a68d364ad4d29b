"""Driving the canvas like a user: mouse events on the view's viewport, drops with real mime data."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

from desktop.canvas.view import GraphView
from desktop.main_window import MainWindow


def view_point(view: GraphView, scene_pos: QPointF) -> QPoint:
    return view.mapFromScene(scene_pos)


def mouse(view: GraphView, kind: QEvent.Type, scene_pos: QPointF, button: Qt.MouseButton = Qt.MouseButton.LeftButton,
          buttons: Qt.MouseButton | None = None,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Send one mouse event at ``scene_pos`` to the view's viewport, with explicit button state."""
    viewport = view.viewport()
    local = QPointF(view_point(view, scene_pos))
    global_pos = QPointF(viewport.mapToGlobal(local.toPoint()))
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    if kind == QEvent.Type.MouseMove:
        event = QMouseEvent(kind, local, global_pos, Qt.MouseButton.NoButton, buttons, modifiers)
    else:
        event = QMouseEvent(kind, local, global_pos, button, buttons, modifiers)
    QApplication.sendEvent(viewport, event)


def drag_on_view(view: GraphView, start: QPointF, end: QPointF, steps: int = 5,
                 modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press at ``start``, move in steps with the left button held, release at ``end``."""
    mouse(view, QEvent.Type.MouseButtonPress, start, modifiers=modifiers)
    for i in range(1, steps + 1):
        pos = start + (end - start) * (i / steps)
        mouse(view, QEvent.Type.MouseMove, pos, buttons=Qt.MouseButton.LeftButton, modifiers=modifiers)
    mouse(view, QEvent.Type.MouseButtonRelease, end, modifiers=modifiers)


def click_on_view(view: GraphView, pos: QPointF,
                  modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    mouse(view, QEvent.Type.MouseButtonPress, pos, modifiers=modifiers)
    mouse(view, QEvent.Type.MouseButtonRelease, pos, modifiers=modifiers)


def drop_mime(view: GraphView, mime: QMimeData, scene_pos: QPointF) -> bool:
    """Deliver drag-enter, drag-move and drop events carrying ``mime`` at ``scene_pos``; returns acceptance."""
    viewport = view.viewport()
    point = view_point(view, scene_pos)
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(point, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, enter)
    if not enter.isAccepted():
        return False
    move = QDragMoveEvent(point, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(QPointF(point), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def palette_mime(window: MainWindow, type_id: str) -> QMimeData:
    """The mime data the palette itself produces when its entry for ``type_id`` is dragged."""
    item = window.palette_panel.item_for(type_id)
    assert item is not None, type_id
    return window.palette_panel.tree.mimeData([item])


def node_ids_by_type(window: MainWindow, type_id: str) -> list[str]:
    return [n.id for n in window.document.graph.nodes if n.type == type_id]


def settle(window: MainWindow) -> None:
    """Run the pending 0-ms inference so panels show the latest graph."""
    window.document.refresh()
