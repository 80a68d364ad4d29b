"""The predict panel on loaded files: a picture of another size and colour, resized and scaled like the run's
training data by the prediction worker, predicts what the model gives on that prepared array; the CSV row
chosen in the spin box is the one predicted; bad files and results are told in words."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data.load import load_dataset
from core.data.png import write_png
from core.graph.model import Graph
from core.training.predict import PredictResult
from desktop.panels.predict import PredictPanel
from desktop.panels.training_docks import TrainingDocks
from tests.desktop.test_training_panel import TIMEOUT, chain, open_window

SHAPES = {"source": "shapes", "options": {"samples": 80, "seed": 4},
          "preprocess": {"scaling": "standard", "validation": 0.25}}


def picture_model() -> Graph:
    return chain(Graph(), ("Input", {"shape": [28, 28, 1]}), ("Flatten", {}),
                 ("Dense", {"units": 4, "activation": "softmax"}))


def table_model() -> Graph:
    return chain(Graph(), ("Input", {"shape": [2]}), ("Dense", {"units": 8, "activation": "relu"}),
                 ("Dense", {"units": 2, "activation": "softmax"}))


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def nearest(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Nearest-neighbour resize written out: output row r takes input row floor(r * H / h)."""
    return img[np.ix_([r * img.shape[0] // h for r in range(h)], [c * img.shape[1] // w for c in range(w)])]


def predict_and_wait(qtbot: QtBot, docks: TrainingDocks) -> PredictResult:
    panel = docks.predict
    panel.result = None
    qtbot.mouseClick(panel.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
    assert not panel.result.error, panel.result.error
    return panel.result


def stored_run(docks: TrainingDocks, graph: Graph, recipe: dict[str, Any], weights: dict[str, Any]) -> None:
    project = docks.project()
    project.data.clear()
    project.data.update(recipe)
    run = project.add_run(label="hand-made weights", info={"graph": graph.to_dict(), "data": recipe})
    project.set_weights(run.id, weights)
    docks.predict.refresh_runs()
    assert docks.predict.run.currentData() == run.id
    docks.dashboard.tabs.setCurrentWidget(docks.predict)


@pytest.mark.tf
@pytest.mark.slow
def test_a_picture_is_resized_and_scaled_like_training(qtbot: QtBot, tmp_path: Path, tf_guard: Any) -> None:
    rng = np.random.default_rng(5)
    w = {"dense_1": [rng.normal(size=(784, 4)).astype("float32"), rng.normal(size=4).astype("float32")]}
    pixels = rng.integers(0, 256, (40, 50, 3)).astype("uint8")  # 50 wide, 40 high, RGB: the model takes grey 28x28
    picture = tmp_path / "photo.png"
    write_png(picture, pixels)
    window, docks = open_window(qtbot, picture_model())
    try:
        stored_run(docks, window.document.graph, SHAPES, w)
        panel = docks.predict
        assert panel.data is None  # no project sample was loaded first
        panel.load_file(picture)
        assert "resized 50x40 RGB to 28x28 grey" in panel.status.text()
        result = predict_and_wait(qtbot, docks)

        stats = load_dataset(SHAPES).scaling_stats  # shapes are 0..1 pictures, standardised when trained
        grey = pixels.astype("float32") @ np.array([0.299, 0.587, 0.114], "float32")
        prepared = ((nearest(grey, 28, 28) / 255.0 - stats["shift"]) / stats["scale"]).astype("float32")
        np.testing.assert_allclose(np.asarray(result.inputs)[0, ..., 0], prepared, rtol=1e-4, atol=1e-5)
        expected = softmax(prepared.reshape(1, -1) @ w["dense_1"][0] + w["dense_1"][1])[0]
        np.testing.assert_allclose(np.asarray(result.outputs)[0], expected, rtol=1e-4, atol=1e-6)
        names = ["square", "circle", "triangle", "line"]
        assert panel.predicted_class == int(expected.argmax())
        assert panel.predicted_name == names[int(expected.argmax())]
        assert f"Prediction: {names[int(expected.argmax())]}" in panel.status.text()
        assert "scaled like the training data (standard)" in panel.status.text()
        assert panel.table.item(0, 0).text() == names[int(expected.argmax())]
        np.testing.assert_allclose(panel.table.bar_values(), np.sort(expected)[::-1], atol=1e-3)
        tf_guard()
    finally:
        docks.close()
        window.document.mark_saved()
        window.projects.timer.stop()


@pytest.mark.tf
@pytest.mark.slow
def test_the_csv_row_chosen_is_predicted(qtbot: QtBot, tmp_path: Path, tf_guard: Any) -> None:
    rng = np.random.default_rng(6)
    train = tmp_path / "train.csv"
    rows = rng.normal(size=(30, 2)) * [3.0, 10.0] + [1.0, -5.0]
    train.write_text("x0,x1,kind\n" + "".join(f"{a:.4f},{b:.4f},{'ab'[i % 2]}\n" for i, (a, b) in enumerate(rows)),
                     encoding="utf-8")
    recipe = {"source": "file.csv", "options": {"path": str(train)}, "preprocess": {"scaling": "minmax"}}
    w = {"dense_1": [rng.normal(size=(2, 8)).astype("float32"), rng.normal(size=8).astype("float32")],
         "dense_2": [rng.normal(size=(8, 2)).astype("float32"), rng.normal(size=2).astype("float32")]}
    table = tmp_path / "new.csv"  # other column order, an extra text column: the recipe's columns are found by name
    table.write_text("kind,comment,x1,x0\na,one,2.5,0.5\nb,two,-7,4\na,three,12,-2\nb,four,0,0\n", encoding="utf-8")
    window, docks = open_window(qtbot, table_model())
    try:
        stored_run(docks, window.document.graph, recipe, w)
        panel = docks.predict
        panel.load_file(table)
        assert panel.csv_row.isVisibleTo(panel) and panel.csv_row.maximum() == 3  # four data rows
        panel.csv_row.setFocus()
        qtbot.keyClick(panel.csv_row, Qt.Key.Key_Up)
        qtbot.keyClick(panel.csv_row, Qt.Key.Key_Up)
        assert panel.csv_row.value() == 2
        np.testing.assert_array_equal(panel.sample, np.array([-2.0, 12.0], "float32"))  # x0, x1 of row 2
        result = predict_and_wait(qtbot, docks)

        stats = load_dataset(recipe).scaling_stats
        x = (np.array([[-2.0, 12.0]]) - stats["shift"]) / stats["scale"]
        np.testing.assert_allclose(result.inputs, x, rtol=1e-5)
        hidden = np.maximum(x @ w["dense_1"][0] + w["dense_1"][1], 0.0)
        expected = softmax(hidden @ w["dense_2"][0] + w["dense_2"][1])[0]
        np.testing.assert_allclose(np.asarray(result.outputs)[0], expected, rtol=1e-4, atol=1e-6)
        assert panel.predicted_name == "ab"[int(expected.argmax())]  # the label column's class names
        assert "row 2 of new.csv, columns x0, x1 as in the training data" in panel.status.text()
        tf_guard()
    finally:
        docks.close()
        window.document.mark_saved()
        window.projects.timer.stop()


def bare_panel(qtbot: QtBot, graph: Graph, data: dict[str, Any] | None = None) -> tuple[PredictPanel, list[Any]]:
    sent: list[Any] = []
    project = SimpleNamespace(data=data or {}, training={}, runs=[])
    panel = PredictPanel(lambda: project, lambda: graph, lambda *a, **k: sent.append((a, k)) or len(sent))
    qtbot.addWidget(panel)
    return panel, sent


def test_bad_files_are_refused_in_words(qtbot: QtBot, tmp_path: Path) -> None:
    panel, _ = bare_panel(qtbot, table_model())
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture", encoding="utf-8")
    panel.load_file(notes)
    assert panel.status.text().startswith("Cannot use notes.txt: notes.txt is not a picture that can be read")
    assert panel.sample is None

    text = tmp_path / "rows.csv"
    text.write_text("x0,x1\n1,2\n3,4\n5,six\n", encoding="utf-8")
    panel.load_file(text)
    assert panel.csv_row.maximum() == 2
    panel.csv_row.setValue(2)
    assert panel.status.text() == "Cannot use rows.csv: rows.csv row 2 (line 4), column 'x1': 'six' is not a number"
    assert panel.sample is None

    wide = tmp_path / "wide.csv"
    wide.write_text("a,b,c,d\n1,2,3,4\n", encoding="utf-8")
    panel.load_file(wide)
    assert panel.status.text() == ("Cannot use wide.csv: wide.csv has 4 numeric columns (a, b, c, d) but the model "
                                   "takes 2 features")

    picture = tmp_path / "p.png"
    write_png(picture, np.zeros((5, 5), "uint8"))
    panel.load_file(picture)
    assert "the model's input (2,) is not a picture; load a CSV row instead" in panel.status.text()
    assert "Traceback" not in panel.status.text()


def test_the_request_carries_the_recipe_and_the_raw_values(qtbot: QtBot, tmp_path: Path) -> None:
    panel, sent = bare_panel(qtbot, picture_model(), SHAPES)
    panel.run.addItem("a run", "r1")
    panel.project().run = lambda run_id: SimpleNamespace(info={"graph": picture_model().to_dict(), "data": SHAPES})
    panel.project().weights_npz = lambda run_id: b""
    picture = tmp_path / "g.png"
    write_png(picture, np.full((28, 28), 200, "uint8"))
    panel.load_file(picture)
    assert "kept 28x28 grey" in panel.status.text()
    panel.predict()
    args, options = sent[-1]
    x = args[2]
    assert options == {"recipe": SHAPES, "raw": "image"}
    assert x.shape == (1, 28, 28, 1) and float(x.max()) == 200.0  # pixels as in the file: the worker scales


def test_class_names_bars_and_regression_values(qtbot: QtBot) -> None:
    panel, _ = bare_panel(qtbot, table_model())
    panel.set_sample(np.zeros(2, "float32"))
    panel.pending = 3
    probs = np.array([[0.1, 0.6, 0.05, 0.25]])
    panel.show_result(PredictResult(3, probs, classes=["cat", "dog", "cow", "hen"], task="classification"))
    assert "Prediction: dog" in panel.status.text()
    assert [panel.table.item(r, 0).text() for r in range(4)] == ["dog", "hen", "cat", "cow"]
    assert [panel.table.item(r, 1).text() for r in range(4)] == ["0.6000", "0.2500", "0.1000", "0.0500"]
    np.testing.assert_allclose(panel.table.bar_values(), [0.6, 0.25, 0.1, 0.05], atol=1e-3)

    panel.show_result(PredictResult(3, np.array([[1.5, -2.25]]), task="regression"))
    assert "Prediction: 1.5, -2.25" in panel.status.text()
    assert panel.table.rowCount() == 2 and panel.table.item(1, 0).text() == "output 1"
    assert panel.table.item(1, 1).text() == "-2.25" and panel.table.bar_values() == []


def test_a_loaded_picture_on_an_autoencoder_is_drawn_as_prepared(qtbot: QtBot, tmp_path: Path) -> None:
    flat = chain(Graph(), ("Input", {"shape": [16]}), ("Dense", {"units": 4}), ("Dense", {"units": 16}))
    panel, sent = bare_panel(qtbot, flat, {"source": "file.numpy", "options": {}})
    panel.project().training = {"loss": "mse"}
    panel.run.addItem("a run", "r1")
    panel.project().run = lambda run_id: SimpleNamespace(info={"graph": flat.to_dict()})
    panel.project().weights_npz = lambda run_id: b""
    picture = tmp_path / "tile.png"
    write_png(picture, np.arange(0, 256, 4, dtype="uint8").reshape(8, 8))
    panel.load_file(picture)
    assert "resized 8x8 grey to 4x4 grey" in panel.status.text()
    panel.predict()
    assert sent[-1][0][2].shape == (1, 16) and sent[-1][1]["raw"] == "image"
    prepared = sent[-1][0][2] / 255.0  # what a worker scaling 0..255 to 0..1 would return
    output = prepared * 0.5
    panel.show_result(PredictResult(panel.pending, output, inputs=prepared, task="regression", note="mapped"))
    assert panel.recon.isVisibleTo(panel) and not panel.table.isVisibleTo(panel)
    np.testing.assert_allclose(panel.recon.errors, ((prepared - output) ** 2).mean(axis=1), rtol=1e-6)
    assert "the loaded sample" in panel.status.text() and "mapped" in panel.status.text()
