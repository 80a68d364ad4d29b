"""The GUI starts without TensorFlow, and remembers its window and dock layout."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from desktop.settings import settings

ROOT = Path(__file__).resolve().parents[2]


def test_tensorflow_not_imported_after_window_is_shown(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from desktop.app import make_app\n"
        "app = make_app()\n"
        "from desktop.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "w.editor.add_node('Dense', 0, 0); w.document.refresh(); app.processEvents()\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'torch', 'pyqtgraph') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
        "w.document.mark_saved()\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERBENCH_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout


def test_main_window_shown_in_process_has_no_tensorflow(window: MainWindow, tf_guard: Callable[[], None]) -> None:
    assert window.isVisible()
    tf_guard()


def test_dock_layout_and_geometry_are_remembered(qtbot) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.resize(701, 501)  # within the offscreen screen (restoreGeometry clamps to it)
    first.docks["log"].hide()
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.docks["inspector"])
    assert first.close()
    assert settings().value("window/state") is not None

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert second.docks["log"].isHidden()
    assert second.dockWidgetArea(second.docks["inspector"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert (second.width(), second.height()) == (701, 501)


def test_main_opens_a_project_and_training_docks_load_no_tensorflow(tmp_path: Path) -> None:
    from core.catalog.templates import load_template
    from core.project import Project

    path = tmp_path / "lenet.layerbench"
    Project(graphs={"main": load_template("lenet_cnn")}, name="lenet").save(path)
    code = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from desktop.app import main, make_app\n"
        "make_app()\n"
        "def check():\n"
        "    w = next(x for x in QApplication.topLevelWidgets() if type(x).__name__ == 'MainWindow')\n"
        "    print('DOCKS', sorted(w.docks), flush=True)\n"
        "    from desktop.panels.training_install import training_docks\n"
        "    training_docks(w)\n"
        "    print('DOC', w.document.title, len(w.document.graph), 'TF', 'tensorflow' in sys.modules, flush=True)\n"
        "    w.close()\n"
        "    QApplication.quit()\n"
        "QTimer.singleShot(0, check)\n"
        f"sys.exit(main([{str(path)!r}]))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERBENCH_DATA_DIR": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "DOC lenet 9 TF False" in out.stdout
    assert "'training'" in out.stdout
