"""Eight tiny training runs in a row from the real training panel (Start clicked each time): every run finishes,
the GUI process's memory stays flat, no worker process outlives the panel and no temp file is left behind (in a
private ``TMPDIR``). The session is tests/hardening/long_session.py, shared with the benchmark, which runs the full
twenty (``RUNS``); the measured growth is printed.

Eight runs keep the memory check as sharp per run as twenty did: the limit is per run after the first (3 MB, the
old 60 MB over 19), so a leak of a few MB a run still fails. Measured (20 runs, loaded 2-core machine): 160.6 MB
after run 1, 163.0 after run 2, then +0.1 MB a run (164.7 after run 20); 183 s in all, about 6 s a run after the
first, so the 12 runs left out save about 70 s of one xdist worker."""

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

from tests.hardening.long_session import long_session

QStandardPaths.setTestModeEnabled(True)

pytestmark = [pytest.mark.tf, pytest.mark.slow, pytest.mark.timeout(900),
              pytest.mark.qt_log_ignore("propagateSizeHints"),
              pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")]
TEST_RUNS = 8
GROWTH_LIMIT_MB_PER_RUN = 3.0
"""Resident memory the GUI process may gain per run, after the first (which imports and caches for good)."""


def qt_wait(qtbot: Any) -> Callable[[Callable[[], bool], float], bool]:
    def wait(condition: Callable[[], bool], seconds: float) -> bool:
        try:
            qtbot.waitUntil(condition, timeout=int(seconds * 1000))
        except qtbot.TimeoutError:
            return bool(condition())
        return True

    return wait


def test_runs_in_a_row_leave_nothing_behind(qtbot: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))  # the spawned workers inherit it
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("LAYERBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("LAYERBENCH_DATA_DIR", str(tmp_path / "data"))

    def click_start(docks: Any) -> None:
        qtbot.mouseClick(docks.panel.start_button, Qt.MouseButton.LeftButton)

    m = long_session(tmp, qt_wait(qtbot), click_start, TEST_RUNS, on_window=qtbot.addWidget)
    rss = m["rss"]
    growth = rss[-1] - rss[1]
    limit = GROWTH_LIMIT_MB_PER_RUN * (TEST_RUNS - 1)
    print(f"\nlong session: {TEST_RUNS} runs, {m['failed']} not finished; GUI RSS {rss[0]:.0f} MB before, "
          f"{rss[1]:.0f} MB after run 1, {rss[-1]:.0f} MB after run {TEST_RUNS}: growth {growth:+.1f} MB; at most "
          f"{m['workers_during']} worker processes during, {m['workers_after']} after; temp entries left: "
          f"{m['tmp_left']}; "
          f"seconds per run: median {statistics.median(m['seconds']):.1f}, {min(m['seconds']):.1f}–"
          f"{max(m['seconds']):.1f}, {sum(m['seconds']):.0f} in all")
    assert len(m["seconds"]) == TEST_RUNS
    assert m["failed"] == 0
    assert m["workers_after"] == 0
    assert m["tmp_left"] == []
    assert growth < limit, f"{growth:.1f} MB gained over {TEST_RUNS - 1} runs (limit {limit:.0f} MB)"
