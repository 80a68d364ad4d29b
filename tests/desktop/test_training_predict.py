"""The predict panel: a stored run's weights, a sample from the project's data or a CSV row, predicted in
the worker process; the answer matches the model's own arithmetic done here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.graph.model import Graph
from desktop.panels.training_docks import TrainingDocks
from tests.desktop.test_training_panel import TIMEOUT, chain, open_window

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def mlp() -> Graph:
    return chain(Graph(), ("Input", {"shape": [2]}), ("Dense", {"units": 8, "activation": "relu"}),
                 ("Dense", {"units": 2, "activation": "softmax"}))


def weights() -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(3)
    return {"dense_1": [rng.normal(size=(2, 8)).astype("float32"), rng.normal(size=8).astype("float32")],
            "dense_2": [rng.normal(size=(8, 2)).astype("float32"), rng.normal(size=2).astype("float32")]}


def forward(x: np.ndarray, w: dict[str, list[np.ndarray]]) -> np.ndarray:
    """What the model computes: softmax(relu(x W1 + b1) W2 + b2)."""
    hidden = np.maximum(x @ w["dense_1"][0] + w["dense_1"][1], 0.0)
    logits = hidden @ w["dense_2"][0] + w["dense_2"][1]
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def predict_and_wait(qtbot: Any, docks: TrainingDocks) -> np.ndarray:
    panel = docks.predict
    panel.result = None
    qtbot.mouseClick(panel.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
    assert not panel.result.error, panel.result.error
    return np.asarray(panel.result.outputs)[0]


def test_predict_panel_matches_the_model(qtbot: Any, tmp_path: Path) -> None:
    w, docks = open_window(qtbot, mlp())
    try:
        project = docks.project()
        project.data.update({"source": "toy.circle", "options": {"samples": 200}})
        run = project.add_run(label="hand-made weights", info={"graph": w.document.graph.to_dict()})
        project.set_weights(run.id, weights())
        panel = docks.predict
        panel.refresh_runs()
        assert panel.run.currentData() == run.id
        docks.dashboard.tabs.setCurrentWidget(panel)
        panel.choose_sample()
        qtbot.waitUntil(lambda: panel.sample is not None, timeout=TIMEOUT)
        panel.index.setValue(5)
        panel.choose_sample()
        expected = forward(panel.sample[None, :], weights())[0]
        out = predict_and_wait(qtbot, docks)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
        assert panel.predicted_class == int(expected.argmax())
        assert "Prediction:" in panel.status.text()
        assert "true:" in panel.status.text()

        table = tmp_path / "rows.csv"
        table.write_text("x0,x1,label\n0.5,-0.25,1\n-1.5,2.0,0\n", encoding="utf-8")
        panel.load_file(table, row=1)
        np.testing.assert_array_equal(panel.sample, np.array([-1.5, 2.0], "float32"))
        out = predict_and_wait(qtbot, docks)
        np.testing.assert_allclose(out, forward(np.array([[-1.5, 2.0]]), weights())[0], rtol=1e-5, atol=1e-6)
    finally:
        docks.close()
        w.document.mark_saved()
        w.projects.timer.stop()
