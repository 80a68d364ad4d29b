"""The main window's one hook for training: the Training, Dashboard and Runs docks.

``install_training_docks`` only adds three empty docks (no NumPy, pydantic or pyqtgraph import), so start-up
stays about a second. Their content (``desktop.panels.training_docks``) is built the first time one of them
is really shown, or when code asks for ``training_docks(window)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMenu, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

BUILD_DELAY_MS = 150
TITLES = {"training": "Training", "dashboard": "Dashboard", "runs": "Runs"}


class Shell(QWidget):
    """An empty dock body that receives its real widget later."""

    def __init__(self) -> None:
        super().__init__()
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)

    def put(self, widget: QWidget) -> None:
        self.box.addWidget(widget)


def install_training_docks(window: MainWindow) -> None:
    """Add the (empty) docks to ``window``, tabbed behind the Inspector and the Model Summary."""
    if "training" in window.docks:
        return
    right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
    docks = {key: window._dock(key, title, Shell(), bottom if key == "dashboard" else right)
             for key, title in TITLES.items()}
    window.tabifyDockWidget(window.docks["log"], docks["dashboard"])
    window.tabifyDockWidget(window.docks["inspector"], docks["training"])
    window.tabifyDockWidget(docks["training"], docks["runs"])
    window.docks["inspector"].raise_()
    window.docks["summary"].raise_()
    menu = next((m for m in window.findChildren(QMenu) if m.title() == "&Panels"), None)
    for dock in docks.values():
        dock.visibilityChanged.connect(lambda on, d=dock: _shown(window, d, on))
        if menu is not None:
            menu.addAction(dock.toggleViewAction())


def _shown(window: MainWindow, dock: QDockWidget, on: bool) -> None:
    """Build the content shortly after a dock comes on screen: a dock restored open at start-up must not
    delay the window's first paint with the plot library's import."""
    def build() -> None:
        if dock.isVisible():
            training_docks(window).became_visible(dock)

    if on:
        QTimer.singleShot(BUILD_DELAY_MS, window, build)


def training_docks(window: MainWindow) -> Any:
    """The window's ``TrainingDocks``, built on first use."""
    existing = getattr(window, "training", None)
    if existing is not None:
        return existing
    install_training_docks(window)
    from desktop.panels.training_docks import TrainingDocks

    docks = TrainingDocks(window)
    window.training = docks  # type: ignore[attr-defined]
    return docks
