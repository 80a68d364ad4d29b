"""A GUI test leaves no Qt object behind for another thread's garbage collection (tests/run_policy.py): the widgets
pytest-qt closed are deleted and their Python wrappers, held only by reference cycles, are collected on the main
thread before the next test starts.

Without that, a closed window's wrappers (its C++ object still alive, waiting for ``deleteLater``) sat in cyclic
garbage until an allocation in *any* thread ran the collector; in an xdist worker that was often execnet's receiver
thread, which then deleted Python-owned QObjects off the GUI thread and crashed the worker between tests. The two
tests that show it run in a pytest of their own (in order, in one process, whatever xdist does with this one).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from tests.run_policy import collect_qt_garbage

ROOT = Path(__file__).resolve().parents[2]
TESTS = """
import threading
import weakref

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

LEFT = {}


class Cyclic(QWidget):
    # held only by a cycle, with a Python-owned timer (no Qt parent) as pyqtgraph's menus and timers are
    def __init__(self):
        super().__init__()
        self.me = self
        self.label = QLabel("left behind", self)
        QVBoxLayout(self).addWidget(self.label)
        self.timer = QTimer()


def test_a_closed_window_in_a_reference_cycle(qtbot):
    w = Cyclic()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.timer.start(10_000)
    LEFT.update(widget=weakref.ref(w), label=weakref.ref(w.label), timer=weakref.ref(w.timer), collected_in=[])
    weakref.finalize(w.timer, lambda: LEFT["collected_in"].append(threading.current_thread().name))


def test_its_wrappers_are_gone_collected_on_the_main_thread():
    assert LEFT["widget"]() is None
    assert LEFT["label"]() is None
    assert LEFT["timer"]() is None
    assert LEFT["collected_in"] == [threading.main_thread().name]
"""


def test_a_closed_widget_is_deleted_and_collected_on_the_main_thread_before_the_next_test(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nqt_api = pyside6\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.run_policy"]\n', encoding="utf-8")
    (tmp_path / "test_left.py").write_text(TESTS, encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                          "-n", "0", "--rootdir", str(tmp_path), str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "2 passed" in out.stdout


def test_collect_qt_garbage_deletes_what_waits_for_delete_later(qapp: Any) -> None:
    parent = QObject()
    child = QObject(parent)  # owned by its parent: only the deferred delete can end it
    destroyed: list[bool] = []
    child.destroyed.connect(lambda: destroyed.append(True))
    child.deleteLater()
    collect_qt_garbage()
    assert destroyed == [True]
    assert parent.children() == []
