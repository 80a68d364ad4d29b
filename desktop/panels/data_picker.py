"""Choose the training data: a source from core.data, its options, the split and scaling, and a preview
(sample images or a table, class counts, shapes) loaded off the GUI thread.

Sources that would need Keras to read (a download, CIFAR's batches) are not previewed here: TensorFlow is
never imported in the window's process; the training process reads them.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.data.sources import SourceSpec, all_sources

THUMB = 56
SAMPLES = 12
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="layerbench-preview")


def readable_here(source_id: str) -> bool:
    """Whether the window may load this source itself (no Keras import, no download)."""
    if not source_id.startswith("keras."):
        return True
    from core.data.keras_sets import FASHION_FILES, cache_dir

    if source_id == "keras.mnist":
        return (cache_dir() / "mnist.npz").exists()
    if source_id == "keras.fashion_mnist":
        return all((cache_dir() / "fashion-mnist" / f).exists() for f in FASHION_FILES)
    return False


def to_image(sample: np.ndarray) -> QImage | None:
    """A grayscale or RGB QImage from an (h, w), (h, w, 1) or (h, w, 3) array scaled to 0..255."""
    a = np.asarray(sample, dtype="float64")
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] != 3) or min(a.shape[:2]) < 2:
        return None
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    scaled = np.ascontiguousarray(((a - lo) / (hi - lo if hi > lo else 1.0) * 255).astype("uint8"))
    h, w = scaled.shape[:2]
    fmt = QImage.Format.Format_Grayscale8 if scaled.ndim == 2 else QImage.Format.Format_RGB888
    return QImage(scaled.data, w, h, scaled.strides[0], fmt).copy()


class _Relay(QObject):
    done = Signal(object, object)  # (token, Preview | str)


class DataPicker(QWidget):
    """Edits a data recipe dict; ``changed`` fires with it on every edit."""

    changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources = {s.id: s for s in all_sources()}
        self.source = QComboBox()
        self.source.setObjectName("data_source")
        for spec in self.sources.values():
            self.source.addItem(f"{spec.group}: {spec.title}", spec.id)
        self.doc = QLabel()
        self.doc.setWordWrap(True)
        self.options_box = QWidget()
        self.options_form = QFormLayout(self.options_box)
        self.options_form.setContentsMargins(0, 0, 0, 0)
        self.option_editors: dict[str, QWidget] = {}
        self._build_preprocess()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("data_summary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.samples = QWidget()
        self.sample_grid = QGridLayout(self.samples)
        self.sample_grid.setContentsMargins(0, 0, 0, 0)
        self.sample_grid.setSpacing(3)
        self.table = QTableWidget()
        self.table.setMaximumHeight(160)
        self.table.hide()
        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.refresh_preview)
        self.preview: Any = None
        self._token = 0
        self._relay = _Relay(self)
        self._relay.done.connect(self._show_preview)
        self._layout()
        self.source.currentIndexChanged.connect(self._source_changed)
        self._source_changed()

    def _build_preprocess(self) -> None:
        self.scaling = QComboBox()
        self.scaling.addItems(["none", "minmax", "standard", "divide255"])
        self.validation = QDoubleSpinBox()
        self.validation.setRange(0.0, 0.9)
        self.validation.setSingleStep(0.05)
        self.validation.setValue(0.2)
        self.limit = QSpinBox()
        self.limit.setRange(0, 10_000_000)
        self.limit.setSpecialValueText("all")
        for w in (self.scaling, self.validation, self.limit):
            signal = w.currentIndexChanged if isinstance(w, QComboBox) else w.valueChanged
            signal.connect(self._edited)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Source", self.source)
        form.addRow(self.doc)
        form.addRow(self.options_box)
        form.addRow("Scaling", self.scaling)
        form.addRow("Validation", self.validation)
        form.addRow("Use at most", self.limit)
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        head.addWidget(self.preview_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(head)
        layout.addWidget(self.samples)
        layout.addWidget(self.table)

    # ---- recipe --------------------------------------------------------------------------------
    @property
    def spec(self) -> SourceSpec:
        return self.sources[str(self.source.currentData())]

    def recipe(self) -> dict[str, Any]:
        options = {name: _read(editor) for name, editor in self.option_editors.items()}
        limit = self.limit.value() or None
        return {"source": self.spec.id, "options": options,
                "preprocess": {"scaling": self.scaling.currentText(), "validation": round(self.validation.value(), 4),
                               "limit": limit}}

    def set_recipe(self, recipe: dict[str, Any]) -> None:
        index = self.source.findData(recipe.get("source"))
        if index < 0:
            return
        self.blockSignals(True)
        self.source.setCurrentIndex(index)
        for name, value in recipe.get("options", {}).items():
            if name in self.option_editors:
                _write(self.option_editors[name], value)
        pre = recipe.get("preprocess", {})
        self.scaling.setCurrentText(str(pre.get("scaling", "none")))
        self.validation.setValue(float(pre.get("validation", 0.2)))
        self.limit.setValue(int(pre.get("limit") or 0))
        self.blockSignals(False)
        self._edited()

    def _source_changed(self) -> None:
        spec = self.spec
        self.doc.setText(f"<small>{spec.doc}</small>")
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self.option_editors = {}
        for name, default in spec.options.items():
            editor = _editor(default)
            editor.setObjectName(f"data_opt_{name}")
            _connect(editor, self._edited)
            self.option_editors[name] = editor
            label = name.replace("_", " ").capitalize()
            if name.endswith("path") and isinstance(editor, QLineEdit):
                self.options_form.addRow(label, _with_browse(editor, folder=spec.id in ("file.images", "file.texts")))
            else:
                self.options_form.addRow(label, editor)
        if spec.group == "Images" or spec.id.startswith("keras."):
            self.scaling.setCurrentText("divide255" if spec.id.startswith("keras.") else "none")
        self._edited()

    def _edited(self, *_: object) -> None:
        self.changed.emit(self.recipe())
        self._stale = True
        on_screen = self.isVisible() and not self.visibleRegion().isEmpty()
        if on_screen and self.spec.offline and not self.spec.id.startswith("file."):
            self.refresh_preview()

    _stale = True

    def became_visible(self) -> None:
        if self._stale and not self.spec.id.startswith("file."):
            self.refresh_preview()

    # ---- preview -------------------------------------------------------------------------------
    def refresh_preview(self) -> None:
        self._stale = False
        recipe = self.recipe()
        self._token += 1
        if not readable_here(recipe["source"]):
            self._show_preview(self._token, "previewed once the training process has read it "
                                            "(it needs Keras to load or download)")
            return
        self.summary.setText("loading preview…")
        token = self._token
        future: Future[Any] = _POOL.submit(_load_preview, recipe)
        future.add_done_callback(lambda f: self._relay.done.emit(token, f.result()))

    def _show_preview(self, token: int, result: Any) -> None:
        if token != self._token:
            return
        _clear(self.sample_grid)
        self.table.hide()
        if isinstance(result, str):
            self.preview = None
            self.summary.setText(result)
            return
        self.preview = result
        self.summary.setText(_describe(result))
        images = [to_image(s) for s in (result.samples_x if result.samples_x is not None else [])]
        if images and all(img is not None for img in images):
            self._show_images(images, result)
        elif result.samples_x is not None:
            self._show_table(result)

    def _show_images(self, images: list[QImage | None], preview: Any) -> None:
        for i, img in enumerate(images):
            assert img is not None
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(img).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                          Qt.TransformationMode.FastTransformation))
            label.setToolTip(_label_of(preview, i))
            label.setObjectName("data_sample")
            self.sample_grid.addWidget(label, i // 6, i % 6)

    def _show_table(self, preview: Any) -> None:
        x = np.asarray(preview.samples_x).reshape(len(preview.samples_x), -1)[:, :8]
        self.table.setRowCount(len(x))
        self.table.setColumnCount(x.shape[1] + 1)
        self.table.setHorizontalHeaderLabels([f"x{j}" for j in range(x.shape[1])] + ["label"])
        for i, row in enumerate(x):
            for j, v in enumerate(row):
                self.table.setItem(i, j, QTableWidgetItem(f"{v:.4g}"))
            self.table.setItem(i, x.shape[1], QTableWidgetItem(_label_of(preview, i)))
        self.table.resizeColumnsToContents()
        self.table.show()


def _load_preview(recipe: dict[str, Any]) -> Any:
    from core.data.errors import DataError
    from core.data.preview import preview

    try:
        return preview(recipe, samples=SAMPLES)
    except DataError as exc:
        return f"cannot load the data: {exc.message}"
    except (OSError, ValueError) as exc:
        return f"cannot load the data: {exc}"


def _describe(p: Any) -> str:
    sizes = ", ".join(f"{k} {v:,}" for k, v in p.sizes.items() if v)
    text = f"<b>{p.task}</b> — {sizes}<br>input {p.x_shape} {p.x_dtype}, label {p.y_shape or '()'} {p.y_dtype}"
    text += f", values {p.value_range[0]:.3g}…{p.value_range[1]:.3g}"
    if p.class_counts:
        counts = ", ".join(f"{k}: {v}" for k, v in list(p.class_counts.items())[:12])
        text += f"<br>classes — {counts}"
    return text


def _label_of(preview: Any, i: int) -> str:
    if preview.samples_y is None or i >= len(preview.samples_y):
        return ""
    y = np.asarray(preview.samples_y[i])
    k = int(y.argmax()) if y.ndim and y.size > 1 else (int(y) if preview.classes else None)
    if k is not None and preview.classes and 0 <= k < len(preview.classes):
        return str(preview.classes[k])
    return f"{float(y.reshape(-1)[0]):.4g}"


def _editor(default: Any) -> QWidget:
    if isinstance(default, bool):
        return QCheckBox()
    if isinstance(default, int):
        spin = QSpinBox()
        spin.setRange(-1_000_000, 100_000_000)
        spin.setValue(default)
        return spin
    edit = QLineEdit(json.dumps(default) if isinstance(default, list) else str(default))
    edit.setProperty("json", isinstance(default, list))
    edit.setProperty("number", isinstance(default, float))
    return edit


def _with_browse(edit: QLineEdit, folder: bool) -> QWidget:
    """A path field with a Browse… button (a folder for image and text folders, else a file)."""
    from PySide6.QtWidgets import QFileDialog

    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    button = QPushButton("Browse…")

    def browse() -> None:
        chosen = (QFileDialog.getExistingDirectory(box, "Choose a folder") if folder
                  else QFileDialog.getOpenFileName(box, "Choose a file")[0])
        if chosen:
            edit.setText(chosen)
            edit.editingFinished.emit()

    button.clicked.connect(browse)
    row.addWidget(button)
    return box


def _connect(editor: QWidget, slot: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.toggled.connect(slot)
    elif isinstance(editor, QSpinBox):
        editor.valueChanged.connect(slot)
    elif isinstance(editor, QLineEdit):
        editor.editingFinished.connect(slot)


def _read(editor: QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QSpinBox):
        return editor.value()
    assert isinstance(editor, QLineEdit)
    text = editor.text()
    try:
        if editor.property("json"):
            return json.loads(text or "[]")
        if editor.property("number"):
            return float(text)
    except ValueError:
        return text
    return text


def _write(editor: QWidget, value: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    elif isinstance(editor, QLineEdit):
        editor.setText(json.dumps(value) if editor.property("json") else str(value))


def _clear(grid: QGridLayout) -> None:
    while grid.count():
        item = grid.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.deleteLater()
