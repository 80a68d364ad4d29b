"""Predict with a trained run: a test sample from the project's data or a loaded file (an image, or one row
of a CSV), run through the model in the prediction worker process; the panel shows the predicted class with
its probabilities (or the regression value), and can send that sample's feature maps to the dashboard.

A model whose output has its input's shape (an autoencoder, a denoiser) is predicted on a batch of samples
from the chosen one on, and shown as inputs beside their reconstructions with each one's squared error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.data.errors import DataError
from core.data.sample_file import CsvLayout, csv_layout, csv_sample, fit_image
from core.training.config import CLASSIFICATION_LOSSES
from core.training.predict import image_shape, reconstructs_input
from desktop.panels.data_picker import _POOL, readable_here, to_image
from desktop.panels.predict_io import (
    LIVE,
    OutputTable,
    csv_options,
    load_project_data,
    read_image,
    run_input_shape,
    run_recipe,
)
from desktop.panels.reconstruction import PAIRS, ReconstructionView

TOP = 5
MAX_WIDTH = 760


class _Relay(QObject):
    loaded = Signal(object)


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
        self.raw = ""
        """``image`` or ``table`` when the sample is a loaded file's values (the worker prepares them)."""
        self.file: Path | None = None
        self.note = ""
        """What was done to the loaded file (resized, columns used), shown with the prediction."""
        self._csv_layout: tuple[tuple[Any, ...], CsvLayout] | None = None
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
        self.csv_row = QSpinBox()
        self.csv_row.setObjectName("predict_csv_row")
        self.csv_row.setRange(0, 0)
        self.csv_row.setToolTip("The CSV file's data row to predict (0 = the first row after the header)")
        self.csv_row.valueChanged.connect(self._csv_row_changed)
        self.csv_rows = QLabel()
        self.csv_box = QWidget()
        csv_line = QHBoxLayout(self.csv_box)
        csv_line.setContentsMargins(0, 0, 0, 0)
        csv_line.addWidget(QLabel("CSV row"))
        csv_line.addWidget(self.csv_row)
        csv_line.addWidget(self.csv_rows, 1)
        self.csv_box.hide()
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
        self.table = OutputTable()
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
        form.addRow("", self.csv_box)
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
        future = _POOL.submit(load_project_data, recipe, self.graph().to_dict(), loss)
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
        self.csv_box.hide()

    def set_sample(self, x: np.ndarray, truth: str = "") -> None:
        """A prepared sample (as the model takes it); a loaded file's values are set by ``load_file``."""
        self.sample, self.truth, self.from_data = np.asarray(x), truth, False
        self.raw, self.note = "", ""
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
                                                "*.bmp *.gif *.pgm *.ppm *.csv);;All files (*)")
        if chosen:
            self.load_file(Path(chosen))

    def load_file(self, path: Path, row: int = 0) -> None:
        """An image (resized and converted to the input) or data row ``row`` of a CSV file, as the file has
        them; the prediction worker scales them like the run's training data."""
        shape = run_input_shape(self.project(), self.run.currentData(), self.graph())
        self.file = path
        try:
            if path.suffix.lower() == ".csv":
                self._load_csv(path, row, shape)
            else:
                self.csv_box.hide()
                x, note = fit_image(read_image(path), shape)
                self._set_file_sample(x, "image", note)
        except DataError as exc:
            self.sample = None
            self.status.setText(f"Cannot use {path.name}: {exc.message}")

    def _load_csv(self, path: Path, row: int, shape: tuple[int, ...]) -> None:
        options, delimiter = csv_options(self._recipe(self.run.currentData()))
        stat = path.stat() if path.exists() else None
        key = (str(path), delimiter, stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1)
        if self._csv_layout is None or self._csv_layout[0] != key:  # counted once per file, not per row
            self._csv_layout = (key, csv_layout(path, delimiter))
        layout = self._csv_layout[1]
        row = min(max(row, 0), layout.rows - 1)
        self.csv_row.blockSignals(True)
        self.csv_row.setRange(0, layout.rows - 1)
        self.csv_row.setValue(row)
        self.csv_row.blockSignals(False)
        header = "after its header" if layout.header else "no header"
        self.csv_rows.setText(f"of {layout.rows} data rows ({header})")
        self.csv_box.show()
        x, note = csv_sample(path, row, int(np.prod(shape)), options, delimiter)
        self._set_file_sample(x.reshape(shape), "table", note)

    def _csv_row_changed(self, row: int) -> None:
        if self.file is not None and self.file.suffix.lower() == ".csv":
            self.load_file(self.file, row)

    def _set_file_sample(self, x: np.ndarray, kind: str, note: str) -> None:
        self.set_sample(x)
        self.raw, self.note = kind, note
        self.status.setText(f"Sample ready: {note}. The prediction process prepares it like the training data.")

    def _recipe(self, run_id: Any) -> dict[str, Any]:
        return run_recipe(self.project(), run_id)

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
        self.pending = self.request(graph, weights, x, self.features.isChecked(), recipe=self._recipe(run_id),
                                    raw=self.raw)
        self.status.setText("Predicting… (the first prediction starts the worker: a few seconds)")

    def _reconstructs(self, graph: dict[str, Any] | None = None, run_id: str | None = None) -> bool:
        """An autoencoder-like model: output shaped like the input, not trained as a classifier."""
        if getattr(self.data, "classes", None):
            return False
        return reconstructs_input(graph or self.graph().to_dict(), self._loss(run_id) or "mse")

    def _loss(self, run_id: Any) -> str:
        """The loss the run was trained with (the project's training form for the live run)."""
        project = self.project()
        training = dict(getattr(project, "training", None) or {})
        if run_id not in (None, LIVE):
            training = dict(project.run(run_id).info.get("config") or training)
        return str(training.get("loss") or "")

    def _batch(self) -> np.ndarray:
        """Up to ``PAIRS`` samples of the chosen part from the chosen one on (the sample alone if it is a file)."""
        assert self.sample is not None
        self.batch_start, self.batch_target = 0, None
        if not self.from_data or self.data is None:
            return self.sample[None, ...]  # a loaded file's values: the worker's prepared input is drawn
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
        if result.inputs is not None:
            self.prepared = np.asarray(result.inputs)
        shown = self.prepared if result.inputs is not None else self.batch
        classifies = bool(result.classes) or result.task == "classification"  # not an autoencoder then
        if self.batch is not None and shown is not None and outputs.shape == shown.shape and not classifies:
            self._show_reconstructions(shown, outputs)
        else:
            self.recon.hide()
            self.table.show()
            classes = result.classes or getattr(self.data, "classes", None)
            self._show_output(outputs[0].reshape(-1), classes, result.task)
        notes = "; ".join(n for n in (self.note, result.note) if n)
        if self.raw and notes:
            self.status.setText(f"{self.status.text()}<br><small>{notes}</small>")
        if result.features:
            shown_sample = self.prepared[0] if self.raw and self.prepared is not None else self.sample
            self.features_ready.emit(result.features, shown_sample)

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

    def _show_output(self, out: np.ndarray, classes: list[str] | None, task: str = "") -> None:
        truth = f" — true: {self.truth}" if self.truth else ""
        if self._regression(out, classes, task):
            values = ", ".join(f"{float(v):.5g}" for v in out[:8]) + (" …" if out.size > 8 else "")
            self.status.setText(f"<b>Prediction: {values}</b>{truth}")
            self.table.show_values(out)
            self.predicted_class = -1
            return
        probs = out if out.size > 1 else np.array([1 - out[0], out[0]])
        names = [classes[i] if classes and i < len(classes) else str(i) for i in range(len(probs))]
        order = self.table.show_classes(probs, names, TOP)
        self.predicted_class = order[0]
        self.predicted_name = names[order[0]]
        self.status.setText(f"<b>Prediction: {names[order[0]]}</b> (p = {probs[order[0]]:.3f}){truth}")

    def _regression(self, out: np.ndarray, classes: list[str] | None, task: str) -> bool:
        """Values, not class probabilities: the data says regression, or (no class names) the loss is no
        classification loss, or a single output not trained with binary cross-entropy."""
        if task or classes:
            return task == "regression"
        loss = self._loss(self.run.currentData())
        if out.size == 1:
            return loss != "binary_crossentropy"
        return bool(loss) and loss not in CLASSIFICATION_LOSSES

    predicted_class = -1
    predicted_name = ""
    prepared: np.ndarray | None = None
    """The input the worker prepared from the loaded file (the batch), as the model saw it."""
