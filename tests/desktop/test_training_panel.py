"""The training docks driven like a user: Start from the panel, live curves and progress, Stop, the run kept
in the project, a second run overlaid on the first, live feature maps. Runs train in real worker processes
(tiny models, a few hundred samples)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.graph.model import Edge, Graph
from desktop.document import Document
from desktop.main_window import MainWindow
from desktop.panels.predict import LIVE
from desktop.panels.training_docks import TrainingDocks, install_training_docks
from desktop.plots.feature_maps import normalise

pytestmark = [pytest.mark.tf, pytest.mark.slow]
TIMEOUT = 120_000


def chain(g: Graph, *specs: tuple[str, dict[str, Any]]) -> Graph:
    nodes = [g.add_node(g.make_node(t, p, 240 * i, 0)) for i, (t, p) in enumerate(specs)]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


def small_cnn() -> Graph:
    return chain(Graph(), ("Input", {"shape": [28, 28, 1]}), ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}),
                 ("MaxPooling2D", {"pool_size": [4, 4]}), ("Flatten", {}),
                 ("Dense", {"units": 4, "activation": "softmax"}))


def open_window(qtbot: Any, graph: Graph) -> tuple[MainWindow, TrainingDocks]:
    w = MainWindow(Document(graph))
    qtbot.addWidget(w)
    docks = install_training_docks(w)
    w.resize(1500, 950)
    w.show()
    qtbot.waitExposed(w)
    docks.docks["dashboard"].raise_()
    return w, docks


@pytest.fixture
def cnn_window(qtbot: Any) -> Iterator[tuple[MainWindow, TrainingDocks]]:
    w, docks = open_window(qtbot, small_cnn())
    yield w, docks
    docks.close()
    w.document.mark_saved()
    w.projects.timer.stop()


def configure(docks: TrainingDocks, **settings: Any) -> None:
    form = docks.panel.form
    values = form.raw_values()
    for path, value in settings.items():
        target = values
        *parents, leaf = path.split(".")
        for p in parents:
            target = target[p]
        target[leaf] = value
    form.set_values(values)
    assert not form.error(), form.error()


def train_until_points(qtbot: Any, docks: TrainingDocks, points: int = 5) -> None:
    qtbot.mouseClick(docks.panel.start_button, Qt.MouseButton.LeftButton)
    assert docks.session.running
    qtbot.waitUntil(lambda: len(docks.session.run.history.batch) >= points, timeout=TIMEOUT)


def stop_and_wait(qtbot: Any, docks: TrainingDocks, runs_before: int) -> None:
    qtbot.mouseClick(docks.panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(docks.runs.items()) == runs_before + 1, timeout=TIMEOUT)
    assert not docks.session.running
    assert docks.panel.start_button.isEnabled()


def test_start_plot_stop_keep_and_overlay_a_second_run(qtbot: Any, cnn_window: Any, tf_guard: Any) -> None:
    w, docks = cnn_window
    docks.panel.data.set_recipe({"source": "shapes", "options": {"samples": 400},
                                 "preprocess": {"validation": 0.25}})
    configure(docks, epochs=500, batch_size=8, **{"monitors.feature_maps": True, "monitors.feature_maps_every": 5})
    train_until_points(qtbot, docks)
    loss_plot = docks.dashboard.metrics.plots["loss"]
    qtbot.waitUntil(lambda: len(loss_plot.data.get("live:batch/loss", ((), ()))[1]) >= 5, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: docks.panel.bar.value() > 0, timeout=TIMEOUT)
    assert "batch" in docks.panel.bar.format()
    assert "ETA" in docks.panel.bar.format()
    tf_guard()

    # live feature maps: one image per channel, each the conv output's size (28 - 2 = 26)
    qtbot.waitUntil(lambda: docks.session.last_features is not None, timeout=TIMEOUT)
    docks.dashboard.tabs.setCurrentWidget(docks.dashboard.features)
    view = docks.dashboard.features
    qtbot.waitUntil(lambda: len(view.channel_images) == 4, timeout=TIMEOUT)
    assert view.layer.currentText() == "conv2d_1"
    assert all(item.image.shape == (26, 26) for item in view.channel_images)

    # pause and resume
    qtbot.mouseClick(docks.panel.pause_button, Qt.MouseButton.LeftButton)
    assert docks.session.run.paused
    assert docks.panel.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: docks.panel.phase.text() == "Paused", timeout=TIMEOUT)
    qtbot.mouseClick(docks.panel.pause_button, Qt.MouseButton.LeftButton)
    assert not docks.session.run.paused
    assert docks.panel.pause_button.text() == "Pause"

    # editing the graph during the run: the run goes on, the panel says it trains a snapshot
    w.editor.set_params(w.document.graph.nodes[1].id, {"filters": 6})
    assert docks.panel.snapshot.isVisible()
    assert docks.session.run.job.graph["nodes"][1]["params"]["filters"] == 4

    # feature maps of a chosen sample, predicted with the running run's latest checkpoint
    qtbot.waitUntil(lambda: docks._live_weights() is not None, timeout=TIMEOUT)
    predict = docks.predict
    predict.refresh_runs()
    assert predict.run.currentData() == LIVE
    predict.split.setCurrentText("validation")
    predict.choose_sample()
    qtbot.waitUntil(lambda: predict.sample is not None, timeout=TIMEOUT)
    predict.index.setValue(7)
    predict.choose_sample()
    predict.features.setChecked(True)
    qtbot.mouseClick(predict.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: predict.result is not None, timeout=TIMEOUT)
    assert not predict.result.error, predict.result.error
    assert predict.result.features["conv2d_1"].shape == (26, 26, 4)
    assert docks.dashboard.tabs.currentWidget() is view
    assert "chosen sample" in view.caption.text()
    np.testing.assert_array_equal(view.input_image.image, normalise(predict.sample[..., 0]))

    stop_and_wait(qtbot, docks, 0)
    project = docks.project()
    (first,) = project.runs
    assert first.status == "stopped"
    assert first.weights
    assert "config" in first.info
    assert len(project.history(first.id)["batch/loss"]) >= 5

    # a second run (another optimizer) overlaid on the first
    docks.dashboard.tabs.setCurrentWidget(docks.dashboard.metrics)
    docks.runs.set_ticked(first.id, True)
    configure(docks, **{"optimizer.name": "sgd", "optimizer.learning_rate": 0.05})
    train_until_points(qtbot, docks)
    qtbot.waitUntil(lambda: f"{first.id}:batch/loss" in loss_plot.data and "live:batch/loss" in loss_plot.data,
                    timeout=TIMEOUT)
    legend = [label.text for _sample, label in loss_plot.legend.items]
    assert any(first.label in text for text in legend)
    stop_and_wait(qtbot, docks, 1)
    assert [r.info["config"]["optimizer"]["name"] for r in project.runs] == ["adam", "sgd"]
    assert np.isfinite(project.runs[1].info["logs"].get("loss", 0.0))
