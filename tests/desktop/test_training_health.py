"""Gradient health in the app: a deep sigmoid network raises the vanishing banner, the exploding-gradients
example raises the exploding one, the canvas shows which layers, and the banner's fixes are single undoable
edits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from core.graph.model import Graph
from core.project.project import Project
from core.translate.shapes import infer_graph
from desktop.document import Document
from desktop.main_window import MainWindow
from desktop.panels.training_docks import TrainingDocks, install_training_docks
from tests.desktop.test_training_panel import TIMEOUT, chain, configure, open_window, train_until_points


def deep_sigmoid(depth: int = 19) -> Graph:
    hidden = [("Dense", {"units": 16, "activation": "sigmoid"})] * depth
    return chain(Graph(), ("Input", {"shape": [2]}), *hidden, ("Dense", {"units": 2, "activation": "softmax"}))


@pytest.fixture
def sigmoid_window(qtbot: Any) -> Iterator[tuple[MainWindow, TrainingDocks]]:
    w, docks = open_window(qtbot, deep_sigmoid())
    yield w, docks
    docks.close()
    w.document.mark_saved()
    w.projects.timer.stop()


def activations(graph: Graph) -> list[str]:
    return [n.params["activation"] for n in graph.nodes if n.type == "Dense"]


@pytest.mark.tf
@pytest.mark.slow
def test_deep_sigmoid_raises_vanishing_banner_and_relu_fix_is_undoable(qtbot: Any, sigmoid_window: Any) -> None:
    w, docks = sigmoid_window
    docks.panel.data.set_recipe({"source": "toy.gaussians", "options": {"samples": 64}})
    configure(docks, epochs=400, batch_size=16, **{"monitors.gradient_norms": True, "monitors.gradient_every": 1})
    train_until_points(qtbot, docks, points=1)
    banner = docks.dashboard.banner
    qtbot.waitUntil(banner.isVisible, timeout=TIMEOUT)
    assert banner.status == "vanishing"
    assert "Vanishing gradients" in banner.title.text()
    assert "dense_1" in banner.title.text()
    qtbot.waitUntil(lambda: docks.overlay.status.get("dense_1") == "vanishing", timeout=TIMEOUT)
    assert docks.overlay.status["dense_20"] == "ok"
    assert "dense_1" in docks.overlay.halos
    assert set(banner.buttons) >= {"relu", "batchnorm", "residual", "clip", "lr"}
    qtbot.mouseClick(docks.panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not docks.session.running, timeout=TIMEOUT)

    graph = w.document.graph
    before = activations(graph)
    qtbot.mouseClick(banner.buttons["relu"], Qt.MouseButton.LeftButton)
    after = activations(graph)
    assert after[:-1] == ["relu"] * 19
    assert after[-1] == "softmax"
    assert all(n.params["kernel_initializer"] == "he_normal" for n in graph.nodes if n.type == "Dense"
               and n.params["activation"] == "relu")
    assert w.document.stack.undo_text() == "Use ReLU + He initialisation"
    w.actions_by_id["edit.undo"].trigger()
    assert activations(graph) == before
    w.actions_by_id["edit.redo"].trigger()
    assert activations(graph) == after


def test_training_fixes_edit_the_settings_undoably(qtbot: Any, sigmoid_window: Any) -> None:
    w, docks = sigmoid_window
    configure(docks, **{"optimizer.learning_rate": 0.01})
    banner = docks.dashboard.banner
    banner.show_health("vanishing", ["dense_1"], "dense_1's gradient is 1e-09 times dense_20's",
                       w.document.graph, docks.project().training, docks._reload_form)
    assert banner.isVisible()
    qtbot.mouseClick(banner.buttons["lr"], Qt.MouseButton.LeftButton)
    assert docks.panel.form.config().optimizer.learning_rate == pytest.approx(0.001)
    qtbot.mouseClick(banner.buttons["clip"], Qt.MouseButton.LeftButton)
    assert docks.panel.form.config().optimizer.clipnorm == 1.0
    w.actions_by_id["edit.undo"].trigger()
    w.actions_by_id["edit.undo"].trigger()
    config = docks.panel.form.config()
    assert config.optimizer.learning_rate == pytest.approx(0.01)
    assert config.optimizer.clipnorm is None

    nodes = len(w.document.graph)
    qtbot.mouseClick(banner.buttons["batchnorm"], Qt.MouseButton.LeftButton)
    assert len(w.document.graph) == nodes + 19
    assert infer_graph(w.document.graph).ok
    w.actions_by_id["edit.undo"].trigger()
    assert len(w.document.graph) == nodes
    qtbot.mouseClick(banner.buttons["residual"], Qt.MouseButton.LeftButton)
    assert [n.type for n in w.document.graph.nodes].count("Add") == 1
    assert infer_graph(w.document.graph).ok
    w.actions_by_id["edit.undo"].trigger()
    assert "Add" not in [n.type for n in w.document.graph.nodes]


@pytest.mark.tf
@pytest.mark.slow
def test_exploding_example_raises_the_banner_and_clipping_is_undoable(qtbot: Any) -> None:
    from importlib.resources import as_file, files

    with as_file(files("resources.examples") / "exploding_gradients.layerbench") as path:
        project = Project.load(path)
    w = MainWindow(Document(project.main, None, project))
    qtbot.addWidget(w)
    docks = install_training_docks(w)
    w.resize(1500, 950)
    w.show()
    qtbot.waitExposed(w)
    docks.docks["dashboard"].raise_()
    try:
        docks.tick()
        assert docks.panel.form.config().optimizer.clipnorm is None
        configure(docks, epochs=5)
        qtbot.mouseClick(docks.panel.start_button, Qt.MouseButton.LeftButton)
        banner = docks.dashboard.banner
        qtbot.waitUntil(lambda: banner.isVisible() and banner.status == "exploding", timeout=TIMEOUT)
        assert "Exploding gradients" in banner.title.text()
        assert "clip" in banner.buttons
        qtbot.waitUntil(lambda: any(s == "exploding" for s in docks.overlay.status.values()), timeout=TIMEOUT)
        if docks.session.running:
            qtbot.mouseClick(docks.panel.stop_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not docks.session.running, timeout=TIMEOUT)

        qtbot.mouseClick(banner.buttons["clip"], Qt.MouseButton.LeftButton)
        assert project.training["optimizer"]["clipnorm"] == 1.0
        assert docks.panel.form.config().optimizer.clipnorm == 1.0
        assert w.document.stack.undo_text() == "Clip gradients"
        w.actions_by_id["edit.undo"].trigger()
        assert project.training["optimizer"]["clipnorm"] is None
        assert docks.panel.form.config().optimizer.clipnorm is None
        w.actions_by_id["edit.redo"].trigger()
        assert docks.panel.form.config().optimizer.clipnorm == 1.0
    finally:
        docks.close()
        w.document.mark_saved()
        w.projects.timer.stop()
