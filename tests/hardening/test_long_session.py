"""Twenty tiny training runs in a row from the real training panel (Start clicked each time): every run finishes,
the GUI process's memory stays flat, no worker process outlives the panel and no temp file is left behind (in a
private ``TMPDIR``). The session is tests/hardening/long_session.py (shared with the benchmark); the measured
growth is printed."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QStandardPaths, Qt

from tests.hardening.long_session import RUNS, long_session

QStandardPaths.setTestModeEnabled(True)

pytestmark = [pytest.mark.tf, pytest.mark.slow, pytest.mark.timeout(900),
              pytest.mark.qt_log_ignore("propagateSizeHints"),
              pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")]
GROWTH_LIMIT_MB = 60.0


def qt_wait(qtbot: Any) -> Callable[[Callable[[], bool], float], bool]:
    def wait(condition: Callable[[], bool], seconds: float) -> bool:
        try:
            qtbot.waitUntil(condition, timeout=int(seconds * 1000))
        except qtbot.TimeoutError:
            return bool(condition())
        return True

    return wait


def test_twenty_runs_in_a_row_leave_nothing_behind(qtbot: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))  # the spawned workers inherit it
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("LAYERBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("LAYERBENCH_DATA_DIR", str(tmp_path / "data"))

    def click_start(docks: Any) -> None:
        qtbot.mouseClick(docks.panel.start_button, Qt.MouseButton.LeftButton)

    m = long_session(tmp, qt_wait(qtbot), click_start, RUNS, on_window=qtbot.addWidget)
    rss = m["rss"]
    growth = rss[-1] - rss[1]
    print(f"\nlong session: {RUNS} runs, {m['failed']} not finished; GUI RSS {rss[0]:.0f} MB before, {rss[1]:.0f} MB "
          f"after run 1, {rss[-1]:.0f} MB after run {RUNS}: growth {growth:+.1f} MB; at most {m['workers_during']} "
          f"worker processes during, {m['workers_after']} after; temp entries left: {m['tmp_left']}; "
          f"seconds per run: median {statistics.median(m['seconds']):.1f}, {min(m['seconds']):.1f}–"
          f"{max(m['seconds']):.1f}, {sum(m['seconds']):.0f} in all")
    assert len(m["seconds"]) == RUNS
    assert m["failed"] == 0
    assert m["workers_after"] == 0
    assert m["tmp_left"] == []
    assert growth < GROWTH_LIMIT_MB
