"""Predict with a trained run: a test sample from the project's data or a loaded file (an image, or one row
of a CSV), run through the model in the prediction worker process; the panel shows the predicted class with
its probabilities (or the regression value), and can send that sample's feature maps to the dashboard.

A model whose output has its input's shape (an autoencoder, a denoiser) is predicted on a batch of samples
from the chosen one on, and shown as inputs beside their reconstructions with each one's squared error.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.training.predict import image_shape, reconstructs_input
from desktop.panels.data_picker import _POOL, readable_here, to_image
from desktop.panels.reconstruction import PAIRS, ReconstructionView

TOP = 5
LIVE = "__live__"
MAX_WIDTH = 760


class _Relay(QObject):
    loaded = Signal(object)


def image_to_array(image: QImage, shape: tuple[int, ...]) -> np.ndarray:
    """A picture as the graph's input: resized to (h, w), gray or RGB as the input's channels, 0..255."""
    h, w = int(shape[0]), int(shape[1])
    channels = int(shape[2]) if len(shape) > 2 else 1
    scaled = image.scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
    fmt = QImage.Format.Format_Grayscale8 if channels == 1 else QImage.Format.Format_RGB888
    converted = scaled.convertToFormat(fmt)
    stride = converted.bytesPerLine()
    raw = np.frombuffer(converted.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    pixels = raw[:, : w * channels].reshape(h, w, channels).astype("float32")
    return pixels if len(shape) > 2 else pixels[..., 0]


def csv_row(path: Path, row: int, size: int) -> np.ndarray:
    """The numbers of data row ``row`` (0 = first after the header); a trailing label column is dropped."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r]
    body = rows[1:] if rows and not _numeric(rows[0]) else rows
    if not 0 <= row < len(body):
        raise ValueError(f"{path.name} has {len(body)} data rows; row {row} does not exist")
    values = [float(v) for v in body[row] if _is_number(v)]
    if len(values) == size + 1:
        values = values[:-1]
    if len(values) != size:
        raise ValueError(f"row {row} of {path.name} has {len(values)} numbers; the model takes {size}")
    return np.asarray(values, dtype="float32")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numeric(row: list[str]) -> bool:
    return all(_is_number(v) for v in row)


def scale_like_training(x: np.ndarray, stats: dict[str, Any]) -> np.ndarray:
    if not stats:
        return x.astype("float32")
    scaled: np.ndarray = ((x - np.asarray(stats["shift"])) / np.asarray(stats["scale"])).astype("float32")
    return scaled


