"""A long session, shared by the test (tests/hardening/test_long_session.py) and the benchmark
(tests/benchmarks/bench_long_session.py): tiny training runs in a row from the training panel of the main window.

Measures the GUI process's resident memory before the first run and after each, the worker processes alive during
the session and after the panel is closed (children of this process that were not there before), and the entries
left in the temp folder (the caller points ``TMPDIR`` at a private, empty one, so other programs' files do not
count). ``/proc`` stands in for psutil.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RUNS = 20
RUN_TIMEOUT = 180.0
XOR = {"source": "toy.xor", "options": {"samples": 100}}
EPOCHS = 1
"""Per-run work is kept tiny (two batches): the session's time is mostly each run's fresh worker process starting
(importing TensorFlow, 4-6 s a run on this machine when it is quiet), which is what a run costs by design."""

Wait = Callable[[Callable[[], bool], float], bool]
"""``wait(condition, seconds)``: process GUI events until ``condition()`` or the time is up; returns it."""


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


def tiny_mlp() -> Any:
    """Input (2) -> Dense 8 tanh -> Dense 2 softmax: the XOR toy set's model."""
    from core.graph.model import Edge, Graph

    g = Graph()
    specs = [("Input", {"shape": [2]}), ("Dense", {"units": 8, "activation": "tanh"}),
             ("Dense", {"units": 2, "activation": "softmax"})]
    nodes = [g.add_node(g.make_node(t, p, 240 * i, 0)) for i, (t, p) in enumerate(specs)]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


def long_session(tmp: Path, wait: Wait, start: Callable[[Any], None] | None = None, runs: int = RUNS,
                 on_window: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Open a main window on ``tiny_mlp``, start ``runs`` one-epoch runs one after the other from its training
    panel (``start(docks)``, by default ``docks.start()``), close everything and return the measurements."""
    from desktop.document import Document
    from desktop.main_window import MainWindow
    from desktop.panels.training_docks import install_training_docks

    before_tmp, before_children = set(os.listdir(tmp)), set(live_children())
    window = MainWindow(Document(tiny_mlp()))
    if on_window is not None:
        on_window(window)
    docks = install_training_docks(window)
    window.show()
    docks.panel.data.set_recipe(XOR)
    values = docks.panel.form.raw_values()
    values.update(epochs=EPOCHS, batch_size=50)
    docks.panel.form.set_values(values)
    out: dict[str, Any] = {"rss": [rss_mb()], "seconds": [], "failed": 0, "workers_during": 0}
    try:
        for i in range(runs):
            began = time.perf_counter()
            (start or _start)(docks)
            done = wait(lambda n=i + 1: _ended(docks, n), RUN_TIMEOUT)
            out["seconds"].append(time.perf_counter() - began)
            out["failed"] += int(not done or docks.session.progress.phase != "finished")
            out["rss"].append(rss_mb())
            out["workers_during"] = max(out["workers_during"], len(set(live_children()) - before_children))
    finally:
        docks.close()
        window.document.mark_saved()
        window.projects.timer.stop()
        window.close()
        wait(lambda: not set(live_children()) - before_children, 30.0)
    out["workers_after"] = len(set(live_children()) - before_children)
    out["tmp_left"] = sorted(set(os.listdir(tmp)) - before_tmp)
    return out


def _start(docks: Any) -> None:
    docks.start()


def _ended(docks: Any, runs: int) -> bool:
    """Run number ``runs`` has ended, is stored in the project and Start can be pressed again."""
    phase = docks.session.progress.phase
    stored = phase == "failed" or len(docks.runs.items()) >= runs  # a failed run is not stored
    return phase in ("finished", "failed") and stored and not docks.session.running and \
        docks.panel.start_button.isEnabled()
