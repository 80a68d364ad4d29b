"""Preferences round-trip through QSettings and take effect; About shows versions found by a subprocess."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.dialogs import about, preferences
from desktop.main_window import MainWindow
from desktop.settings import settings


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w)
    return w


def test_defaults_and_bad_values_fall_back() -> None:
    assert preferences.load() == preferences.Preferences()
    s = settings()
    s.setValue("plots/refresh_hz", "fast")
    s.setValue("autosave/interval_seconds", 99999)
    s.setValue("theme", "purple")
    prefs = preferences.load()
    assert prefs.plot_hz == 30
    assert prefs.autosave_seconds == 3600
    assert prefs.theme == "system"


def test_dialog_saves_and_applies(window: MainWindow, qtbot: QtBot, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERAS_HOME", raising=False)
    dialog = preferences.open_preferences(window)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.autosave.setValue(0)
    qtbot.keyClicks(dialog.cache, str(tmp_path))
    dialog.plot_hz.setValue(10)
    dialog.accept()
    prefs = preferences.load()
    assert prefs == preferences.Preferences("dark", "cpu", 0, 10, str(tmp_path))
    assert prefs.plot_interval_ms == 100
    assert not window.projects.timer.isActive()
    assert settings().value("theme") == "dark"
    assert os.environ["KERAS_HOME"] == str(tmp_path)
    dialog2 = preferences.open_preferences(window)
    assert dialog2.autosave.text() == "off"
    dialog2.autosave.setValue(30)
    dialog2.accept()
    assert window.projects.timer.isActive()
    assert window.projects.timer.interval() == 30_000
    window.set_theme(None)
    QApplication.processEvents()


def test_cancel_changes_nothing(window: MainWindow, qtbot: QtBot) -> None:
    dialog = preferences.open_preferences(window)
    dialog.plot_hz.setValue(5)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert preferences.load().plot_hz == 30


def test_about_shows_versions_from_the_probe_process(qtbot: QtBot) -> None:
    fake = 'import json; print("noise"); print(json.dumps({"tensorflow": "9.9", "keras": "8.8", "gpus": []}))'
    dialog = about.AboutDialog(command=[sys.executable, "-c", fake])
    qtbot.addWidget(dialog)
    assert dialog.labels["tensorflow"].text() == "looking…"
    assert dialog.labels["layerbench"].text()
    assert "PySide6" in dialog.labels["qt"].text()
    with qtbot.waitSignal(dialog.probed, timeout=20000) as blocker:
        pass
    assert blocker.args == [True]
    assert dialog.labels["tensorflow"].text() == "9.9"
    assert dialog.labels["keras"].text() == "8.8"
    assert "none found" in dialog.labels["gpus"].text()


def test_about_says_when_tensorflow_is_missing(qtbot: QtBot) -> None:
    dialog = about.AboutDialog(command=[sys.executable, "-c", "raise SystemExit(1)"])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.probed, timeout=20000) as blocker:
        pass
    assert blocker.args == [False]
    assert "not available" in dialog.labels["tensorflow"].text()


@pytest.mark.tf
@pytest.mark.slow
def test_about_real_probe_finds_tensorflow(qtbot: QtBot) -> None:
    before = "tensorflow" in sys.modules
    dialog = about.AboutDialog()
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.probed, timeout=120000) as blocker:
        pass
    assert blocker.args == [True]
    assert dialog.labels["tensorflow"].text().startswith("2.")
    assert ("tensorflow" in sys.modules) == before


def test_frozen_app_asks_itself_for_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert about.probe_command() == [sys.executable, "versions", "--json"]
