"""GUI test setup: offscreen Qt, Qt's test mode for settings and paths, an isolated data dir."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QMessageBox

QStandardPaths.setTestModeEnabled(True)

from core.graph.model import Edge, Graph  # noqa: E402
from desktop.document import Document  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform warns that it cannot propagate size hints: noise, not a failure.
    for item in items:
        if "tests/desktop" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.qt_log_ignore("propagateSizeHints"))


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYERBENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LAYERBENCH_SETTINGS", str(tmp_path / "settings.ini"))  # own file per test (and worker)


@pytest.fixture(autouse=True)
def tf_guard() -> Callable[[], None]:
    """``tf_guard()`` asserts the test did not bring TensorFlow into this (GUI) process.

    Autouse, so it runs before the test's other fixtures: under xdist an earlier core test in the same
    worker may have imported TensorFlow already, and then there is nothing this process can prove.
    """
    preloaded = "tensorflow" in sys.modules

    def check() -> None:
        assert preloaded or "tensorflow" not in sys.modules, "the GUI process imported TensorFlow"

    return check


@pytest.fixture(autouse=True)
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Message boxes never block a test: each is recorded as ``(kind, text)`` and answered.

    ``question`` answers Discard unless a test sets ``dialogs_answer``; tests patch it further as needed.
    """
    seen: list[tuple[str, str]] = []

    def box(kind: str, answer: QMessageBox.StandardButton) -> object:
        def show(parent: object, title: str, text: str, *args: object, **kwargs: object) -> object:
            seen.append((kind, f"{title}: {text}"))
            return answer

        return show

    monkeypatch.setattr(QMessageBox, "question", box("question", QMessageBox.StandardButton.Discard))
    monkeypatch.setattr(QMessageBox, "warning", box("warning", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "information", box("information", QMessageBox.StandardButton.Ok))
    return seen


def chain_graph() -> Graph:
    """Input (28, 28, 1) -> Conv2D 8 -> Conv2D 16, at x = 0, 300, 600."""
    g = Graph()
    specs = [("Input", {"shape": [28, 28, 1]}), ("Conv2D", {"filters": 8, "kernel_size": [3, 3]}),
             ("Conv2D", {"filters": 16, "kernel_size": [3, 3]})]
    nodes = [g.add_node(g.make_node(t, p, 300 * i, 0)) for i, (t, p) in enumerate(specs)]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    w = MainWindow(Document(chain_graph()))
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    w.view.resetTransform()
    w.view.centerOn(450, 60)
    yield w
    w.document.mark_saved()  # no save prompt when pytest-qt closes the window
    w.projects.timer.stop()


@pytest.fixture
def empty_window(qtbot) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    w.view.resetTransform()
    w.view.centerOn(0, 0)
    yield w
    w.document.mark_saved()
    w.projects.timer.stop()