class PredictPanel(QWidget):
    """``predict`` sends a request through ``request(graph, weights, x, feature_maps) -> id``."""

    features_ready = Signal(object, object)  # ({layer: maps}, sample)

    def __init__(self, project: Callable[[], Any], graph: Callable[[], Any],
                 request: Callable[..., int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.graph, self.request = project, graph, request
        self.live: Callable[[], tuple[dict[str, Any], str] | None] = lambda: None
        """The run in progress as (graph, latest checkpoint file), when it has one."""
        self.data: Any = None
        self.sample: np.ndarray | None = None
        self.truth: str = ""
        self.pending = -1
        self.result: Any = None
        self.from_data = False
        """The sample is one of the project's data (so neighbours can be reconstructed with it)."""
        self.batch: np.ndarray | None = None
        """The inputs of the pending reconstruction request (None: a single-sample prediction)."""
        self.batch_start = 0
        self.batch_target: np.ndarray | None = None
        """The data's targets for the batch (they differ from the inputs for a denoiser)."""
        self._relay = _Relay(self)
        self._relay.loaded.connect(self._data_loaded)
        self._build()

    def _build(self) -> None:
        self.run = QComboBox()
        self.run.setObjectName("predict_run")
        self.split = QComboBox()
        self.split.addItems(["test", "validation", "train"])
        self.index = QSpinBox()
        self.index.setObjectName("predict_index")
        self.index.setRange(0, 0)
        self.use_sample = QPushButton("Use this sample")
        self.use_sample.clicked.connect(self.choose_sample)
        self.file_button = QPushButton("Load image or CSV…")
        self.file_button.clicked.connect(self.ask_file)
        self.features = QCheckBox("Show its feature maps in the dashboard")
        self.go = QPushButton("Predict")
        self.go.setObjectName("predict_go")
        self.go.clicked.connect(self.predict)
        self.picture = QLabel()
        self.picture.setFixedSize(112, 112)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status = QLabel("Train a run first; then pick a sample and press Predict.")
        self.status.setObjectName("predict_status")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["class", "probability"])
        self.table.setMaximumHeight(170)
        self.recon = ReconstructionView()
        self.recon.hide()
        self._layout()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Run", self.run)
        row = QHBoxLayout()
        row.addWidget(self.split)
        row.addWidget(self.index)
        row.addWidget(self.use_sample)
        form.addRow("Sample", row)
        form.addRow("", self.file_button)
        form.addRow("", self.features)
        top = QHBoxLayout()
        top.addLayout(form, 1)
        top.addWidget(self.picture)
        body = QWidget()
        body.setMaximumWidth(MAX_WIDTH)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.go)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        layout.addWidget(self.recon)
        layout.addStretch(1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(body, 1)
        outer.addStretch(0)

    # ---- runs and data -------------------------------------------------------------------------
    def refresh_runs(self) -> None:
        current = self.run.currentData()
        self.run.clear()
        if self.live() is not None:
            self.run.addItem("Current run (latest epoch's weights)", LIVE)
        for run in reversed(self.project().runs):
            if run.weights:
                self.run.addItem(run.label or run.id, run.id)
        self.run.setPlaceholderText("no trained run yet" if not self.run.count() else "")
        index = self.run.findData(current)
        self.run.setCurrentIndex(max(index, 0))

    def load_data(self) -> None:
        """Read the project's data in the background (test, validation and training parts)."""
        recipe = dict(self.project().data)
        if not recipe or not readable_here(recipe.get("source", "")):
            self.status.setText("Load an image or a CSV file (the project's data is read by the training process).")
            return
        loss = str(self.project().training.get("loss", "sparse_categorical_crossentropy"))
        future = _POOL.submit(_load, recipe, self.graph().to_dict(), loss)
        future.add_done_callback(lambda f: self._relay.loaded.emit(f.result()))

    def _data_loaded(self, data: Any) -> None:
        if isinstance(data, str):
            self.status.setText(data)
            return
        self.data = data
        self.choose_sample()

    def _split(self) -> Any:
        parts = {"test": self.data.test, "validation": self.data.validation, "train": self.data.train}
        part = parts[self.split.currentText()]
        return part if len(part) else self.data.train

    def choose_sample(self) -> None:
        if self.data is None:
            self.load_data()
            return
        part = self._split()
        self.index.setRange(0, len(part) - 1)
        i = self.index.value()
        self.set_sample(part.x[i], "" if self._reconstructs() else self._class_name(part.y[i]))
        self.from_data = True

    def set_sample(self, x: np.ndarray, truth: str = "") -> None:
        self.sample, self.truth, self.from_data = np.asarray(x), truth, False
        shape = image_shape(self.sample.shape, getattr(self.data, "image_shape", None))
        image = to_image(self.sample.reshape(shape)) if shape else None
        if image is not None:
            self.picture.setPixmap(QPixmap.fromImage(image).scaled(
                108, 108, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
        else:
            values = ", ".join(f"{v:.3g}" for v in self.sample.reshape(-1)[:6])
            self.picture.setText(values + ("…" if self.sample.size > 6 else ""))
        self.status.setText(f"Sample ready{f' (true class: {truth})' if truth else ''}.")

    def _class_name(self, y: Any) -> str:
        classes = getattr(self.data, "classes", None)
        y = np.asarray(y)
        if not classes:
            return f"{float(y.reshape(-1)[0]):.4g}" if y.size else ""
        k = int(y.argmax()) if y.ndim and y.size > 1 else int(y)
        return classes[k] if 0 <= k < len(classes) else str(k)

    def ask_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Predict on a file", "", "Images or CSV (*.png *.jpg *.jpeg "
                                                "*.bmp *.pgm *.csv);;All files (*)")
        if chosen:
            self.load_file(Path(chosen))

    def load_file(self, path: Path, row: int = 0) -> None:
        shape = _input_shape(self.graph())
        try:
            if path.suffix.lower() == ".csv":
                x = csv_row(path, row, int(np.prod(shape)))
                x = x.reshape(shape)
            else:
                image = QImage(str(path))
                if image.isNull() or len(shape) < 2:
                    raise ValueError(f"{path.name} is not an image the model can take (input {shape})")
                x = image_to_array(image, shape)
            stats = getattr(self.data, "scaling_stats", {}) if self.data is not None else {}
            self.set_sample(scale_like_training(x, stats))
        except (OSError, ValueError) as exc:
            self.status.setText(f"Cannot use {path.name}: {exc}")

    # ---- predicting ----------------------------------------------------------------------------
    def predict(self) -> None:
        run_id = self.run.currentData()
        if run_id is None or self.sample is None:
            self.status.setText("Choose a trained run and a sample first.")
            return
        project = self.project()
        live = self.live() if run_id == LIVE else None
        if run_id == LIVE and live is None:
            self.status.setText("The current run has no finished epoch yet.")
            return
        if live is not None:
            graph, weights = live[0], live[1]
        else:
            run = project.run(run_id)
            graph, weights = run.info.get("graph") or self.graph().to_dict(), project.weights_npz(run_id)
        self.batch = self._batch() if self._reconstructs(graph, run_id) else None
        x = self.sample[None, ...] if self.batch is None else self.batch
        self.pending = self.request(graph, weights, x, self.features.isChecked())
        self.status.setText("Predicting… (the first prediction starts the worker: a few seconds)")

    def _reconstructs(self, graph: dict[str, Any] | None = None, run_id: str | None = None) -> bool:
        """An autoencoder-like model: output shaped like the input, not trained as a classifier."""
        project = self.project()
        training = dict(getattr(project, "training", None) or {})
        if run_id not in (None, LIVE):
            training = dict(project.run(run_id).info.get("config") or training)
        if getattr(self.data, "classes", None):
            return False
        return reconstructs_input(graph or self.graph().to_dict(), str(training.get("loss", "mse")))

    def _batch(self) -> np.ndarray:
        """Up to ``PAIRS`` samples of the chosen part from the chosen one on (the sample alone if it is a file)."""
        assert self.sample is not None
        self.batch_start, self.batch_target = 0, None
        if not self.from_data or self.data is None:
            return self.sample[None, ...]
        start = self.batch_start = self.index.value()  # the chosen sample first (its feature maps match)
        part = self._split()
        self.batch_target = np.asarray(part.y[start:start + PAIRS])
        return np.asarray(part.x[start:start + PAIRS])

    def show_result(self, result: Any) -> None:
        if result.id not in (self.pending, -1):
            return
        self.result = result
        if result.error:
            self.status.setText(f"Prediction failed: {result.error}")
            return
        outputs = np.asarray(result.outputs)
        if self.batch is not None and outputs.shape == self.batch.shape:
            self._show_reconstructions(self.batch, outputs)
        else:
            self.recon.hide()
            self.table.show()
            self._show_output(outputs[0].reshape(-1), getattr(self.data, "classes", None))
        if result.features:
            self.features_ready.emit(result.features, self.sample)

    def _show_reconstructions(self, x: np.ndarray, y: np.ndarray) -> None:
        self.table.setRowCount(0)
        self.table.hide()
        errors = self.recon.show_pairs(x, y, getattr(self.data, "image_shape", None), self.batch_start,
                                       self.batch_target)
        self.recon.show()
        where = "the loaded sample"
        if self.from_data and self.data is not None:
            part = self.split.currentText() if self._split() is not self.data.train else "training"
            where = f"{part} samples #{self.batch_start}–#{self.batch_start + len(x) - 1}"
        self.status.setText(f"<b>Reconstructions</b> of {where}: mean squared error {float(errors.mean()):.4g} "
                            "(the output has the input's shape, so each input is shown beside its output).")

    def _show_output(self, out: np.ndarray, classes: list[str] | None) -> None:
        truth = f" — true: {self.truth}" if self.truth else ""
        if out.size == 1 and not classes:
            self.status.setText(f"<b>Prediction: {float(out[0]):.5g}</b>{truth}")
            self.table.setRowCount(0)
            return
        probs = out if out.size > 1 else np.array([1 - out[0], out[0]])
        order = np.argsort(probs)[::-1][:TOP]
        names = [classes[i] if classes and i < len(classes) else str(i) for i in range(len(probs))]
        self.predicted_class = int(order[0])
        self.status.setText(f"<b>Prediction: {names[order[0]]}</b> (p = {probs[order[0]]:.3f}){truth}")
        self.table.setRowCount(len(order))
        for row, i in enumerate(order):
            self.table.setItem(row, 0, QTableWidgetItem(names[i]))
            self.table.setItem(row, 1, QTableWidgetItem(f"{probs[i]:.4f}"))

    predicted_class = -1


def _input_shape(graph: Any) -> tuple[int, ...]:
    node = next((n for n in graph.nodes if n.type == "Input"), None)
    return tuple(int(v) for v in (node.params.get("shape") or [])) if node is not None else ()


def _load(recipe: dict[str, Any], graph: dict[str, Any], loss: str) -> Any:
    from core.data.check import fit_to_graph
    from core.data.errors import DataError
    from core.data.load import load_dataset
    from core.graph.model import Graph

    try:
        return fit_to_graph(load_dataset(recipe), Graph.from_dict(graph), loss)
    except DataError as exc:
        return f"cannot read the data: {exc.message}"
    except (OSError, ValueError) as exc:
        return f"cannot read the data: {exc}"
