"""The main window's one hook for reinforcement learning: the RL, RL Live and MDP docks, shown for RL projects.

``install_rl_docks`` adds three empty docks (no NumPy, pyqtgraph or core.rl import: start-up stays quick).
A light timer watches the open document; for a project of kind ``rl`` the docks appear and their content
(``desktop.panels.rl_lab.RLLab``) is built; for any other project they hide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMenu

from desktop.panels.training_install import Shell

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

TITLES = {"rl": "Reinforcement learning", "rl_live": "RL Live", "mdp": "MDP"}
CHECK_MS = 300
LIVE_HEIGHT = 430


class RLHooks(QObject):
    """Shows the RL docks for RL projects and builds the lab the first time one is open."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.lab: Any = None
        self.on: bool | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)

    def check(self) -> None:
        doc = self.window.document
        on = doc.project is not None and doc.project.kind == "rl"
        if on == self.on:
            return
        self.on = on
        for key in TITLES:
            self.window.docks[key].setVisible(on)
        if on:
            self.build()
            self.window.docks["rl"].raise_()
            self.make_room()

    def build(self) -> Any:
        """The window's ``RLLab``, made on first use."""
        if self.lab is None:
            from desktop.panels.rl_lab import RLLab

            w = self.window
            lab = RLLab(lambda: w.document.project, lambda: w.document.graph, lambda: shared_engine(w), self,
                        push=w.editor.push)
            lab.log.connect(w.log.log)
            lab.run_ended.connect(lambda _msg: w.document.mark_dirty())
            lab.run_started.connect(lambda _run: self.make_room())
            for key, widget in (("rl", lab.panel), ("rl_live", lab.live), ("mdp", lab.mdp)):
                shell = w.docks[key].widget()
                assert isinstance(shell, Shell)
                shell.put(widget)
            self.lab = lab
        return self.lab

    _roomy = False

    def make_room(self) -> None:
        """Bring the live view forward with a useful height when a run starts (the height once per window)."""
        dock = self.window.docks["rl_live"]
        dock.raise_()
        if not self._roomy:
            self._roomy = True
            self.window.resizeDocks([dock], [max(LIVE_HEIGHT, dock.height())], Qt.Orientation.Vertical)

    def close(self) -> None:
        self.timer.stop()
        if self.lab is not None:
            self.lab.close()


def shared_engine(window: MainWindow) -> Any:
    """The training docks' engine (one warm worker for every kind of run)."""
    from desktop.panels.training_install import training_docks

    return training_docks(window).session.ensure_engine()


def install_rl_docks(window: MainWindow) -> RLHooks:
    """Add the (hidden, empty) RL docks to ``window``: the panel beside the Inspector, the live view and the
    MDP view tabbed in the bottom area."""
    existing = getattr(window, "rl_hooks", None)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
    docks = {key: window._dock(key, title, Shell(), right if key == "rl" else bottom) for key, title in TITLES.items()}
    window.tabifyDockWidget(window.docks.get("training", window.docks["inspector"]), docks["rl"])
    window.tabifyDockWidget(window.docks.get("dashboard", window.docks["log"]), docks["rl_live"])
    window.tabifyDockWidget(docks["rl_live"], docks["mdp"])
    menu = next((m for m in window.findChildren(QMenu) if m.title() == "&Panels"), None)
    for dock in docks.values():
        dock.hide()
        if menu is not None:
            menu.addAction(dock.toggleViewAction())
    hooks = RLHooks(window)
    window.rl_hooks = hooks  # type: ignore[attr-defined]
    return hooks
