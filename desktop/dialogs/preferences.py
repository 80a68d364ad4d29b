"""Preferences (QSettings through ``desktop.settings``): theme, default device, autosave interval, plot
refresh rate and the data cache folder; ``apply`` puts them into effect on a window."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop.settings import settings

THEMES = (("Follow the system", "system"), ("Light", "light"), ("Dark", "dark"))
DEVICES = (("Automatic (GPU when there is one)", "auto"), ("CPU", "cpu"), ("First GPU", "gpu:0"))
KEYS = {"theme": "theme", "device": "training/device", "autosave_seconds": "autosave/interval_seconds",
        "plot_hz": "plots/refresh_hz", "data_cache": "data/cache_folder"}
"""Where each preference lives in the settings (``theme`` is the key the View menu already uses)."""


@dataclass
class Preferences:
    theme: str = "system"
    device: str = "auto"
    autosave_seconds: int = 60
    """0 turns autosave off."""
    plot_hz: int = 30
    data_cache: str = ""
    """Folder for downloaded datasets (becomes ``KERAS_HOME`` for training workers); empty: Keras's default."""

    @property
    def plot_interval_ms(self) -> int:
        return max(16, round(1000 / max(1, self.plot_hz)))


def _int(value: Any, default: int, lo: int, hi: int) -> int:
    try:
        return min(hi, max(lo, int(value)))
    except (TypeError, ValueError):
        return default


def load() -> Preferences:
    """The stored preferences; anything missing or malformed falls back to its default."""
    s, d = settings(), Preferences()
    theme = str(s.value(KEYS["theme"], d.theme))
    device = str(s.value(KEYS["device"], d.device))
    return Preferences(
        theme=theme if theme in {v for _, v in THEMES} else d.theme,
        device=device if device in {v for _, v in DEVICES} or device.startswith("gpu:") else d.device,
        autosave_seconds=_int(s.value(KEYS["autosave_seconds"]), d.autosave_seconds, 0, 3600),
        plot_hz=_int(s.value(KEYS["plot_hz"]), d.plot_hz, 1, 60),
        data_cache=str(s.value(KEYS["data_cache"], "") or ""),
    )


def default_device() -> str:
    """The device new training runs start with (the training form's default)."""
    return load().device


def save(prefs: Preferences) -> None:
    s = settings()
    for f in fields(prefs):
        s.setValue(KEYS[f.name], getattr(prefs, f.name))
    s.sync()


def apply(window: Any, prefs: Preferences) -> None:
    """Theme, autosave interval (every open window) and plot refresh rate now; the data cache for the next
    training worker (it inherits the environment); the default device is read by each training form."""
    from desktop.refresh import set_plot_interval

    set_plot_interval(prefs.plot_interval_ms)
    window.set_theme({"system": None, "light": False, "dark": True}[prefs.theme])
    for each in _windows(window):
        _apply_autosave(each, prefs)
    _apply_cache(prefs)


def apply_at_start(window: Any) -> Preferences:
    """What the app does not already read itself when a window opens: the autosave interval and the cache."""
    prefs = load()
    _apply_autosave(window, prefs)
    _apply_cache(prefs)
    return prefs


def _windows(window: Any) -> list[Any]:
    """``window`` and every other open main window (a second launch opens more)."""
    others = [w for w in QApplication.topLevelWidgets() if w is not window and hasattr(w, "projects")]
    return [window, *others]


def _apply_autosave(window: Any, prefs: Preferences) -> None:
    timer = window.projects.timer
    if prefs.autosave_seconds:
        timer.setInterval(prefs.autosave_seconds * 1000)
        timer.start()
    else:
        timer.stop()


_KERAS_HOME_AT_START = os.environ.get("KERAS_HOME")


def _apply_cache(prefs: Preferences) -> None:
    """``KERAS_HOME`` is the chosen folder; cleared, it is what it was when the app started."""
    if prefs.data_cache:
        os.environ["KERAS_HOME"] = prefs.data_cache
    elif _KERAS_HOME_AT_START is None:
        os.environ.pop("KERAS_HOME", None)
    else:
        os.environ["KERAS_HOME"] = _KERAS_HOME_AT_START


class PreferencesDialog(QDialog):
    """A form over ``Preferences``; OK saves them."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.theme = self._combo(THEMES, prefs.theme, "pref_theme")
        self.device = self._combo(DEVICES, prefs.device, "pref_device")
        self.autosave = self._spin(0, 3600, prefs.autosave_seconds, " s", "pref_autosave")
        self.autosave.setSpecialValueText("off")
        self.plot_hz = self._spin(1, 60, prefs.plot_hz, " Hz", "pref_plot_hz")
        self.cache = QLineEdit(prefs.data_cache)
        self.cache.setObjectName("pref_cache")
        self.cache.setPlaceholderText("Keras's default (~/.keras)")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.cache, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Theme", self.theme)
        form.addRow("Default device for training", self.device)
        form.addRow("Autosave every", self.autosave)
        form.addRow("Plot refresh rate", self.plot_hz)
        form.addRow("Dataset cache folder", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _combo(options: tuple[tuple[str, str], ...], value: str, name: str) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        for text, data in options:
            box.addItem(text, data)
        index = box.findData(value)
        if index < 0:
            box.addItem(value, value)
            index = box.count() - 1
        box.setCurrentIndex(index)
        return box

    @staticmethod
    def _spin(lo: int, hi: int, value: int, suffix: str, name: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(lo, hi)
        spin.setValue(value)
        spin.setSuffix(suffix)
        return spin

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dataset cache folder", self.cache.text() or str(Path.home()))
        if folder:
            self.cache.setText(folder)

    def values(self) -> Preferences:
        return Preferences(theme=self.theme.currentData(), device=self.device.currentData(),
                           autosave_seconds=self.autosave.value(), plot_hz=self.plot_hz.value(),
                           data_cache=self.cache.text().strip())


def open_preferences(window: Any) -> PreferencesDialog:
    """Show the dialog (non-blocking); on OK save and apply."""
    dialog = PreferencesDialog(load(), window)

    def accepted() -> None:
        prefs = dialog.values()
        save(prefs)
        apply(window, prefs)

    dialog.accepted.connect(accepted)
    dialog.open()
    return dialog
