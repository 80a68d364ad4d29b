"""A long session: twenty tiny training runs in a row from the training panel of the main window.

Measures the GUI process's resident memory after the first run and after the last (the growth is what twenty
runs leave behind), the worker processes still alive after the panel is closed (none may be), and the entries
left in the temp folder (a private one, so other programs' files do not count). The session itself is
tests/hardening/long_session.py, shared with the test tests/hardening/test_long_session.py.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.common import Row
from tests.hardening.long_session import RUNS, long_session


def _private_tmp() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="layerbench-long-session-"))
    os.environ["TMPDIR"] = str(folder)  # the spawned workers inherit it
    tempfile.tempdir = str(folder)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    settings = Path(tempfile.mkdtemp(prefix="settings-", dir=folder))
    os.environ.setdefault("LAYERBENCH_SETTINGS", str(settings / "s.ini"))  # keep the user's settings out
    return folder


def _pump(app: Any, until: Any, timeout: float) -> bool:
    end = time.perf_counter() + timeout
    while not until() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)
    return bool(until())


def session(runs: int = RUNS) -> dict[str, Any]:
    """Run ``runs`` trainings from the panel; returns the measurements."""
    tmp = _private_tmp()
    from desktop.app import make_app

    app = make_app()
    try:
        return long_session(tmp, lambda until, seconds: _pump(app, until, seconds), runs=runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run() -> list[Row]:
    saved = os.environ.get("TMPDIR"), os.environ.get("LAYERBENCH_SETTINGS"), tempfile.tempdir
    try:
        m = session()
    finally:  # the benchmarks after this one (same process) get the usual temp folder and settings back
        for key, value in zip(("TMPDIR", "LAYERBENCH_SETTINGS"), saved[:2]):
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        tempfile.tempdir = saved[2]
    rss = m["rss"]
    growth = rss[-1] - rss[1]
    return [
        Row(f"GUI process RSS growth from run 1 to run {RUNS} ({rss[0]:.0f} MB before, {rss[1]:.0f} MB after run 1, "
            f"{rss[-1]:.0f} MB after run {RUNS})", "< 50 MB", growth, limit=50.0, unit="MB"),
        Row(f"seconds per tiny run from the panel ({RUNS} runs, {m['failed']} not finished)", "informational",
            statistics.median(m["seconds"]), repeats=len(m["seconds"])),
        Row(f"worker processes alive after closing the panel (at most {m['workers_during']} during the session)",
            "0", float(m["workers_after"]), limit=0.0, unit="processes"),
        Row(f"temp folder entries left after the session {m['tmp_left'][:3]}", "0", float(len(m["tmp_left"])),
            limit=0.0, unit="entries"),
        Row("runs that did not finish", "0", float(m["failed"]), limit=0.0, unit="runs"),
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row.figure}: {row.show(row.median)} (target {row.target}) ok={row.ok}")
