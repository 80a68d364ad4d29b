"""A graph just opened is fitted to the canvas: the whole 7-layer CNN example is in view whichever way it is
opened; a chain too long to show legibly shows its start at the smallest zoom that keeps labels legible."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF

from core.graph.model import Edge, Graph
from core.project.project import Project
from desktop.canvas.view import OPEN_MIN_ZOOM
from desktop.document import Document
from desktop.main_window import MainWindow
from resources.examples import example_path


def visible(window: MainWindow) -> QRectF:
    view = window.view
    return view.mapToScene(view.viewport().rect()).boundingRect()


def outside(window: MainWindow) -> list[str]:
    """Names of the nodes whose item is not wholly inside the view."""
    shown = visible(window)
    graph = window.document.graph
    return [graph.node(item.node_id).name for item in window.scene.node_items()
            if not shown.contains(item.sceneBoundingRect())]


def test_the_cnn_example_opened_from_a_file_is_wholly_in_view(qtbot: Any, window: MainWindow) -> None:
    assert window.projects.load_path(example_path("cnn_digits"))
    assert len(window.scene.node_items()) == 7
    assert window.view.viewport().width() < 1100  # a canvas narrower than the chain at the old 0.65 floor
    assert outside(window) == []
    assert OPEN_MIN_ZOOM <= window.view.zoom() <= 1.0


def test_a_window_started_with_the_cnn_example_shows_it_whole(qtbot: Any) -> None:
    project = Project.load(example_path("cnn_digits"))
    window = MainWindow(Document(project.graphs["main"], example_path("cnn_digits"), project))
    qtbot.addWidget(window)
    window.resize(1300, 850)
    window.show()  # the first fit happens here, with the real viewport size
    qtbot.waitExposed(window)
    try:
        assert outside(window) == []
    finally:
        window.projects.timer.stop()


def test_a_very_long_chain_opens_at_its_input_without_shrinking_below_legible(qtbot: Any,
                                                                             window: MainWindow) -> None:
    graph = Graph()
    nodes = [graph.add_node(graph.make_node("Input", {"shape": [16]}, 0, 0))]
    for i in range(1, 30):
        nodes.append(graph.add_node(graph.make_node("Dense", {"units": 8}, 200 * i, 0)))
        graph.add_edge(Edge(nodes[-2].id, nodes[-1].id))
    window.set_document(Document(graph))
    assert window.view.zoom() == OPEN_MIN_ZOOM
    hidden = outside(window)
    assert nodes[0].name not in hidden and nodes[0].name == "input_1"
    assert nodes[-1].name in hidden
