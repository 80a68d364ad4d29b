"""How much the dashboard does per refresh while a run grows (no training process: a History filled here).

New data redraws one metric plot per refresh, the longest waiting first; a user's action redraws them all;
each changed plot is painted once, by Qt's event loop (not a second time synchronously); a curve whose data
did not change is not handed to pyqtgraph again; hidden tabs do no work."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject

from core.training.history import History
from desktop.panels.dashboard import Dashboard
from desktop.plots.base import CurveSpec, LivePlot, PaintClock
from desktop.plots.metrics import RunCurves, live_arrays


class Session:
    """What ``Dashboard.refresh`` reads of a training session besides the curves."""

    weights: list[Any] = []
    last_features = None
    confusion = None


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count: dict[str, int] = {}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            name = watched.property("metric")
            self.count[name] = self.count.get(name, 0) + 1
        return False


def settle(qtbot: Any, counter: PaintCounter) -> None:
    """Run the event loop until a few turns in a row paint nothing more."""
    seen = {"total": -1, "quiet": 0}

    def quiet() -> bool:
        total = sum(counter.count.values())
        seen["quiet"] = seen["quiet"] + 1 if total == seen["total"] else 0
        seen["total"] = total
        return seen["quiet"] >= 5

    qtbot.waitUntil(quiet, timeout=15_000)


def grow(history: History, steps: int, batches: int = 50) -> None:
    start = len(history.batch) + 1
    for step in range(start, start + steps):
        history.batch.add(step, {"loss": 1.0 / step, "accuracy": step / (step + 10.0)})
        if step % batches == 0:
            history.epoch.add(step // batches, {"loss": 1.0 / step, "val_loss": 1.1 / step,
                                                "accuracy": 0.5, "val_accuracy": 0.4})


@pytest.fixture
def dashboard(qtbot: Any) -> Dashboard:
    board = Dashboard(lambda _command: None)
    qtbot.addWidget(board)
    board.resize(1200, 420)
    board.show()
    qtbot.waitExposed(board)
    return board


def refresh(board: Dashboard, history: History) -> None:
    board.refresh([RunCurves("live", "current run", live_arrays(history), batches=50)], Session(), force=False)
    board._last = 0.0  # the budget's wait is not what these tests are about


def drawn_lengths(board: Dashboard) -> dict[str, int]:
    return {name: len(plot.data.get("live:batch/" + name, ((), ()))[0]) for name, plot in board.metrics.plots.items()}


def test_new_data_redraws_one_plot_per_refresh_longest_waiting_first(dashboard: Dashboard) -> None:
    history = History()
    grow(history, 120)
    refresh(dashboard, history)  # the first refresh (a new dashboard) draws every plot
    assert drawn_lengths(dashboard) == {"loss": 120, "accuracy": 120}
    grow(history, 7)
    refresh(dashboard, history)
    assert drawn_lengths(dashboard) == {"loss": 127, "accuracy": 120}
    grow(history, 7)
    refresh(dashboard, history)  # accuracy waited longer than loss, which has new data again
    assert drawn_lengths(dashboard) == {"loss": 127, "accuracy": 134}
    refresh(dashboard, history)
    assert drawn_lengths(dashboard) == {"loss": 134, "accuracy": 134}
    refresh(dashboard, history)  # nothing new: nothing waits
    assert not dashboard._waiting
    grow(history, 7)
    dashboard.invalidate()  # a user's action: every plot at once
    refresh(dashboard, history)
    assert drawn_lengths(dashboard) == {"loss": 141, "accuracy": 141}


def test_each_changed_plot_is_painted_once(qtbot: Any, dashboard: Dashboard) -> None:
    history = History()
    grow(history, 400)
    refresh(dashboard, history)
    counter = PaintCounter()
    for name, plot in dashboard.metrics.plots.items():
        plot.widget.viewport().setProperty("metric", name)
        plot.widget.viewport().installEventFilter(counter)
    settle(qtbot, counter)  # the first paints of the new plots
    clock = PaintClock.seconds
    for turn in range(4):
        counter.count.clear()
        grow(history, 3)
        refresh(dashboard, history)
        assert counter.count == {}  # nothing is painted inside the refresh
        settle(qtbot, counter)
        assert counter.count == {("loss", "accuracy")[turn % 2]: 1}  # the plot fed, painted once
    assert PaintClock.seconds > clock  # the paints' time is counted in the dashboard's budget


def test_unchanged_curves_are_not_set_again(qtbot: Any) -> None:
    plot = LivePlot("Loss", "epoch", "loss")
    qtbot.addWidget(plot)
    spec = CurveSpec("validation", "#2f7cf6", 2.0, dashed=True, symbol="o")
    x, y = np.arange(1.0, 6.0), np.linspace(1.0, 0.5, 5)
    plot.set_curve("run:epoch/val_loss", spec, x, y)
    item = plot.curves["run:epoch/val_loss"]
    calls: list[int] = []
    original = item.setData
    item.setData = lambda *a, **k: (calls.append(1), original(*a, **k))  # type: ignore[method-assign]
    plot.set_curve("run:epoch/val_loss", spec, x.copy(), y.copy())  # same values, new arrays (a live view)
    assert calls == []
    y2 = y.copy()
    y2[2] = 7.0  # a changed value inside a short curve is seen
    plot.set_curve("run:epoch/val_loss", spec, x, y2)
    plot.set_curve("run:epoch/val_loss", spec, np.arange(1.0, 7.0), np.append(y2, 0.4))
    assert calls == [1, 1]
    assert list(item.yData) == [*y2, 0.4]


def test_hidden_tabs_are_not_fed(dashboard: Dashboard) -> None:
    history = History()
    grow(history, 100)
    for i in range(1, 101, 10):
        history.gradients.add(i, {"dense_1": 0.1, "dense_2": 0.2})
    refresh(dashboard, history)
    assert dashboard.gradients.curves.curves == {}  # the gradients tab is not shown
    dashboard.tabs.setCurrentWidget(dashboard.gradients)
    refresh(dashboard, history)
    assert set(dashboard.gradients.curves.curves) == {"grad/dense_1", "grad/dense_2"}
    grow(history, 50)
    refresh(dashboard, history)
    assert drawn_lengths(dashboard) == {"loss": 100, "accuracy": 100}  # metrics hidden: not redrawn


def test_epoch_markers_skip_non_finite_values(qtbot: Any) -> None:
    import warnings

    plot = LivePlot("loss", "epoch", "loss")
    qtbot.addWidget(plot)
    spec = CurveSpec("train (epoch)", "#1565c0", 2.0, symbol="o")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pyqtgraph's "invalid value encountered" would fail here
        plot.set_curve("epoch/loss", spec, np.array([1.0, 2.0, 3.0]), np.array([0.5, np.nan, np.inf]))
        plot.grab()
    shown_x, shown_y = plot.curves["epoch/loss"].getData()
    assert list(shown_x) == [1.0] and list(shown_y) == [0.5]
