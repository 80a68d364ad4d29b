"""The compact settings form of the GAN cockpit: latent prior, k, an optimizer per network, label smoothing,
steps and reporting intervals (a subset of ``core.gan.config.GanConfig``; the rest keeps the project's values)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QSpinBox, QWidget

from desktop.panels.learn_relay import watch, watch_combo

OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd", "momentum", "nesterov", "adagrad")


def _spin(lo: int, hi: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setToolTip(tip)
    return box


def _float(lo: float, hi: float, decimals: int, step: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setToolTip(tip)
    return box


class OptimizerRow(QWidget):
    """Optimizer name and learning rate of one network (beta_1 and the rest keep their values)."""

    def __init__(self, network: str) -> None:
        super().__init__()
        self.name = QComboBox()
        self.name.addItems(OPTIMIZERS)
        self.name.setToolTip(f"Optimizer of the {network}")
        watch_combo(self.name, "optimizer")
        self.rate = _float(1e-6, 1.0, 6, 1e-4, f"Learning rate of the {network}")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.name)
        row.addWidget(self.rate)
        self.base: dict[str, Any] = {}

    def set_values(self, optimizer: dict[str, Any]) -> None:
        self.base = dict(optimizer)
        self.name.setCurrentText(str(optimizer.get("name", "adam")))
        self.rate.setValue(float(optimizer.get("learning_rate", 2e-4)))

    def values(self) -> dict[str, Any]:
        return {**self.base, "name": self.name.currentText(), "learning_rate": self.rate.value()}


class GanForm(QWidget):
    """``set_config(dict)`` fills it from a ``GanConfig`` dict; ``values(base)`` gives the edited dict;
    ``changed`` fires on every edit by the user (not while ``set_config`` fills it)."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._filling = False
        self.latent = _spin(0, 4096, "Latent size; 0 takes it from the generator's input")
        self.latent.setSpecialValueText("from generator")
        self.distribution = QComboBox()
        self.distribution.addItems(["normal", "uniform"])
        self.distribution.setToolTip("Prior of the latent vectors: standard normal or uniform on [-1, 1]")
        self.steps = _spin(1, 10_000_000, "Generator updates")
        self.batch = _spin(1, 65_536, "Samples per update")
        self.k = _spin(1, 20, "Discriminator updates per generator update (k)")
        self.g_opt, self.d_opt = OptimizerRow("generator"), OptimizerRow("discriminator")
        self.smoothing = _float(0.0, 0.49, 2, 0.05, "One-sided label smoothing: real labels become 1 - this")
        self.sample_every = _spin(1, 1_000_000, "Steps between sample grids from the fixed seeds")
        self.gradients_every = _spin(1, 1_000_000, "Steps between per-layer gradient norms")
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        for label, widget in (("Latent size", self.latent), ("Latent prior", self.distribution),
                              ("Steps", self.steps), ("Batch size", self.batch), ("D steps per G step (k)", self.k),
                              ("G optimizer", self.g_opt), ("D optimizer", self.d_opt),
                              ("Label smoothing", self.smoothing), ("Samples every", self.sample_every),
                              ("Gradients every", self.gradients_every)):
            form.addRow(label, widget)
        for widget, topic in ((self.latent, "gan:latent"), (self.distribution, "gan:latent"),
                              (self.k, "gan:d_steps"), (self.smoothing, "gan:label_smoothing")):
            watch(widget, lambda t=topic: t)  # the Learn dock explains the GAN term being edited
        for spin in self.findChildren(QSpinBox) + self.findChildren(QDoubleSpinBox):
            spin.valueChanged.connect(self._edited)
        for combo in self.findChildren(QComboBox):
            combo.currentTextChanged.connect(self._edited)

    def _edited(self, *_: object) -> None:
        if not self._filling:
            self.changed.emit()

    def set_config(self, cfg: dict[str, Any]) -> None:
        self._filling = True
        try:
            self._fill(cfg)
        finally:
            self._filling = False

    def _fill(self, cfg: dict[str, Any]) -> None:
        self.latent.setValue(int(cfg.get("latent_dim") or 0))
        self.distribution.setCurrentText(str(cfg.get("latent_distribution", "normal")))
        self.steps.setValue(int(cfg.get("steps", 1000)))
        self.batch.setValue(int(cfg.get("batch_size", 64)))
        self.k.setValue(int(cfg.get("d_steps", 1)))
        self.g_opt.set_values(dict(cfg.get("g_optimizer") or {}))
        self.d_opt.set_values(dict(cfg.get("d_optimizer") or {}))
        self.smoothing.setValue(float(cfg.get("label_smoothing", 0.0)))
        self.sample_every.setValue(int(cfg.get("sample_every", 50)))
        self.gradients_every.setValue(int(cfg.get("gradients_every", 25)))

    def values(self, base: dict[str, Any]) -> dict[str, Any]:
        """``base`` (the project's GAN settings) with this form's fields applied."""
        return {**base, "latent_dim": self.latent.value() or None,
                "latent_distribution": self.distribution.currentText(), "steps": self.steps.value(),
                "batch_size": self.batch.value(), "d_steps": self.k.value(), "g_optimizer": self.g_opt.values(),
                "d_optimizer": self.d_opt.values(), "label_smoothing": self.smoothing.value(),
                "sample_every": self.sample_every.value(), "gradients_every": self.gradients_every.value()}
