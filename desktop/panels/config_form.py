"""The training configuration as a form generated from the pydantic ``TrainingConfig`` fields.

Literals become drop-downs, booleans check boxes, bounded integers spin boxes, floats and optional numbers
line edits (blank = none), nested models group boxes. ``values()`` gives the nested dict; ``set_values``
fills it. Validation is the model's own: ``error()`` names the setting that is wrong.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.training.config import CLASSIFICATION_LOSSES, OPTIMIZER_TITLES, TrainingConfig, describe_error
from desktop.panels.check_list import CheckList
from desktop.panels.learn_relay import watch_combo

METRICS = ("accuracy", "mae", "mse", "auc", "precision", "recall", "top_k_categorical_accuracy")
DEVICES = ("auto", "cpu", "gpu", "gpu:0", "gpu:1")
HELP = {
    "loss": "What training minimises", "metrics": "Extra numbers reported per batch and epoch",
    "batch_size": "Samples per gradient step", "epochs": "Passes over the training data",
    "validation_split": "Fraction of training data held out when the data has no validation part",
    "seed": "Random seed (blank: a different run each time)", "device": "auto, cpu, gpu or gpu:N",
    "mixed_precision": "float16 compute on GPUs that support it", "strategy": "Distribute over several devices",
    "learning_rate": "Step size of each update", "clipnorm": "Rescale gradients whose norm exceeds this (blank: off)",
    "clipvalue": "Clip each gradient value to ±this (blank: off)", "gradient_norms": "Per-layer gradient norms",
    "feature_maps": "Outputs of convolution, pooling and other spatial layers for one fixed sample",
    "feature_map_sample": "Which training sample (index) the feature maps show",
    "weight_histograms": "Weight histograms per epoch",
    "confusion_matrix": "Confusion matrix on the validation data per epoch",
    "batch_messages_every": "Report every N-th batch (1 = all)",
    "monitor": "The logged value early stopping watches (val_ = on the validation data)",
}
LABELS = {"gradient_every": "every N steps", "feature_maps_every": "every N steps",
          "feature_map_sample": "sample index"}


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(args) < len(get_args(annotation)):
            return args[0], True
    return annotation, False


class ConfigForm(QWidget):
    """Editors for every field of ``model`` (recursively); ``changed`` fires on any edit."""

    changed = Signal()

    def __init__(self, model: type[BaseModel] = TrainingConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.editors: dict[str, Any] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._form(model, ""))
        self._loading = False
        loss = self.editors.get("loss")
        if isinstance(loss, QComboBox):
            loss.currentIndexChanged.connect(self._monitor_choices)
        self._monitor_choices()
        self.set_values(model().model_dump(mode="json"))

    # ---- building ------------------------------------------------------------------------------
    def _form(self, model: type[BaseModel], prefix: str) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        nested: list[tuple[str, type[BaseModel]]] = []
        for name, field in model.model_fields.items():
            path = f"{prefix}{name}"
            annotation, optional = _unwrap_optional(field.annotation)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                nested.append((name, annotation))
                continue
            editor = self._editor(name, annotation, optional, field.metadata)
            editor.setObjectName(f"cfg_{path}")
            editor.setToolTip(HELP.get(name, ""))
            self.editors[path] = editor
            if path in ("loss", "optimizer.name"):  # the Learn dock explains the loss or optimizer picked
                watch_combo(editor, path.split(".")[0])
            form.addRow(_label(name), editor)
        for name, sub in nested:
            group = QGroupBox(_label(name))
            inner = QVBoxLayout(group)
            inner.setContentsMargins(6, 4, 6, 4)
            inner.addWidget(self._form(sub, f"{prefix}{name}."))
            form.addRow(group)
        return box

    def _editor(self, name: str, annotation: Any, optional: bool, metadata: list[Any]) -> QWidget:
        if get_origin(annotation) is Literal:
            combo = QComboBox()
            for choice in get_args(annotation):
                combo.addItem(OPTIMIZER_TITLES.get(choice, str(choice)), choice)
            combo.currentIndexChanged.connect(self._emit)
            return combo
        if annotation is bool:
            check = QCheckBox()
            check.toggled.connect(self._emit)
            return check
        if annotation is int and not optional:
            spin = QSpinBox()
            lo = next((m.ge for m in metadata if getattr(m, "ge", None) is not None), 0)
            hi = next((m.le for m in metadata if getattr(m, "le", None) is not None), 1_000_000)
            spin.setRange(int(lo), int(min(hi, 2**31 - 1)))
            spin.valueChanged.connect(self._emit)
            return spin
        if name == "metrics":
            return self._metrics_editor()
        if name == "monitor":
            combo = QComboBox()
            combo.setEditable(True)
            combo.currentTextChanged.connect(self._emit)
            return combo
        if name == "device":
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItems(list(DEVICES))
            combo.currentTextChanged.connect(self._emit)
            return combo
        edit = QLineEdit()
        if annotation is float:
            edit.setValidator(QDoubleValidator())
        edit.setPlaceholderText("none" if optional else "")
        edit.textChanged.connect(self._emit)
        return edit

    def _metrics_editor(self) -> QWidget:
        """Every metric the engine accepts, ticked in a list whose value keeps the order it was given."""
        checks = CheckList(METRICS, wrap=True)
        checks.setMaximumHeight(64)
        checks.edited.connect(self._monitor_choices)
        checks.edited.connect(self._emit)
        return checks

    def _monitor_choices(self) -> None:
        """Offer early stopping the loss and each chosen metric the run logs (accuracy only with a classification
        loss), on the validation and the training data."""
        combo, metrics = self.editors.get("early_stopping.monitor"), self.editors.get("metrics")
        if not isinstance(combo, QComboBox) or not isinstance(metrics, CheckList):
            return
        loss = self.editors.get("loss")
        classifier = not isinstance(loss, QComboBox) or loss.currentData() in CLASSIFICATION_LOSSES
        names = ["loss", *(m for m in metrics.value() if classifier or m != "accuracy")]
        with QSignalBlocker(combo):
            current = combo.currentText()
            combo.clear()
            combo.addItems([f"{prefix}{n}" for n in names for prefix in ("val_", "")])
            combo.setCurrentText(current)

    def _emit(self, *_: object) -> None:
        if not self._loading:
            self.changed.emit()

    # ---- values --------------------------------------------------------------------------------
    def raw_values(self) -> dict[str, Any]:
        """The nested dict the editors show (not yet validated)."""
        out: dict[str, Any] = {}
        for path, editor in self.editors.items():
            target = out
            *parents, leaf = path.split(".")
            for p in parents:
                target = target.setdefault(p, {})
            target[leaf] = _read(editor)
        return out

    def config(self) -> TrainingConfig:
        return TrainingConfig.model_validate(self.raw_values())

    def error(self) -> str:
        """Why the current values are refused ("" when they are fine)."""
        try:
            self.config()
        except ValidationError as exc:
            return describe_error(exc)
        return ""

    def set_values(self, values: dict[str, Any]) -> None:
        """Show ``values``; a device left out or "auto" shows the "Default device for training" preference."""
        if "device" in self.editors and values.get("device") in (None, "auto"):
            from desktop.dialogs.preferences import default_device

            values = {**values, "device": default_device()}
        self._loading = True
        try:
            for path, editor in self.editors.items():
                value: Any = values
                for part in path.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if value is not None or path.endswith(("seed", "clipnorm", "clipvalue")):
                    _write(editor, value)
            self._monitor_choices()
        finally:
            self._loading = False
        self.changed.emit()


def _read(editor: QWidget) -> Any:
    if isinstance(editor, QComboBox):
        return editor.currentText() if editor.isEditable() else editor.currentData()
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QSpinBox):
        return editor.value()
    if isinstance(editor, QLineEdit):
        text = editor.text().strip()
        if not text:
            return None
        try:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return text
    assert isinstance(editor, CheckList)
    return editor.value()


def _write(editor: QWidget, value: Any) -> None:
    if isinstance(editor, QComboBox):
        if editor.isEditable():
            editor.setCurrentText(str(value))
        else:
            editor.setCurrentIndex(max(0, editor.findData(value)))
    elif isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    elif isinstance(editor, QLineEdit):
        editor.setText("" if value is None else repr(value) if isinstance(value, float) else str(value))
    elif isinstance(editor, CheckList):
        editor.set_value(value or [])
