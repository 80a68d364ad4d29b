"""The RNN inspector: a tiny SimpleRNN graph traced in the worker on a sample of the project's data; the hidden
state heatmap is time x units, the gradient curve has one point per step; Compare overlays an LSTM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from core.gan.presets import chain
from core.project.project import Project
from desktop.document import Document
from desktop.main_window import MainWindow
from desktop.panels.rnn_inspector import RnnInspector, has_recurrent, random_sample, swapped

STEPS, UNITS = 6, 3


def rnn_project(kind: str = "SimpleRNN") -> Project:
    graph = chain([("Input", {"shape": [STEPS, 2]}), (kind, {"units": UNITS}), ("Dense", {"units": 1})])
    return Project("supervised", {"main": graph}, data={"source": "seq.adding", "options": {"samples": 40,
                                                                                            "steps": STEPS}},
                   training={"loss": "mse"})


def shown(dock: Any) -> bool:
    """The dock is open (possibly as a tab behind another)."""
    return bool(dock.toggleViewAction().isChecked())


@pytest.fixture
def engine() -> Iterator[Any]:
    from core.training.engine import TrainingEngine

    eng = TrainingEngine(warm=0)
    yield eng
    eng.close()


@pytest.mark.tf
def test_simple_rnn_heatmap_and_gradient_per_step_then_compare_with_lstm(qtbot: Any, engine: Any) -> None:
    project = rnn_project()
    inspector = RnnInspector(lambda: project.main, lambda: project, lambda: engine)
    qtbot.addWidget(inspector)
    inspector.resize(1100, 650)
    inspector.show()
    inspector.refresh_graph()
    assert inspector.layer.currentText() == "simple_rnn_1"
    assert inspector.compare_button.text() == "Compare with LSTM"
    with qtbot.waitSignal(inspector.traced, timeout=180_000) as traced:
        qtbot.mouseClick(inspector.inspect_button, Qt.MouseButton.LeftButton)
    label = traced.args[0]
    assert label == "SimpleRNN (untrained)"
    assert inspector.data is not None  # the project's own data, not a random input
    assert inspector.hidden.shape == (STEPS, UNITS)
    assert inspector.hidden.image.image.shape == (UNITS, STEPS)  # rows are units, columns time steps
    assert inspector.gradient.points(label) == STEPS
    assert not any(view.isVisible() for view in inspector.gates.values())  # a SimpleRNN has no gates
    with qtbot.waitSignal(inspector.traced, timeout=180_000) as traced:
        qtbot.mouseClick(inspector.compare_button, Qt.MouseButton.LeftButton)
    assert traced.args[0] == "LSTM (untrained)"
    assert set(inspector.gradient.curves) == {"SimpleRNN (untrained)", "LSTM (untrained)"}
    assert inspector.gradient.points("LSTM (untrained)") == STEPS
    assert inspector.traces["LSTM (untrained)"].gates["forget"].shape == (STEPS, UNITS)
    inspector.show_heatmaps("LSTM (untrained)")
    assert all(inspector.gates[g].isVisible() for g in ("input", "forget", "candidate", "output"))
    assert inspector.cell.shape == (STEPS, UNITS)


@pytest.mark.tf
def test_trained_weights_of_the_latest_run_are_used(qtbot: Any, engine: Any) -> None:
    import numpy as np

    project = rnn_project()
    run = project.add_run(label="zeros", status="finished")
    zeros = {"simple_rnn_1": [np.zeros((2, UNITS)), np.zeros((UNITS, UNITS)), np.zeros(UNITS)],
             "dense_1": [np.ones((UNITS, 1)), np.zeros(1)]}
    project.set_weights(run.id, zeros)
    inspector = RnnInspector(lambda: project.main, lambda: project, lambda: engine)
    qtbot.addWidget(inspector)
    inspector.show()
    inspector.refresh_graph()
    assert inspector.trained.isEnabled()
    inspector.trained.setChecked(True)
    with qtbot.waitSignal(inspector.traced, timeout=180_000) as traced:
        qtbot.mouseClick(inspector.inspect_button, Qt.MouseButton.LeftButton)
    assert traced.args[0] == "SimpleRNN (trained)"
    assert inspector.hidden.values is not None
    assert float(np.abs(inspector.hidden.values).max()) == 0.0  # zero weights: the state never moves


def test_swap_keeps_the_shared_settings() -> None:
    project = rnn_project("LSTM")
    data, other = swapped(project.main, "lstm_1")
    assert other == "SimpleRNN"
    node = next(n for n in data["nodes"] if n["name"] == "lstm_1")
    assert node["type"] == "SimpleRNN"
    assert node["params"]["units"] == UNITS
    assert "unit_forget_bias" not in node["params"]
    assert random_sample(project.main).shape == (STEPS, 2)


def test_rnn_dock_only_for_recurrent_graphs(qtbot: Any) -> None:
    project = rnn_project()
    assert has_recurrent(project.main)
    window = MainWindow(Document(project.main, None, project))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: shown(window.docks["rnn"]), timeout=15_000)
    assert not shown(window.docks["gan"])
    window.docks["rnn"].raise_()
    qtbot.waitUntil(lambda: window.docks["rnn"].widget().inspector is not None, timeout=15_000)
    assert window.docks["rnn"].widget().inspector.layer.currentText() == "simple_rnn_1"
    window.projects.replace(Document(chain([("Input", {"shape": [4]}), ("Dense", {"units": 1})])))
    qtbot.waitUntil(lambda: not shown(window.docks["rnn"]), timeout=15_000)
    window.document.mark_saved()
    window.projects.timer.stop()
