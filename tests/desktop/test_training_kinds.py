"""The Training dock trains supervised projects only: on a GAN or reinforcement-learning project its Start is
off, says which panel trains the project and links to it; a supervised document turns Start back on."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from core.gan.project import new_gan_project
from core.graph.model import Graph
from core.project.project import Project
from desktop.document import Document
from desktop.main_window import MainWindow
from desktop.panels.training_docks import install_training_docks


def open_project(qtbot: Any, project: Project, graph_name: str) -> tuple[MainWindow, Any]:
    window = MainWindow(Document(project.graphs[graph_name], None, project, graph_name=graph_name))
    qtbot.addWidget(window)
    docks = install_training_docks(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    docks.docks["training"].raise_()
    return window, docks


def close(window: MainWindow, docks: Any) -> None:
    docks.close()
    window.document.mark_saved()
    window.projects.timer.stop()


def _gan() -> tuple[Project, str]:
    return new_gan_project("digits"), "generator"


def _rl() -> tuple[Project, str]:
    return Project("rl", {"main": Graph()}), "main"


@pytest.mark.parametrize(("make", "dock", "words"), [(_gan, "gan", "GAN panel"),
                                                     (_rl, "rl", "Reinforcement learning panel")])
def test_start_is_off_and_hands_over_to_the_projects_own_panel(qtbot: Any, make: Any, dock: str,
                                                                 words: str) -> None:
    project, graph_name = make()
    window, docks = open_project(qtbot, project, graph_name)
    panel = docks.panel
    try:
        assert not panel.start_button.isEnabled()
        assert panel.blocked.isVisible() and words in panel.blocked.text()
        assert words.split()[0] in panel.start_button.toolTip()
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)  # disabled: nothing happens
        docks.start()  # a shortcut or script calling start directly is refused the same way
        assert docks.session.run is None and docks.session.engine is None
        panel.form.changed.emit()  # a settings edit re-validates the form: Start must stay off
        assert not panel.start_button.isEnabled()
        other = window.docks[dock]
        other.hide()
        panel.blocked.linkActivated.emit(dock)  # the label's link, as a click on it emits it
        qtbot.waitUntil(lambda: other.toggleViewAction().isChecked(), timeout=15_000)
        window.projects.replace(Document(Graph()))  # a supervised document: Start is back
        qtbot.waitUntil(lambda: panel.start_button.isEnabled(), timeout=15_000)
        assert not panel.blocked.isVisible()
    finally:
        close(window, docks)
