"""Live dashboard costs: one plot refresh with 1,000,000 points per curve, and how long the GUI thread stalls
while a run trains at full speed.

Refresh: the metrics view (loss and accuracy, each a 1,000,000-point per-batch curve plus per-epoch curves)
gets one more point per curve, ``setData`` on its existing curves and a synchronous paint; target < 20 ms
(median). Baseline, measured in the same run: one bare pyqtgraph curve of 1,000,000 points with its own peak
downsampling and clip-to-view (the FACTS.md setting), updated and painted the same way.
Stall: the main window with the dashboard showing the loss tab trains a small MLP (batch 8, a message every
batch, gradient norms every 10 steps) in the worker process; a 60 Hz timer records its ticks for
``STALL_SECONDS``; the rows are the p99 and the maximum gap between ticks (target p99 < 50 ms; 16.7 ms is
an undisturbed tick), the batches per second the window received, the GUI thread's own CPU time per second
(what the window spends, whatever else runs) and the load average (other processes competing for the cores).
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from typing import Any

import numpy as np

from tests.benchmarks.common import Row, median, timings

POINTS = 1_000_000
EPOCH_POINTS = 1000
STALL_SECONDS = 12.0
TICK_MS = 16


def _app() -> Any:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # the window saves its layout when closed: keep that out of the user's settings
    os.environ.setdefault("LAYERBENCH_SETTINGS", os.path.join(tempfile.mkdtemp(prefix="layerbench-bench-"), "s.ini"))
    from desktop.app import make_app

    return make_app()


def _arrays(points: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    steps = np.arange(1, points + 1, dtype="float64")
    epochs = np.arange(1, EPOCH_POINTS + 1, dtype="float64")
    return {"batch/x": steps, "batch/loss": 1 / np.sqrt(steps) + 0.05 * rng.random(points),
            "batch/accuracy": 1 - 1 / np.sqrt(steps), "epoch/x": epochs, "epoch/loss": 1 / np.sqrt(epochs),
            "epoch/val_loss": 1.1 / np.sqrt(epochs), "epoch/accuracy": 1 - 1 / np.sqrt(epochs)}


def _refresh_times(view: Any, run: Any, widget: Any) -> list[float]:
    from desktop.plots.base import paint_now

    """Seconds per refresh: one more point per curve, ``setData`` on the curves, a synchronous paint."""
    grow = {"n": POINTS - 50}

    def refresh() -> None:
        grow["n"] += 1
        n = grow["n"]
        run.arrays = {k: (v[:n] if k.startswith("batch/") else v) for k, v in run.full.items()}
        view.show_runs([run])
        paint_now(widget)

    return timings(refresh, repeats=15)


def _pyqtgraph_alone() -> list[float]:
    """Baseline: one pyqtgraph curve of the same length with its own peak downsampling and clip-to-view."""
    import pyqtgraph as pg

    from desktop.plots.base import paint_now

    widget = pg.PlotWidget()
    widget.resize(500, 360)
    widget.show()
    curve = widget.plot()
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    arrays = _arrays(POINTS)
    grow = {"n": POINTS - 50}

    def refresh() -> None:
        grow["n"] += 1
        curve.setData(arrays["batch/x"][: grow["n"]], arrays["batch/loss"][: grow["n"]])
        paint_now(widget)

    out = timings(refresh, repeats=15)
    widget.close()
    return out


def refresh_rows() -> list[Row]:
    app = _app()
    from desktop.plots.metrics import MetricsView, RunCurves

    baseline = median(_pyqtgraph_alone())
    rows = []
    for figure, arrays in (("one plot (loss)", {k: v for k, v in _arrays(POINTS).items() if "accuracy" not in k}),
                           ("the loss and accuracy plots together", _arrays(POINTS))):
        view = MetricsView()
        view.resize(1500, 420)
        view.show()
        run = RunCurves("live", "current run", arrays, batches=POINTS // EPOCH_POINTS)
        run.full = arrays  # type: ignore[attr-defined]
        view.show_runs([run])
        app.processEvents()
        ours = _refresh_times(view, run, view.plots["loss"] if "accuracy" not in arrays else view)
        view.close()
        rows.append(Row(f"refresh of {figure}: 1,000,000 points per curve, setData + paint", "< 20 ms",
                        median(ours), baseline=baseline, limit=0.020 if "one" in figure else None,
                        repeats=len(ours)))
    return rows


def _mlp() -> Any:
    from core.graph.model import Edge, Graph

    g = Graph()
    specs = [("Input", {"shape": [2]}), ("Dense", {"units": 16, "activation": "relu"}),
             ("Dense", {"units": 16, "activation": "relu"}), ("Dense", {"units": 2, "activation": "softmax"})]
    nodes = [g.add_node(g.make_node(t, p, 240 * i, 0)) for i, (t, p) in enumerate(specs)]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


def _pump(app: Any, until: Any, timeout: float) -> None:
    end = time.perf_counter() + timeout
    while not until() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def _tick_gaps(seconds: float) -> np.ndarray:
    """Gaps between the ticks of a 60 Hz precise timer over ``seconds`` of the event loop."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    loop = QEventLoop()
    timer.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    return np.diff(np.asarray(ticks))


def stall_rows() -> list[Row]:
    app = _app()
    from desktop.document import Document
    from desktop.main_window import MainWindow
    from desktop.panels.training_docks import install_training_docks

    window = MainWindow(Document(_mlp()))
    docks = install_training_docks(window)
    window.resize(1500, 950)
    window.show()
    docks.docks["dashboard"].raise_()
    docks.panel.data.set_recipe({"source": "toy.circle", "options": {"samples": 4000}})
    values = docks.panel.form.raw_values()
    values.update(epochs=10_000, batch_size=8)
    values["monitors"].update(gradient_norms=True, gradient_every=10)
    docks.panel.form.set_values(values)
    try:
        idle = _tick_gaps(STALL_SECONDS / 2)
        docks.start()
        _pump(app, lambda: docks.session.progress.step > 50, 180.0)
        steps0, cpu0 = docks.session.progress.step, time.thread_time()
        gaps = _tick_gaps(STALL_SECONDS)
        rate = (docks.session.progress.step - steps0) / STALL_SECONDS
        cpu, load = (time.thread_time() - cpu0) / STALL_SECONDS, os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
        docks.session.stop()
        _pump(app, lambda: not docks.session.running, 60.0)
    finally:
        docks.close()
        window.document.mark_saved()
        window.close()
    p99, worst = float(np.percentile(gaps, 99)), float(gaps.max())
    return [Row("GUI thread: p99 gap between 60 Hz ticks while training (baseline: same window, no run)",
                "< 50 ms", p99, baseline=float(np.percentile(idle, 99)), limit=0.050, repeats=len(gaps)),
            Row("GUI thread: longest gap between 60 Hz ticks while training", "informational", worst,
                repeats=len(gaps)),
            Row(f"batches received per second ({rate:.0f}/s); seconds per batch", "informational",
                1.0 / rate if rate else float("nan")),
            Row("GUI thread CPU time per second while training (what the window itself spends)", "informational",
                cpu, unit="s/s"),
            Row("load average (1 min) after the window: other processes competing for the 2 cores", "informational",
                load, unit="")]


def run() -> list[Row]:
    return refresh_rows() + stall_rows()


if __name__ == "__main__":
    for row in run():
        print(f"{row.figure}: {row.show(row.median)} (target {row.target}, baseline {row.show(row.baseline)}) "
              f"ok={row.ok}")
