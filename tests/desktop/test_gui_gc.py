"""Cyclic garbage is collected on the GUI thread only (desktop/gui_gc.py): a thread that allocates (as a run's
reader thread does for every message) never runs a collection, the GUI thread's timer does; the app installs it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from desktop.gui_gc import collect_if_due, collect_on_gui_thread

ROOT = Path(__file__).resolve().parents[2]


class Cycle:
    """A Qt object held only by a reference cycle, as a closed panel's is."""

    def __init__(self) -> None:
        self.me = self
        self.obj = QObject()


def test_an_allocating_thread_never_collects_and_the_gui_timer_does(qapp: Any, qtbot: Any) -> None:
    was = gc.isenabled()
    gc.enable()  # as in a process that did not switch collection off
    timer = collect_on_gui_thread(qapp, interval_ms=10)
    collected_in: list[str] = []
    try:
        assert not gc.isenabled()
        cycle = Cycle()
        weakref.finalize(cycle, lambda: collected_in.append(threading.current_thread().name))
        del cycle

        kept: list[Any] = []

        def allocate() -> None:  # far past the youngest generation's threshold: would collect here if automatic
            kept.append([[i] for i in range(50 * gc.get_threshold()[0])])

        worker = threading.Thread(target=allocate, name="reader")
        worker.start()
        worker.join()
        assert collected_in == []
        qtbot.waitUntil(lambda: bool(collected_in), timeout=10_000)
        assert collected_in == [threading.main_thread().name]
    finally:
        timer.stop()
        timer.deleteLater()
        (gc.enable if was else gc.disable)()


def test_collect_if_due_collects_only_past_a_threshold() -> None:
    was = gc.isenabled()
    gc.disable()
    collected: list[bool] = []
    try:
        gc.collect()
        cycle = Cycle()
        weakref.finalize(cycle, lambda: collected.append(True))
        del cycle
        collect_if_due()  # a handful of allocations since the last collection: not due yet
        assert collected == []
        junk = [[i] for i in range(2 * gc.get_threshold()[0])]
        collect_if_due()
        assert collected == [True]
        del junk
    finally:
        (gc.enable if was else gc.disable)()


def test_the_app_collects_on_its_gui_thread(tmp_path: Path) -> None:
    code = (
        "import gc, sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from desktop.app import main, make_app\n"
        "app = make_app()\n"
        "def check():\n"
        "    timers = [t for t in app.children() if t.objectName() == 'gui_gc']\n"
        "    print('GC', gc.isenabled(), len(timers), timers[0].isActive() if timers else None, flush=True)\n"
        "QTimer.singleShot(0, check)\n"
        "sys.exit(main([]))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERBENCH_DATA_DIR": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "LAYERBENCH_STARTUP_PROBE": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "GC False 1 True" in out.stdout, out.stdout + out.stderr[-2000:]
