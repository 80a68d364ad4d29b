"""The action table: every menu and toolbar command in one place (id, text, shortcut, icon, callback).

``MainWindow`` builds its menus and toolbar from ``ACTIONS`` (napari's action registry, in small).
A callback takes the main window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from desktop.icons import tool_icon


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    menu: str
    callback: Callable[[Any], None]
    shortcut: tuple[str, ...] = ()
    icon: str = ""
    toolbar: bool = False
    tip: str = ""
    separator: bool = False
    """Draw a separator before this entry in its menu."""


def _export(fmt: str) -> Callable[[Any], None]:
    return lambda w: w.exports.start(fmt)


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("file.new", "&New…", "&File", lambda w: w.projects.new(), ("Ctrl+N",), "new", True,
               "Start a new project from a template"),
    ActionSpec("file.open", "&Open…", "&File", lambda w: w.projects.open(), ("Ctrl+O",), "open", True,
               "Open a project, or import a Keras model (.keras, .h5)"),
    ActionSpec("file.save", "&Save", "&File", lambda w: w.projects.save(), ("Ctrl+S",), "save", True,
               "Save the project"),
    ActionSpec("file.save_as", "Save &As…", "&File", lambda w: w.projects.save_as(), ("Ctrl+Shift+S",)),
    ActionSpec("export.savedmodel", "TensorFlow &SavedModel…", "&File/&Export", _export("savedmodel")),
    ActionSpec("export.keras", "&Keras file (.keras)…", "&File/&Export", _export("keras")),
    ActionSpec("export.python", "&Python code…", "&File/&Export", _export("python")),
    ActionSpec("export.onnx", "&ONNX…", "&File/&Export", _export("onnx")),
    ActionSpec("export.tflite", "&TFLite / LiteRT…", "&File/&Export", _export("tflite")),
    ActionSpec("file.quit", "&Quit", "&File", lambda w: w.close(), ("Ctrl+Q",), separator=True),
    ActionSpec("edit.undo", "&Undo", "&Edit", lambda w: w.document.stack.undo(), ("Ctrl+Z",), "undo", True),
    ActionSpec("edit.redo", "&Redo", "&Edit", lambda w: w.document.stack.redo(), ("Ctrl+Shift+Z", "Ctrl+Y"),
               "redo", True),
    ActionSpec("edit.cut", "Cu&t", "&Edit", lambda w: w.cut(), ("Ctrl+X",), separator=True),
    ActionSpec("edit.copy", "&Copy", "&Edit", lambda w: w.copy(), ("Ctrl+C",)),
    ActionSpec("edit.paste", "&Paste", "&Edit", lambda w: w.paste(), ("Ctrl+V",)),
    ActionSpec("edit.duplicate", "D&uplicate", "&Edit", lambda w: w.duplicate(), ("Ctrl+D",)),
    ActionSpec("edit.delete", "&Delete", "&Edit", lambda w: w.delete_selection(), ("Delete", "Backspace"),
               "delete", True, "Delete the selected layers and connections"),
    ActionSpec("edit.select_all", "Select &All", "&Edit", lambda w: w.select_all(), ("Ctrl+A",), separator=True),
    ActionSpec("edit.quick_add", "&Quick Add Layer…", "&Edit", lambda w: w.quick_add(), ("Ctrl+K",), "quick_add",
               True, "Type a layer name; Enter adds it after the selected layer and connects it"),
    ActionSpec("view.fit", "&Fit View", "&View", lambda w: w.view.fit(), ("F",), "fit", True, "Show the whole graph"),
    ActionSpec("view.layout", "Auto &Layout", "&View", lambda w: w.auto_layout(), ("Ctrl+L",), "layout", True,
               "Arrange the layers left to right (undoable)"),
    ActionSpec("view.zoom_in", "Zoom &In", "&View", lambda w: w.zoom_by(1.25), ("Ctrl++", "Ctrl+="), separator=True),
    ActionSpec("view.zoom_out", "Zoom &Out", "&View", lambda w: w.zoom_by(0.8), ("Ctrl+-",)),
    ActionSpec("view.zoom_reset", "&Actual Size", "&View", lambda w: w.zoom_by(0), ("Ctrl+0",)),
    ActionSpec("view.theme_system", "Theme: Follow &System", "&View/&Theme", lambda w: w.set_theme(None)),
    ActionSpec("view.theme_light", "Theme: &Light", "&View/&Theme", lambda w: w.set_theme(False)),
    ActionSpec("view.theme_dark", "Theme: &Dark", "&View/&Theme", lambda w: w.set_theme(True)),
    ActionSpec("edit.preferences", "Pre&ferences…", "&Edit", lambda w: _preferences(w), ("Ctrl+,",), separator=True),
    ActionSpec("help.welcome", "&Welcome and Examples", "&Help", lambda w: _welcome(w)),
    ActionSpec("help.about", "&About Layerbench", "&Help", lambda w: _about(w)),
)


def _preferences(window: Any) -> None:
    from desktop.dialogs.preferences import open_preferences

    open_preferences(window)


def _welcome(window: Any) -> None:
    from desktop.welcome import show_welcome

    if show_welcome(window) is None:
        window.show_message("Close or save the open project to see the welcome page (File > New clears it)")


def _about(window: Any) -> None:
    from desktop.dialogs.about import show_about

    show_about(window)


def make_action(spec: ActionSpec, window: QWidget) -> QAction:
    """A QAction for ``spec`` whose trigger calls the callback with ``window``."""
    action = QAction(spec.text, window)
    action.setObjectName(spec.id)
    if spec.shortcut:
        action.setShortcuts([QKeySequence(s) for s in spec.shortcut])
    if spec.icon:
        action.setIcon(tool_icon(spec.icon, window.palette().windowText().color()))
    tip = spec.tip or spec.text.replace("&", "").rstrip("…")
    if spec.shortcut:
        tip += f" ({QKeySequence(spec.shortcut[0]).toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.setStatusTip(spec.tip)
    action.triggered.connect(lambda checked=False, cb=spec.callback: cb(window))
    return action
