"""The predict panel on an autoencoder: inputs beside their reconstructions as images, with each pair's mean
squared error, computed from what the model (run in the prediction worker) returned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from core.graph.model import Graph
from core.training.predict import image_shape, reconstruction_errors, reconstructs_input
from desktop.panels.predict import PredictPanel
from desktop.panels.reconstruction import PAIRS, TILE, ReconstructionView
from tests.desktop.test_training_panel import TIMEOUT, chain, open_window

SIDE = 4  # 4x4 pictures as 16 flat values


def autoencoder() -> Graph:
    return chain(Graph(), ("Input", {"shape": [SIDE * SIDE]}), ("Dense", {"units": 4, "activation": "relu"}),
                 ("Dense", {"units": SIDE * SIDE, "activation": "sigmoid"}))


def weights() -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(7)
    n = SIDE * SIDE
    return {"dense_1": [rng.normal(size=(n, 4)).astype("float32"), rng.normal(size=4).astype("float32")],
            "dense_2": [rng.normal(size=(4, n)).astype("float32"), rng.normal(size=n).astype("float32")]}


def forward(x: np.ndarray, w: dict[str, list[np.ndarray]]) -> np.ndarray:
    """What the model computes: sigmoid(relu(x W1 + b1) W2 + b2)."""
    hidden = np.maximum(x @ w["dense_1"][0] + w["dense_1"][1], 0.0)
    return 1.0 / (1.0 + np.exp(-(hidden @ w["dense_2"][0] + w["dense_2"][1])))


def test_which_graphs_reconstruct_and_how_samples_are_drawn() -> None:
    assert reconstructs_input(autoencoder().to_dict())
    classifier = chain(Graph(), ("Input", {"shape": [16]}), ("Dense", {"units": 3, "activation": "softmax"}))
    assert not reconstructs_input(classifier.to_dict())
    two_by_two = chain(Graph(), ("Input", {"shape": [2]}), ("Dense", {"units": 2, "activation": "softmax"}))
    assert reconstructs_input(two_by_two.to_dict(), "mse")
    assert not reconstructs_input(two_by_two.to_dict(), "sparse_categorical_crossentropy")  # a classifier
    assert image_shape((64,)) == (8, 8)
    assert image_shape((10,)) is None
    assert image_shape((28, 28, 1)) == (28, 28, 1)
    assert image_shape((64,), declared=(8, 8, 1)) == (8, 8, 1)
    x, y = np.zeros((2, 3)), np.array([[1.0, 1.0, 1.0], [0.0, 3.0, 0.0]])
    np.testing.assert_allclose(reconstruction_errors(x, y), [1.0, 3.0])


def test_view_draws_pairs_on_the_inputs_scale(qtbot: QtBot, tmp_path: Path, monkeypatch: Any) -> None:
    view = ReconstructionView()
    qtbot.addWidget(view)
    x = np.linspace(0.0, 1.0, 3 * 16, dtype="float32").reshape(3, 16)
    y = np.clip(x + 0.1, 0, 1)
    errors = view.show_pairs(x, y, first_index=5)
    view.show()
    np.testing.assert_allclose(errors, ((x - y) ** 2).mean(axis=1), rtol=1e-6)
    assert [(a.size(), b.size()) for a, b in view.images] == [(QSize(4, 4), QSize(4, 4))] * 3
    assert [t[2].text() for t in view.tiles] == [f"#{5 + i}  MSE {e:.4g}" for i, e in enumerate(errors)]
    # the reconstruction is drawn on its input's grey scale: a brighter output gives brighter pixels
    first_in, first_out = view.images[0]
    assert first_out.pixelColor(0, 0).value() > first_in.pixelColor(0, 0).value()
    target = tmp_path / "pairs.png"
    monkeypatch.setattr("desktop.plots.export.ask_path", lambda *a: str(target))
    view.export_actions()["Save PNG…"].trigger()
    assert not QImage(str(target)).isNull()
    view.export_actions()["Copy image"].trigger()
    assert not QGuiApplication.clipboard().pixmap().isNull()


def test_a_denoiser_is_measured_against_its_clean_targets(qtbot: QtBot) -> None:
    view = ReconstructionView()
    qtbot.addWidget(view)
    clean = np.tile(np.linspace(0.0, 1.0, 16, dtype="float32"), (2, 1))
    noisy = clean + np.float32(0.2)
    output = clean + np.float32(0.05)
    errors = view.show_pairs(noisy, output, target=clean)
    np.testing.assert_allclose(errors, [0.05**2] * 2, rtol=1e-4)  # against the target, not the noisy input
    assert [len(images) for images in view.images] == [3, 3]  # input, reconstruction, target
    assert "target" in view.caption.text()
    same = view.show_pairs(noisy, output, target=noisy)  # targets equal to the inputs: an autoencoder
    np.testing.assert_allclose(same, [0.15**2] * 2, rtol=1e-4)
    assert [len(images) for images in view.images] == [2, 2]


def test_a_flat_square_sample_is_drawn_as_a_picture(qtbot: QtBot) -> None:
    panel = PredictPanel(lambda: None, autoencoder, lambda *a: 0)
    qtbot.addWidget(panel)
    panel.set_sample(np.arange(64, dtype="float32"))
    pixmap = panel.picture.pixmap()
    assert not pixmap.isNull()
    assert pixmap.width() == pixmap.height()  # 8x8 drawn square, not 64 numbers as text


@pytest.mark.tf
@pytest.mark.slow
def test_autoencoder_shows_inputs_beside_reconstructions(qtbot: Any, tmp_path: Path, tf_guard: Any) -> None:
    rng = np.random.default_rng(0)
    data = tmp_path / "pictures.npz"
    np.savez(data, x=rng.uniform(size=(120, SIDE * SIDE)).astype("float32"))
    w, docks = open_window(qtbot, autoencoder())
    try:
        project = docks.project()
        project.training.update({"loss": "mse"})
        project.data.update({"source": "file.numpy", "options": {"path": str(data), "x_key": "x", "y_key": "x",
                                                                 "task": "regression"}})
        run = project.add_run(label="hand-made weights", info={"graph": w.document.graph.to_dict()})
        project.set_weights(run.id, weights())
        panel = docks.predict
        panel.refresh_runs()
        docks.dashboard.tabs.setCurrentWidget(panel)
        panel.choose_sample()
        qtbot.waitUntil(lambda: panel.data is not None and panel.sample is not None, timeout=TIMEOUT)
        panel.index.setValue(3)
        panel.choose_sample()
        panel.result = None
        qtbot.mouseClick(panel.go, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
        assert not panel.result.error, panel.result.error

        inputs = np.asarray(panel.data.train.x[3:3 + PAIRS])  # no test part: the panel uses train
        np.testing.assert_array_equal(panel.batch, inputs)
        outputs = np.asarray(panel.result.outputs)
        np.testing.assert_allclose(outputs, forward(inputs, weights()), rtol=1e-5, atol=1e-6)
        expected = ((inputs.astype("float64") - outputs) ** 2).mean(axis=1)
        np.testing.assert_allclose(panel.recon.errors, expected, rtol=1e-12)
        assert panel.recon.isVisible() and not panel.table.isVisible()
        assert len(panel.recon.images) == len(panel.recon.tiles) == PAIRS
        for (a, b), (ia, ib, err), e, i in zip(panel.recon.images, panel.recon.tiles, expected, range(3, 99)):
            assert a.size() == b.size() == QSize(SIDE, SIDE)
            assert ia.pixmap().size() == ib.pixmap().size() == QSize(TILE, TILE)
            assert err.text() == f"#{i}  MSE {e:.4g}"
        assert "Reconstructions</b> of training samples #3–#10" in panel.status.text()
        tf_guard()
    finally:
        docks.close()
        w.document.mark_saved()
        w.projects.timer.stop()
