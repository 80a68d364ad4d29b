"""One editor widget per ``ParamSpec`` kind. Each emits ``edited(value)`` when the user commits a value
and ``invalid(reason)`` when the text cannot be read; ``set_value`` shows the model's value silently."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from core.catalog.specs import ParamSpec

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class ParamEditor(QWidget):
    edited = Signal(object)
    invalid = Signal(str)

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(4)
        self.setToolTip(spec.doc)

    def set_value(self, value: Any) -> None:
        raise NotImplementedError


def _spin(spec: ParamSpec) -> QSpinBox:
    box = QSpinBox()
    lo = int(spec.minimum) if spec.minimum is not None else INT_MIN
    hi = int(spec.maximum) if spec.maximum is not None else INT_MAX
    box.setRange(lo, hi)
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    box.setMinimumWidth(40)
    return box


class IntEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = _spin(spec)
        self.row.addWidget(self.box)
        self.box.valueChanged.connect(self.edited.emit)

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setValue(int(value))


class IntsEditor(ParamEditor):
    """A fixed-length tuple (kernel size, strides) as a row of spin boxes; "auto" stands for ``None``."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.boxes = [_spin(spec) for _ in range(spec.length or len(spec.default or (1,)))]
        for i, box in enumerate(self.boxes):
            if i:
                self.row.addWidget(QLabel("×"))
            self.row.addWidget(box, 1)
            box.valueChanged.connect(self._emit)
        self.auto: QCheckBox | None = None
        if spec.allow_none:
            self.auto = QCheckBox("auto")
            self.auto.setToolTip("leave it to the layer (for pooling: the same as the pool size)")
            self.auto.toggled.connect(self._emit)
            self.row.addWidget(self.auto)

    def _emit(self) -> None:
        automatic = self.auto is not None and self.auto.isChecked()
        for box in self.boxes:
            box.setEnabled(not automatic)
        self.edited.emit(None if automatic else tuple(b.value() for b in self.boxes))

    def set_value(self, value: Any) -> None:
        if self.auto is not None:
            with QSignalBlocker(self.auto):
                self.auto.setChecked(value is None)
        for box in self.boxes:
            box.setEnabled(value is not None)
        if value is None:
            return
        for box, v in zip(self.boxes, value):
            with QSignalBlocker(box):
                box.setValue(int(v))


class TextEditor(ParamEditor):
    """A line edit committed on Enter or focus loss; ``parse`` turns its text into a value."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.line = QLineEdit()
        self.row.addWidget(self.line)
        self.line.editingFinished.connect(self._commit)
        self._shown = ""

    def _commit(self) -> None:
        if self.line.text() == self._shown:
            return
        try:
            value = self.parse(self.line.text())
        except ValueError as exc:
            self.invalid.emit(str(exc))
            return
        self.edited.emit(value)

    def parse(self, text: str) -> Any:
        return text

    def show_text(self, value: Any) -> str:
        return str(value)

    def set_value(self, value: Any) -> None:
        self._shown = self.show_text(value)
        with QSignalBlocker(self.line):
            self.line.setText(self._shown)


class FloatEditor(TextEditor):
    def parse(self, text: str) -> Any:
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError(f"{self.spec.name} must be a number, not {text!r}") from None

    def show_text(self, value: Any) -> str:
        return "" if value is None else f"{float(value):g}"


class ShapeEditor(TextEditor):
    """A shape typed as ``28, 28, 1``; ``None`` (or ``?``) is a length left open."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.line.setPlaceholderText("e.g. 28, 28, 1")

    def parse(self, text: str) -> Any:
        parts = [p.strip() for p in text.strip().strip("()[]").split(",") if p.strip()]
        if not parts:
            raise ValueError(f"{self.spec.name} needs at least one size")
        out: list[int | None] = []
        for p in parts:
            if p.lower() in ("none", "?"):
                out.append(None)
            elif p.lstrip("-").isdigit():
                out.append(int(p))
            else:
                raise ValueError(f"{self.spec.name}: {p!r} is not a whole number (use None for any length)")
        return tuple(out)

    def show_text(self, value: Any) -> str:
        return ", ".join("None" if v is None else str(v) for v in value)


class BoolEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QCheckBox()
        self.row.addWidget(self.box)
        self.box.toggled.connect(self.edited.emit)

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = QComboBox()
        for choice in spec.choices:
            self.combo.addItem(str(choice), choice)
        self.row.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(lambda i: self.edited.emit(self.spec.choices[i]))

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(list(self.spec.choices).index(value) if value in self.spec.choices else -1)


class RegularizerEditor(ParamEditor):
    """L1 and L2 penalties side by side; 0 and 0 means no regularizer."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.boxes: dict[str, QDoubleSpinBox] = {}
        for key in ("l1", "l2"):
            box = QDoubleSpinBox()
            box.setDecimals(4)
            box.setRange(0.0, 10.0)
            box.setSingleStep(0.0001)
            box.setKeyboardTracking(False)
            box.setPrefix(f"{key} ")
            box.setMinimumWidth(40)
            box.valueChanged.connect(self._emit)
            self.boxes[key] = box
            self.row.addWidget(box, 1)

    def _emit(self) -> None:
        self.edited.emit({k: b.value() for k, b in self.boxes.items()})

    def set_value(self, value: Any) -> None:
        for key, box in self.boxes.items():
            with QSignalBlocker(box):
                box.setValue(float(value.get(key, 0.0)))


class IntListEditor(TextEditor):
    """A tuple of any length (Permute's axis order) typed as ``2, 1, 3``."""

    def parse(self, text: str) -> Any:
        try:
            return tuple(int(p) for p in text.replace("(", "").replace(")", "").split(",") if p.strip())
        except ValueError:
            raise ValueError(f"{self.spec.name} must be whole numbers separated by commas, not {text!r}") from None

    def show_text(self, value: Any) -> str:
        return ", ".join(str(v) for v in value)


class JsonEditor(TextEditor):
    """Any JSON value (the config of an imported Keras layer), typed as JSON text."""

    def parse(self, text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{self.spec.name} must be JSON: {exc}") from None

    def show_text(self, value: Any) -> str:
        return json.dumps(value)


EDITORS: dict[str, type[ParamEditor]] = {
    "int": IntEditor, "float": FloatEditor, "bool": BoolEditor, "choice": ChoiceEditor, "str": TextEditor,
    "ints": IntsEditor, "shape": ShapeEditor, "regularizer": RegularizerEditor, "json": JsonEditor,
}


def editor_for(spec: ParamSpec, parent: QWidget | None = None) -> ParamEditor:
    if spec.kind == "ints" and spec.length is None:
        return IntListEditor(spec, parent)
    return EDITORS[spec.kind](spec, parent)
