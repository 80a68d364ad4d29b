"""A long session: twenty tiny training runs in a row from the training panel of the main window.

Measures the GUI process's resident memory after the first run and after the last (the growth is what twenty
runs leave behind), the worker processes still alive after the panel is closed (none may be), and the entries
left in the temp folder (a private one, so other programs' files do not count). ``/proc`` stands in for psutil.
"""

from __future__ import annotations

import itertools
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.common import Row

RUNS = 20
RUN_TIMEOUT = 180.0


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size in MB from ``/proc/PID/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def live_children() -> list[int]:
    """Pids of this process's live children (zombies and multiprocessing's resource tracker, which lives as long
    as this process, excluded), read from ``/proc``."""
    me, out = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            tracker = b"resource_tracker" in (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == me and fields[0] != "Z" and not tracker:
            out.append(int(entry.name))
    return out


def _private_tmp() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="layerbench-long-session-"))
    os.environ["TMPDIR"] = str(folder)  # the spawned workers inherit it
    tempfile.tempdir = str(folder)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    settings = Path(tempfile.mkdtemp(prefix="settings-", dir=folder))
    os.environ.setdefault("LAYERBENCH_SETTINGS", str(settings / "s.ini"))  # keep the user's settings out
    return folder


def _mlp() -> Any:
    from core.graph.model import Edge, Graph

    g = Graph()
    specs = [("Input", {"shape": [2]}), ("Dense", {"units": 8, "activation": "tanh"}),
             ("Dense", {"units": 2, "activation": "softmax"})]
    nodes = [g.add_node(g.make_node(t, p, 240 * i, 0)) for i, (t, p) in enumerate(specs)]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


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
    from desktop.document import Document
    from desktop.main_window import MainWindow
    from desktop.panels.training_docks import install_training_docks

    before_tmp = set(os.listdir(tmp))
    window = MainWindow(Document(_mlp()))
    docks = install_training_docks(window)
    window.show()
    docks.panel.data.set_recipe({"source": "toy.xor", "options": {"samples": 200}})
    values = docks.panel.form.raw_values()
    values.update(epochs=2, batch_size=50)
    docks.panel.form.set_values(values)
    out: dict[str, Any] = {"rss": [rss_mb()], "seconds": [], "failed": 0, "workers_during": 0}
    try:
        for i in range(runs):
            start = time.perf_counter()
            docks.start()
            done = _pump(app, lambda n=i + 1: not docks.session.running and len(docks.runs.items()) >= n,
                         RUN_TIMEOUT)
            out["seconds"].append(time.perf_counter() - start)
            out["failed"] += int(not done or docks.session.progress.phase != "finished")
            out["rss"].append(rss_mb())
            out["workers_during"] = max(out["workers_during"], len(live_children()))
    finally:
        docks.close()
        window.document.mark_saved()
        window.projects.timer.stop()
        window.close()
        _pump(app, lambda: not live_children(), 30.0)
    out["workers_after"] = len(live_children())
    out["tmp_left"] = sorted(set(os.listdir(tmp)) - before_tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    return out


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
