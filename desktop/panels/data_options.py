"""Editors for a data source's options (one per option, chosen from its default value and the spec's choices)
and for the preprocessing fields.

Each ``OptionEditor`` has ``value()``, a silent ``set_value`` and an ``edited`` signal. A CSV table's
``features`` and ``label`` are picked from the file's header row (only the first line is read).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop.panels.check_list import CheckList

HEADER_BYTES = 1 << 16
PRE_HELP = {
    "scaling": "minmax: to 0..1 per column; standard: zero mean, unit variance; divide255: pixel values to 0..1 "
               "(statistics from the training part only)",
    "labels": "auto/sparse: class ids as integers (for sparse categorical cross-entropy); onehot: one column per "
              "class (for categorical cross-entropy)",
    "validation": "Fraction held out for validation (after the test part)",
    "test": "Fraction held out for testing (ignored when the source has its own test part)",
    "seed": "Seed of the shuffle: the same seed gives the same split",
    "shuffle": "Shuffle the samples before splitting and limiting (off: keep the file's order)",
    "limit": "Use at most this many samples (taken after shuffling)",
}


def csv_header(path: str, delimiter: str = ",") -> list[str]:
    """The column names of a CSV file's first line ([] when it cannot be read): cheap enough for the GUI thread."""
    if not path or not Path(path).expanduser().is_file():
        return []
    try:
        with Path(path).expanduser().open(newline="", encoding="utf-8-sig") as f:
            line = f.readline(HEADER_BYTES)
        row = next(csv.reader([line], delimiter=delimiter or ","), [])
    except (OSError, UnicodeDecodeError, csv.Error, TypeError):
        return []
    return [c.strip() for c in row if c.strip()]


class OptionEditor(QWidget):
    """One option. ``edited`` fires on a user edit only."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError


class CheckOption(OptionEditor):
    def __init__(self) -> None:
        super().__init__()
        self.box = QCheckBox()
        self.row.addWidget(self.box)
        self.box.toggled.connect(self.edited)

    def value(self) -> Any:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setChecked(bool(value))


class IntOption(OptionEditor):
    def __init__(self) -> None:
        super().__init__()
        self.box = QSpinBox()
        self.box.setRange(-1_000_000, 100_000_000)
        self.box.setKeyboardTracking(False)
        self.row.addWidget(self.box)
        self.box.valueChanged.connect(self.edited)

    def value(self) -> Any:
        return self.box.value()

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.box.setValue(min(max(int(value), self.box.minimum()), self.box.maximum()))


class ChoiceOption(OptionEditor):
    """One of a fixed set of values (a value outside it is shown too, not replaced)."""

    def __init__(self, choices: Sequence[str], editable: bool = False) -> None:
        super().__init__()
        self.box = QComboBox()
        self.box.setEditable(editable)
        self.box.addItems([str(c) for c in choices])
        self.row.addWidget(self.box)
        self.box.currentTextChanged.connect(self.edited)

    def value(self) -> Any:
        return self.box.currentText()

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            text = "" if value is None else str(value)
            if self.box.findText(text) < 0 and not self.box.isEditable():
                self.box.addItem(text)
            self.box.setCurrentText(text) if self.box.isEditable() else self.box.setCurrentIndex(
                self.box.findText(text))

    def set_choices(self, choices: Sequence[str]) -> None:
        with QSignalBlocker(self.box):
            current = self.box.currentText()
            self.box.clear()
            self.box.addItems(list(choices))
            self.box.setCurrentText(current)


class TextOption(OptionEditor):
    """Free text; a list default is edited as JSON, a float default as a number."""

    def __init__(self, default: Any, browse: str = "") -> None:
        super().__init__()
        self.json, self.number = isinstance(default, list | dict), isinstance(default, float)
        self.edit = QLineEdit()
        self.row.addWidget(self.edit, 1)
        self.edit.editingFinished.connect(self.edited)
        if browse:
            button = QPushButton("Browse…")
            button.clicked.connect(lambda: self._browse(browse == "folder"))
            self.row.addWidget(button)

    def value(self) -> Any:
        text = self.edit.text()
        try:
            if self.json:
                return json.loads(text or "[]")
            if self.number:
                return float(text)
        except ValueError:
            return text
        return text

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.edit):
            self.edit.setText(json.dumps(value) if self.json and not isinstance(value, str) else str(value))

    def _browse(self, folder: bool) -> None:
        chosen = (QFileDialog.getExistingDirectory(self, "Choose a folder") if folder
                  else QFileDialog.getOpenFileName(self, "Choose a file")[0])
        if chosen:
            self.edit.setText(chosen)
            self.edited.emit()


class ColumnsOption(OptionEditor):
    """A CSV file's feature columns, ticked in a list of the header's names (none ticked: all but the label)."""

    def __init__(self) -> None:
        super().__init__()
        self.list = CheckList()
        self.list.setMaximumHeight(120)
        self.list.setToolTip("Tick the feature columns; none ticked means every column except the label")
        self.row.addWidget(self.list)
        self.list.edited.connect(self.edited)

    def value(self) -> Any:
        return self.list.value()

    def set_value(self, value: Any) -> None:
        self.list.set_value(value if isinstance(value, list) else [])


def option_editor(name: str, default: Any, choices: Sequence[str] | None, folder: bool) -> OptionEditor:
    """The editor for option ``name`` of a source (``folder``: its ``path`` is a folder)."""
    if choices:
        return ChoiceOption(choices)
    if isinstance(default, bool):
        return CheckOption()
    if isinstance(default, int):
        return IntOption()
    browse = ("folder" if folder else "file") if name.endswith("path") else ""
    return TextOption(default, browse)


def csv_editors(header: list[str]) -> dict[str, OptionEditor]:
    """The column pickers of a CSV table: ``features`` (a tick list) and ``label`` (blank: the last column)."""
    features = ColumnsOption()
    features.list.set_names(header)
    label = ChoiceOption(["", *header], editable=True)
    line = label.box.lineEdit()
    if line is not None:
        line.setPlaceholderText("the last column")
    label.setToolTip("The column holding the labels (text labels are encoded as class ids)")
    return {"features": features, "label": label}


# ---- preprocessing ----------------------------------------------------------------------------------

def text_combo(choices: Sequence[str], tip: str) -> QComboBox:
    combo = QComboBox()
    combo.addItems(list(choices))
    combo.setToolTip(tip)
    return combo


def fraction_spin(value: float, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setDecimals(4)
    spin.setRange(0.0, 0.99)
    spin.setSingleStep(0.05)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def pre_set(widget: QWidget, value: Any) -> None:
    """Show a preprocessing value without signalling; a value the widget cannot take leaves it as it is."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    with QSignalBlocker(widget):
        if isinstance(widget, QComboBox) and widget.findText(str(value)) >= 0:
            widget.setCurrentIndex(widget.findText(str(value)))
        elif isinstance(widget, QDoubleSpinBox) and number:
            widget.setValue(float(value))
        elif isinstance(widget, QCheckBox) and isinstance(value, bool):
            widget.setChecked(value)
        elif isinstance(widget, QSpinBox) and (number or value is None):
            widget.setValue(min(max(int(value or 0), widget.minimum()), widget.maximum()))


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON (so 1 and 1.0, or True and 1, differ)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
