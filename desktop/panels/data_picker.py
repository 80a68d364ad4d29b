"""Choose the training data: a source from core.data, its options, the split and scaling, and a preview
(sample images or a table, class counts, shapes) loaded off the GUI thread.

A Keras dataset that is not cached yet is not downloaded here: the training process downloads it into Keras's
cache, and the preview is loaded once it is there (``cache_changed``, called when a run moves on from loading its
data). CIFAR-10 and IMDB are too heavy to read in the window's process (``TOO_BIG_HERE``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, get_args

import numpy as np
from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.data.recipe import LabelMode, Preprocess, Scaling
from core.data.sources import SourceSpec, all_sources
from desktop.panels.data_options import (
    PRE_HELP,
    ChoiceOption,
    ColumnsOption,
    OptionEditor,
    csv_editors,
    csv_header,
    fraction_spin,
    option_editor,
    pre_set,
    same_json,
    text_combo,
)

THUMB = 56
SAMPLES = 12
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="layerbench-preview")


TOO_BIG_HERE = {
    "keras.cifar10": "CIFAR-10 is not previewed in the window: reading it takes seconds and about 2 GB of memory "
                     "(measured); the training process reads it",
    "keras.imdb": "IMDB reviews are not previewed in the window: turning 50,000 reviews into token ids holds it "
                  "for seconds; the training process reads them",
}
"""Keras datasets the window does not load for a preview, and why."""


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
    """Edits a data recipe dict; ``changed`` fires with it on every user edit (not on ``set_recipe``).

    Nothing of a loaded recipe is lost: values an editor cannot show exactly (a seed out of a spin box's
    range, an unknown option or preprocessing key) are kept and given back by ``recipe()`` until the user
    edits that field.
    """

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
        self.option_editors: dict[str, OptionEditor] = {}
        self._loading = False
        self._unshown: dict[tuple[str, str], Any] = {}
        """Loaded values no editor shows exactly, by (section, name); dropped when that field is edited."""
        self._kept: dict[str, dict[str, Any]] = {"top": {}, "options": {}, "preprocess": {}}
        """Keys of the loaded recipe this picker has no editor for (``options`` only while its source is on)."""
        self._kept_source = ""
        self._foreign: dict[str, Any] | None = None
        """A loaded recipe whose source this version does not know: given back whole until the user edits."""
        self.pre: dict[str, QWidget] = {}
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
        self._waiting = False
        """The preview says it waits for the training process to read the data (a Keras dataset not cached)."""
        self._token = 0
        self._relay = _Relay(self)
        self._relay.done.connect(self._show_preview)
        self._layout()
        self.source.currentIndexChanged.connect(self._source_changed)
        self._source_changed()

    def _build_preprocess(self) -> None:
        self.scaling = text_combo(get_args(Scaling), PRE_HELP["scaling"])
        self.labels = text_combo(get_args(LabelMode), PRE_HELP["labels"])
        self.validation = fraction_spin(0.2, PRE_HELP["validation"])
        self.test = fraction_spin(0.0, PRE_HELP["test"])
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip(PRE_HELP["seed"])
        self.shuffle = QCheckBox("shuffle before splitting")
        self.shuffle.setToolTip(PRE_HELP["shuffle"])
        self.limit = QSpinBox()
        self.limit.setRange(0, 2**31 - 1)
        self.limit.setSpecialValueText("all")
        self.limit.setToolTip(PRE_HELP["limit"])
        self.pre = {"scaling": self.scaling, "labels": self.labels, "validation": self.validation, "test": self.test,
                    "seed": self.seed, "shuffle": self.shuffle, "limit": self.limit}
        for name, w in self.pre.items():
            w.setObjectName(f"data_pre_{name}")
            edited = {QComboBox: "currentIndexChanged", QCheckBox: "toggled"}.get(type(w), "valueChanged")
            getattr(w, edited).connect(lambda *_, key=("preprocess", name): self._field_edited(key))

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Source", self.source)
        form.addRow(self.doc)
        form.addRow(self.options_box)
        for title, name in (("Scaling", "scaling"), ("Labels", "labels"), ("Validation", "validation"),
                            ("Test", "test"), ("Seed", "seed"), ("Order", "shuffle"), ("Use at most", "limit")):
            form.addRow(title, self.pre[name])
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

    def preprocess(self) -> dict[str, Any]:
        return {"scaling": self.scaling.currentText(), "labels": self.labels.currentText(),
                "validation": round(self.validation.value(), 4), "test": round(self.test.value(), 4),
                "seed": self.seed.value(), "shuffle": self.shuffle.isChecked(), "limit": self.limit.value() or None}

    def recipe(self) -> dict[str, Any]:
        if self._foreign is not None:
            return copy.deepcopy(self._foreign)
        sections = {"options": {name: e.value() for name, e in self.option_editors.items()},
                    "preprocess": self.preprocess()}
        for (section, name), value in self._unshown.items():
            sections[section][name] = copy.deepcopy(value)
        if self._kept_source == self.spec.id:
            sections["options"].update(copy.deepcopy(self._kept["options"]))
        sections["preprocess"].update(copy.deepcopy(self._kept["preprocess"]))
        return {**copy.deepcopy(self._kept["top"]), "source": self.spec.id, **sections}

    def set_recipe(self, recipe: dict[str, Any]) -> None:
        """Show ``recipe`` (a load, not an edit: ``changed`` does not fire)."""
        index = self.source.findData(recipe.get("source"))
        if index < 0:
            self._foreign = copy.deepcopy(recipe)
            self.doc.setText(f"<small>The project's data source {recipe.get('source')!r} is unknown here: it is kept "
                             "as it is until you choose a source.</small>")
            return
        self._foreign = None
        self._loading = True
        try:
            with QSignalBlocker(self.source):
                self.source.setCurrentIndex(index)
            self._build_options()
            self._unshown = {}
            self._kept_source = self.spec.id
            self._kept = {"top": {k: v for k, v in recipe.items() if k not in ("source", "options", "preprocess")},
                          "options": {}, "preprocess": {}}
            options = recipe.get("options") or {}
            self._show_section("options", options, lambda name: self.option_editors[name].value())
            self._csv_header()
            pre = {**Preprocess().model_dump(mode="json"), **(recipe.get("preprocess") or {})}
            self._show_section("preprocess", pre, lambda name: self.preprocess()[name])
        finally:
            self._loading = False
        self._stale = True

    def _show_section(self, section: str, values: dict[str, Any], read: Callable[[str], Any]) -> None:
        """Put each value in its editor; keep what has no editor or does not read back the same."""
        editors: dict[str, Any] = self.option_editors if section == "options" else self.pre
        for name, value in values.items():
            if name not in editors:
                self._kept[section][name] = copy.deepcopy(value)
                continue
            if section == "options":
                editors[name].set_value(value)
            else:
                pre_set(editors[name], value)
            if not same_json(read(name), value):
                self._unshown[(section, name)] = copy.deepcopy(value)

    def _build_options(self) -> None:
        spec = self.spec
        self.doc.setText(f"<small>{spec.doc}</small>")
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self.option_editors = {}
        folder = spec.id in ("file.images", "file.texts")
        columns = csv_editors([]) if spec.id == "file.csv" else {}
        for name, default in spec.options.items():
            editor = columns.get(name) or option_editor(name, default, spec.choices.get(name), folder)
            editor.set_value(default)
            editor.setObjectName(f"data_opt_{name}")
            editor.edited.connect(lambda key=("options", name): self._field_edited(key))
            self.option_editors[name] = editor
            self.options_form.addRow(name.replace("_", " ").capitalize(), editor)

    def _source_changed(self) -> None:
        self._foreign = None
        self._build_options()
        self._unshown = {k: v for k, v in self._unshown.items() if k[0] != "options"}
        spec = self.spec
        if spec.group == "Images" or spec.id.startswith("keras."):
            self._unshown.pop(("preprocess", "scaling"), None)
            with QSignalBlocker(self.scaling):
                self.scaling.setCurrentText("divide255" if spec.id.startswith("keras.") else "none")
        self._edited()

    def _field_edited(self, key: tuple[str, str]) -> None:
        if self._loading:
            return
        self._foreign = None
        self._unshown.pop(key, None)
        if self.spec.id == "file.csv" and key[1] in ("path", "delimiter", "label"):
            self._csv_header(edited=key[1] == "label")
        self._edited()

    def _csv_header(self, edited: bool = False) -> None:
        """Offer the CSV file's columns to the feature and label pickers (the label column is not a feature)."""
        if self.spec.id != "file.csv":
            return
        e = self.option_editors
        features, label = e["features"], e["label"]
        assert isinstance(features, ColumnsOption) and isinstance(label, ChoiceOption)
        header = csv_header(str(e["path"].value()), str(e["delimiter"].value()))
        features.list.set_names(header)
        label.set_choices(["", *header])
        chosen = str(label.value()) or (header[-1] if header else "")
        if edited and chosen in features.list.ticked():
            features.list.tick(chosen, False)
        features.list.set_disabled([chosen])

    def _edited(self) -> None:
        if self._loading:
            return
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
        self._waiting = not readable_here(recipe["source"])
        if recipe["source"] in TOO_BIG_HERE:
            self._show_preview(self._token, TOO_BIG_HERE[recipe["source"]])
            return
        if self._waiting:
            self._show_preview(self._token, "previewed once the training process has downloaded it")
            return
        self.summary.setText("loading preview…")
        token = self._token
        future: Future[Any] = _POOL.submit(_load_preview, recipe)
        future.add_done_callback(lambda f: self._relay.done.emit(token, f.result()))

    def cache_changed(self) -> None:
        """Load the preview that was waiting for a Keras dataset, if it is in the cache now (a run downloaded it)."""
        if self._waiting and self.spec.id.startswith("keras.") and readable_here(self.spec.id):
            self.refresh_preview()

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


def _clear(grid: QGridLayout) -> None:
    while grid.count():
        item = grid.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.deleteLater()
