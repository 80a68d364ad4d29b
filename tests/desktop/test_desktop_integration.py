"""Desktop integration that must take effect: preferences reach the widgets and timers that use them, dock
places survive a restart (the Learn dock included, though it is built after the window restored its state),
and a second launch without a file hands over to the running app."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDockWidget
from pytestqt.qtbot import QtBot

from desktop import single_instance as si
from desktop.dialogs import preferences
from desktop.main_window import MainWindow
from desktop.panels.config_form import ConfigForm
from desktop.panels.learn import install_learn_dock
from desktop.settings import settings


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    w = MainWindow()
    qtbot.addWidget(w)
    yield w
    training = getattr(w, "training", None)
    if training is not None:
        training.close()


def _set_through_dialog(qtbot: QtBot, window: MainWindow, **changes: Any) -> None:
    """Change fields in Edit > Preferences and press OK."""
    dialog = preferences.open_preferences(window)
    qtbot.addWidget(dialog)
    for name, value in changes.items():
        widget = {"device": dialog.device, "autosave": dialog.autosave, "plot_hz": dialog.plot_hz,
                  "cache": dialog.cache}[name]
        if name == "device":
            widget.setCurrentIndex(widget.findData(value))
        elif name == "cache":
            widget.setText(value)
        else:
            widget.setValue(value)
    dialog.accept()


# ---- preferences ---------------------------------------------------------------------------------------
def test_default_device_preference_is_the_training_forms_default(qtbot: QtBot, window: MainWindow) -> None:
    before = ConfigForm()
    qtbot.addWidget(before)
    assert before.editors["device"].currentText() == "auto"
    _set_through_dialog(qtbot, window, device="cpu")
    form = ConfigForm()
    qtbot.addWidget(form)
    assert form.editors["device"].currentText() == "cpu"
    assert form.config().device == "cpu"
    form.set_values({"device": "auto", "epochs": 3})  # a project that never chose: the preference
    assert form.config().device == "cpu"
    form.set_values({"device": "gpu:1"})  # a project that chose a device keeps it
    assert form.config().device == "gpu:1"


def test_training_panel_of_a_window_starts_on_the_preferred_device(qtbot: QtBot, window: MainWindow) -> None:
    settings().setValue(preferences.KEYS["device"], "gpu:0")
    from desktop.panels.training_install import training_docks

    docks = training_docks(window)
    assert docks.panel.form.config().device == "gpu:0"


def test_plot_refresh_rate_paces_the_dashboard_timer_and_changes_live(qtbot: QtBot, window: MainWindow) -> None:
    settings().setValue(preferences.KEYS["plot_hz"], 10)
    from desktop.panels.training_install import training_docks

    timer = training_docks(window).timer
    assert timer.isActive() and timer.interval() == 100
    _set_through_dialog(qtbot, window, plot_hz=50)
    assert timer.interval() == 20


def test_every_plot_timer_follows_a_new_rate(qtbot: QtBot) -> None:
    from PySide6.QtCore import QObject

    from desktop.refresh import plot_timer, set_plot_interval

    owner = QObject()
    settings().setValue(preferences.KEYS["plot_hz"], 5)
    a, b = plot_timer(owner), plot_timer(owner)
    assert (a.interval(), b.interval()) == (200, 200)
    set_plot_interval(40)
    assert (a.interval(), b.interval()) == (40, 40)


def test_gan_and_rl_dashboards_use_the_plot_timer() -> None:
    """Their redraw timers come from the one helper (a fixed 33 ms would ignore the preference)."""
    import inspect

    from desktop.panels import gan, rl_lab

    for module in (gan, rl_lab):
        source = inspect.getsource(module)
        assert "plot_timer(self)" in source and "REFRESH_MS" not in source


def test_autosave_interval_reaches_every_open_window(qtbot: QtBot, window: MainWindow) -> None:
    other = MainWindow()
    qtbot.addWidget(other)
    window.show()
    other.show()
    _set_through_dialog(qtbot, window, autosave=5)
    assert [w.projects.timer.interval() for w in (window, other)] == [5000, 5000]
    assert other.projects.timer.isActive()
    _set_through_dialog(qtbot, window, autosave=0)
    assert not window.projects.timer.isActive() and not other.projects.timer.isActive()


def test_autosave_preference_is_read_when_a_window_opens(qtbot: QtBot) -> None:
    settings().setValue(preferences.KEYS["autosave_seconds"], 7)
    from desktop.app import install_window_extras

    w = MainWindow()
    qtbot.addWidget(w)
    install_window_extras(w)
    assert w.projects.timer.interval() == 7000


def test_data_cache_folder_is_where_keras_datasets_are_read(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from core.data.keras_sets import cache_dir

    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setattr(preferences, "_KERAS_HOME_AT_START", None)
    default = cache_dir()
    _set_through_dialog(qtbot, window, cache=str(tmp_path / "cache"))
    assert os.environ["KERAS_HOME"] == str(tmp_path / "cache")  # spawned training workers inherit it
    assert cache_dir() == tmp_path / "cache" / "datasets"
    _set_through_dialog(qtbot, window, cache="")
    assert "KERAS_HOME" not in os.environ and cache_dir() == default


# ---- docks ------------------------------------------------------------------------------------------------
def test_every_dock_has_a_stable_unique_object_name(qtbot: QtBot, window: MainWindow) -> None:
    install_learn_dock(window)
    names = [d.objectName() for d in window.findChildren(QDockWidget)]
    assert len(names) == len(set(names)) and all(n.startswith("dock_") for n in names)
    assert {"dock_learn", "dock_training", "dock_dashboard", "dock_runs", "dock_palette"} <= set(names)
    second = MainWindow()
    qtbot.addWidget(second)
    install_learn_dock(second)
    assert sorted(d.objectName() for d in second.findChildren(QDockWidget)) == sorted(names)


def _restart(qtbot: QtBot, old: MainWindow) -> MainWindow:
    """Close the window (it saves its state) and open a new one the way the app does."""
    from desktop.app import install_window_extras

    old.close()
    new = MainWindow()
    qtbot.addWidget(new)
    install_window_extras(new)
    new.show()
    qtbot.waitExposed(new)
    return new


def test_learn_dock_place_and_closing_are_remembered_across_a_restart(qtbot: QtBot, window: MainWindow) -> None:
    install_learn_dock(window)
    window.show()
    qtbot.waitExposed(window)
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.dockWidgetArea(window.docks["learn"]) != left
    window.addDockWidget(left, window.docks["learn"])  # the user drags it to the left
    window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, window.docks["runs"])
    second = _restart(qtbot, window)
    assert second.dockWidgetArea(second.docks["learn"]) == left
    assert second.docks["learn"].isVisible()
    assert second.dockWidgetArea(second.docks["runs"]) == Qt.DockWidgetArea.TopDockWidgetArea
    second.docks["learn"].close()  # the user closes it
    third = _restart(qtbot, second)
    assert not third.docks["learn"].isVisible()
    third.docks["learn"].toggleViewAction().trigger()  # Panels > Learn brings it back, still on the left
    assert third.docks["learn"].isVisible() and third.dockWidgetArea(third.docks["learn"]) == left
    third.close()


def test_learn_dock_on_a_fresh_layout_is_tabbed_with_the_inspector(qtbot: QtBot, window: MainWindow) -> None:
    dock = install_learn_dock(window)
    assert dock in window.tabifiedDockWidgets(window.docks["inspector"])
    assert install_learn_dock(window) is dock  # once per window


# ---- second launch -----------------------------------------------------------------------------------
def _main_windows() -> list[MainWindow]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]


@pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise")  # offscreen cannot raise windows
def test_second_launch_without_a_file_opens_a_welcome_window_in_the_running_app(qtbot: QtBot,
                                                                               window: MainWindow) -> None:
    """A real second ``layerbench`` process with no argument hands over (exit 0, no window of its own) and the
    running app shows a new window on the welcome page, with the Learn dock, in front."""
    window.show()
    server = si.serve(window)
    assert server is not None
    try:
        before = set(map(id, _main_windows()))
        code = "import sys; from desktop.app import main; sys.exit(main([]))"
        proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60000)
        assert proc.returncode == 0
        qtbot.waitUntil(lambda: len(_main_windows()) == len(before) + 1)
        new = next(w for w in _main_windows() if id(w) not in before)
        assert new.welcome is not None and new.welcome.isVisible()
        assert "learn" in new.docks and len(new.document.graph) == 0
        new.close()
    finally:
        server.close()


def test_new_window_request_is_a_protocol_message(qtbot: QtBot) -> None:
    import uuid

    from PySide6.QtCore import QObject

    owner = QObject()  # server and client die together, after their sockets are done
    server = si.InstanceServer(f"layerbench-test-{uuid.uuid4().hex[:12]}", parent=owner)
    assert server.listen()
    client = si.InstanceClient(owner)
    with qtbot.waitSignal(server.window_requested), qtbot.waitSignal(client.answered) as answer:
        client.send([], server.name)
    assert answer.args == [True]
    assert si.is_new_window(si.encode_new_window()) and si.decode(si.encode_new_window()) is None
    server.close()
    owner.deleteLater()
