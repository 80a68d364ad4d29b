"""The settings half of the RL panel: environment picker with its options, agent choice and hyper-parameters.

The hyper-parameter editors are generated from the agent's pydantic model (``core.rl.config``): numbers get
spin boxes bounded by the field's limits, booleans check boxes, choices combo boxes, the optimizer a name and
a learning rate. ``config_data()`` gives an ``RLConfig`` dict (without the graph).
"""

from __future__ import annotations

import typing
from typing import Any

from annotated_types import Ge, Gt, Le
from pydantic import BaseModel
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.rl.config import DQNConfig, OptimizerConfig, QLearningConfig, ReinforceConfig
from core.rl.envs import CATALOG, check_map, entry
from desktop.panels.learn_relay import watch, watch_combo

AGENTS: dict[str, tuple[str, type[BaseModel]]] = {
    "qlearning": ("Q-learning (tabular)", QLearningConfig), "dqn": ("DQN", DQNConfig),
    "reinforce": ("REINFORCE (policy gradient)", ReinforceConfig),
}
OPTIMIZERS = ("Adam", "AdamW", "RMSprop", "SGD", "Nadam", "Adagrad")
BIG = 1e9
Editor = QWidget


def _bounds(field: Any) -> tuple[float, float]:
    low, high = -BIG, BIG
    for m in field.metadata:
        if isinstance(m, Ge):
            low = float(m.ge)  # type: ignore[arg-type]
        elif isinstance(m, Gt):
            gt = float(m.gt)  # type: ignore[arg-type]
            low = gt + (1e-5 if gt == 0 else 1)
        elif isinstance(m, Le):
            high = float(m.le)  # type: ignore[arg-type]
    return low, high


def make_editor(field: Any, changed: Any) -> Editor:
    """A widget for one pydantic field (its default shown); ``changed`` is connected to its edit signal."""
    ann = field.annotation
    args = typing.get_args(ann)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), ann) if optional else ann
    low, high = _bounds(field)
    if base is bool:
        box = QCheckBox()
        box.toggled.connect(changed)
        return box
    if typing.get_origin(base) is typing.Literal:
        combo = QComboBox()
        combo.addItems([str(a) for a in typing.get_args(base)])
        combo.currentIndexChanged.connect(changed)
        return combo
    if base is int:
        spin = QSpinBox()
        spin.setRange(int(max(low, -2**31 + 1)), int(min(high, 2**31 - 1)))
        spin.setGroupSeparatorShown(True)
        spin.valueChanged.connect(changed)
        return spin
    dspin = QDoubleSpinBox()
    dspin.setDecimals(5)
    dspin.setRange(0.0 if optional else low, high)
    dspin.setSingleStep(0.01 if high <= 1 else 0.1)
    if optional:
        dspin.setSpecialValueText("off")
    dspin.valueChanged.connect(changed)
    return dspin


def write(editor: Editor, value: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QComboBox):
        editor.setCurrentText(str(value))
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    elif isinstance(editor, QDoubleSpinBox):
        editor.setValue(editor.minimum() if value is None else float(value))


def read(editor: Editor) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return editor.currentText()
    if isinstance(editor, QSpinBox):
        return editor.value()
    assert isinstance(editor, QDoubleSpinBox)
    if editor.specialValueText() and editor.value() == editor.minimum():
        return None
    return editor.value()


