"""Welcome page: shown on a start without a project, recent files and the gallery open what they show."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from core.project.project import Project
from desktop import welcome
from desktop.main_window import MainWindow
from desktop.projects import add_recent
from resources.examples import example_path, list_examples


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_thumbnail_draws_the_graph(qtbot: QtBot) -> None:
    graph = Project.load(example_path("cnn_digits")).main
    image = welcome.render_thumbnail(graph).toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)}
    assert len(colours) > 5  # nodes and edges drawn, not just the background


def test_page_covers_the_canvas_and_lists_every_example(window: MainWindow, qtbot: QtBot) -> None:
    page = welcome.show_welcome(window)
    assert page is not None
    assert page.isVisible()
    assert page.geometry() == window.view.rect()
    assert page.gallery.count() == len(list_examples())
    blank = QPixmap(welcome.THUMB)
    blank.fill(QColor("#f4f6fb"))  # the placeholder each item starts with
    placeholder = QIcon(blank).pixmap(welcome.THUMB).toImage()
    qtbot.waitUntil(lambda: page.thumbnails_done)
    drawn = page.gallery.item(0).icon().pixmap(welcome.THUMB).toImage()
    assert drawn != placeholder  # the placeholder was replaced by the graph (however fast that happened)


def test_example_opens_as_untitled_copy(window: MainWindow, qtbot: QtBot) -> None:
    page = welcome.show_welcome(window)
    assert page is not None
    item = page.gallery.item(0)
    page.gallery.setCurrentItem(item)
    assert "Convolution and feature maps" in page.detail.text()
    qtbot.keyClick(page.gallery, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.welcome is None)
    assert window.document.path is None
    assert len(window.document.graph) == 7
    assert window.document.project.training["example"]["title"] == item.text()


def test_recent_project_opens(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "mine.layerbench"
    Project.load(example_path("stride")).save(path)
    add_recent(path)
    page = welcome.show_welcome(window)
    assert page is not None
    assert page.recent.item(0).data(Qt.ItemDataRole.UserRole) == str(path)
    page.recent.setCurrentRow(0)
    qtbot.keyClick(page.recent, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.welcome is None)
    assert window.document.path == path


def test_empty_canvas_button_and_first_layer_hide_it(window: MainWindow, qtbot: QtBot) -> None:
    page = welcome.show_welcome(window)
    assert page is not None
    qtbot.mouseClick(page.findChild(QPushButton, "welcome_empty"), Qt.MouseButton.LeftButton)
    assert window.welcome is None
    page2 = welcome.show_welcome(window)
    assert page2 is not None
    window.add_after_selection("Dense")
    assert window.welcome is None


def test_not_shown_over_an_open_project(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "p.layerbench"
    Project.load(example_path("pooling")).save(path)
    window.projects.load_path(path)
    assert welcome.show_welcome(window) is None