class EnvPicker(QGroupBox):
    """The catalog as a combo box, the chosen environment's options, its explanation and spaces."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__("Environment")
        self.combo = QComboBox()
        for e in CATALOG:
            self.combo.addItem(f"{e.title} — {e.id}", e.id)
        self.doc, self.spaces = QLabel(), QLabel("reading the spaces…")
        for label in (self.doc, self.spaces):
            label.setWordWrap(True)
        self.doc.setStyleSheet("color: palette(mid);")
        self.map_name, self.custom = QComboBox(), QPlainTextEdit()
        self.map_name.addItems(["4x4", "8x8", "custom"])
        self.custom.setPlaceholderText("SFFF\nFHFH\nFFFH\nHFFG")
        self.custom.setFixedHeight(80)
        self.flags: dict[str, QCheckBox] = {}
        self.form = QFormLayout(self)
        self.form.addRow("Environment", self.combo)
        self.form.addRow(self.doc)
        self.options_box = QWidget()
        self.options_form = QFormLayout(self.options_box)
        self.options_form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow(self.options_box)
        self.form.addRow(self.spaces)
        self.combo.currentIndexChanged.connect(self._env_changed)
        self.map_name.currentIndexChanged.connect(self._map_changed)
        self.custom.textChanged.connect(self.changed)
        self._env_changed()

    def env_id(self) -> str:
        return str(self.combo.currentData())

    def _env_changed(self) -> None:
        ent = entry(self.env_id())
        self.doc.setText(ent.doc)
        while self.options_form.rowCount():
            self.options_form.takeRow(0)  # keeps the widgets (reused) but drops them from the layout
        for w in (self.map_name, self.custom):
            w.hide()
        for box in self.flags.values():
            box.deleteLater()
        self.flags = {}
        for key, default in ent.options.items():
            if key == "map_name":
                self.map_name.show()
                self.options_form.addRow("Map", self.map_name)
                self.options_form.addRow(self.custom)
            elif isinstance(default, bool):
                box = QCheckBox(key.replace("_", " "))
                box.setChecked(default)
                box.toggled.connect(self.changed)
                self.flags[key] = box
                self.options_form.addRow(box)
        self._map_changed()

    def _map_changed(self) -> None:
        self.custom.setVisible("map_name" in entry(self.env_id()).options and self.map_name.currentText() == "custom")
        self.changed.emit()

    def options(self) -> dict[str, Any]:
        """The options as ``core.rl.envs`` takes them (a bad custom map raises ``EnvError``)."""
        out: dict[str, Any] = {k: box.isChecked() for k, box in self.flags.items()}
        if "map_name" in entry(self.env_id()).options:
            if self.map_name.currentText() == "custom":
                out["desc"] = check_map([r for r in self.custom.toPlainText().split() if r.strip()])
            else:
                out["map_name"] = self.map_name.currentText()
        return out

    def set_env(self, env_id: str, options: dict[str, Any]) -> None:
        index = self.combo.findData(env_id)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        if options.get("desc"):
            self.map_name.setCurrentText("custom")
            self.custom.setPlainText("\n".join(options["desc"]))
        elif "map_name" in options:
            self.map_name.setCurrentText(str(options["map_name"]))
        for key, box in self.flags.items():
            if key in options:
                box.setChecked(bool(options[key]))


class AgentForm(QGroupBox):
    """Agent choice and its hyper-parameters, plus seed, training frames per second and final evaluation."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__("Agent")
        self.combo = QComboBox()
        for kind, (title, _) in AGENTS.items():
            self.combo.addItem(title, kind)
        self.params = QWidget()
        self.params_form = QFormLayout(self.params)
        self.params_form.setContentsMargins(0, 0, 0, 0)
        self.editors: dict[str, Editor] = {}
        self.seed, self.fps, self.eval_episodes = QSpinBox(), QDoubleSpinBox(), QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.fps.setRange(0, 30)
        self.fps.setValue(4)
        self.fps.setSuffix(" frames/s")
        self.fps.setToolTip("Environment frames sent while training (0: none). A few per second cost little.")
        self.eval_episodes.setRange(1, 10_000)
        self.eval_episodes.setValue(10)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow("Agent", self.combo)
        layout.addLayout(top)
        layout.addWidget(self.params)
        bottom = QFormLayout()
        bottom.addRow("Seed", self.seed)
        bottom.addRow("Training frames", self.fps)
        bottom.addRow("Final evaluation", self.eval_episodes)
        layout.addLayout(bottom)
        self.combo.currentIndexChanged.connect(self._agent_changed)
        watch(self.combo, lambda: f"rl:{self.kind()}")  # the Learn dock explains the agent picked
        for w in (self.seed, self.fps, self.eval_episodes):
            w.valueChanged.connect(self.changed)
        self._agent_changed()

    def kind(self) -> str:
        return str(self.combo.currentData())

    def _agent_changed(self) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.editors = {}
        model = AGENTS[self.kind()][1]
        defaults = model().model_dump()
        for name, field in model.model_fields.items():
            if name == "kind":
                continue
            if field.annotation is OptimizerConfig:
                self._optimizer_rows(defaults[name])
                continue
            editor = make_editor(field, self.changed)
            write(editor, defaults[name])
            editor.setToolTip(field.description or "")
            self.editors[name] = editor
            self.params_form.addRow(name.replace("_", " "), editor)
        self.changed.emit()

    def _optimizer_rows(self, default: dict[str, Any]) -> None:
        name, rate = QComboBox(), QDoubleSpinBox()
        name.addItems(OPTIMIZERS)
        watch_combo(name, "optimizer")
        name.setCurrentText(default["name"])
        rate.setDecimals(6)
        rate.setRange(1e-6, 10.0)
        rate.setSingleStep(1e-4)
        rate.setValue(float(default["params"].get("learning_rate", 1e-3)))
        name.currentIndexChanged.connect(self.changed)
        rate.valueChanged.connect(self.changed)
        self.editors["optimizer.name"], self.editors["optimizer.learning_rate"] = name, rate
        self.params_form.addRow("optimizer", name)
        self.params_form.addRow("learning rate", rate)

    def agent_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind()}
        for name, editor in self.editors.items():
            if name.startswith("optimizer."):
                continue
            out[name] = read(editor)
        if "optimizer.name" in self.editors:
            out["optimizer"] = {"name": read(self.editors["optimizer.name"]),
                                "params": {"learning_rate": read(self.editors["optimizer.learning_rate"])}}
        return out

    def set_agent(self, data: dict[str, Any]) -> None:
        index = self.combo.findData(data.get("kind", "dqn"))
        if index >= 0:
            self.combo.setCurrentIndex(index)
        for name, editor in self.editors.items():
            if name == "optimizer.name":
                value = data.get("optimizer", {}).get("name")
            elif name == "optimizer.learning_rate":
                value = data.get("optimizer", {}).get("params", {}).get("learning_rate")
            else:
                value = data.get(name)
            if value is not None or name == "alpha_end":
                write(editor, value)
