"""Faults injected into runs started from the real main window (Start clicked on the training panel), with a saved
project open and unsaved edits made in the inspector: the worker killed (SIGKILL), crashed (SIGSEGV sent from
outside, and a real segfault inside it), aborted from inside (``os.abort()``), frozen and ended by a short watchdog
(SIGSTOP; the window's engine's ``watchdog`` set to 3 s for that one run, the product's 10 min otherwise),
diverging to NaN (a huge learning rate), a model too large to allocate (a 4 TB kernel) and a malformed CSV file.

In each case the window reports the fault in words (status bar, log dock and the panel's phase line), the document
is still modified, its undo stack still undoes the edit made during the failing run, the edits are still in the
graph, the project file on disk is byte-identical to the saved one, the failed run is in the runs list as failed,
and the next Start (with the fault-free settings back) finishes. One window serves every scenario in turn (as one
user's session would); its tally is printed and asserted: "window faults: N faults injected, N survived, 0 edits
lost". The same faults through the engine alone: test_faults.py and test_faults_inputs.py.
"""

from __future__ import annotations

import copy
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QMessageBox

from core.project.project import Project
from core.training.engine import WATCHDOG as PRODUCT_WATCHDOG
from tests.core.test_training import mlp
from tests.hardening.worker_faults import abort_at_batch, segfault_at_batch

QStandardPaths.setTestModeEnabled(True)

pytestmark = [pytest.mark.tf, pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.qt_log_ignore("propagateSizeHints"),
              pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]
TIMEOUT = 180_000
XOR = {"source": "toy.xor", "options": {"samples": 200}}
FAULT_FREE = {"epochs": 1, "batch_size": 50, "loss": "mse"}
"""The project's saved settings: one epoch of four batches, a regression head (so a huge learning rate diverges)."""
LONG = {"epochs": 500}
"""A run still going when a fault comes from outside at its first batch."""
WATCHDOG = 3.0
COUNTS = {"injected": 0, "survived": 0, "edits lost": 0}


@dataclass
class Fault:
    words: tuple[str, ...]
    """Each appears in the window's message (status bar, log, panel)."""
    kind: str
    """The ``Failed.kind`` of the run."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Training settings of the faulty run (dotted paths), set through the panel's form."""
    kill: int | None = None
    """A signal the parent sends to the worker at its first batch."""
    callbacks: tuple[Callable[[], Any], ...] = ()
    """Keras callback factories run inside the worker (``Job.callbacks``)."""
    watchdog: float | None = None
    """The window's engine's watchdog for the faulty run."""
    csv: str = ""
    """A malformed CSV file the faulty run reads."""
    units: int = 0
    """Units of both hidden layers for the faulty run, set in the inspector (and set back to 8 after)."""


FAULTS = {
    "sigkill": Fault(("SIGKILL",), "crashed", LONG, kill=signal.SIGKILL),
    "sigsegv sent": Fault(("SIGSEGV",), "crashed", LONG, kill=signal.SIGSEGV),
    "segfault inside": Fault(("SIGSEGV",), "crashed", LONG, callbacks=(segfault_at_batch(2),)),
    "abort inside": Fault(("SIGABRT", "aborted"), "crashed", LONG, callbacks=(abort_at_batch(2),)),
    "hung": Fault(("hung", "watchdog", "no message from the training process"), "hung", LONG,
                  kill=signal.SIGSTOP, watchdog=WATCHDOG),
    "diverged": Fault(("NaN",), "diverged", {"epochs": 50, "optimizer.name": "sgd",
                                            "optimizer.learning_rate": 1e5}),
    "out of memory": Fault(("out of memory", "OOM", "dense_2"), "graph", units=1_000_000),  # a 10^6 x 10^6 kernel: 4 TB
    "malformed csv": Fault(("not_a_number.csv line 3", "'oops' is not a number"), "data",
                           csv="a,b,y\n1,2,0\n3,oops,1\n5,6,0\n"),
}


class Session:
    """The shared window, its docks, the saved project file and what the graph must hold."""

    def __init__(self, window: Any, docks: Any, path: Path, saved: bytes, folder: Path) -> None:
        self.window, self.docks, self.path, self.saved, self.folder = window, docks, path, saved, folder
        self.fault_free = copy.deepcopy(docks.panel.form.raw_values())
        self.expected: dict[str, Any] = {}

    @property
    def graph(self) -> Any:
        return self.window.document.graph

    def node(self, name: str) -> Any:
        return next(n for n in self.graph.nodes if n.name == name)


@pytest.fixture(scope="module")
def session(qapp: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """A main window on a saved project, with one unsaved edit made in the inspector; on teardown the tally."""
    from desktop.main_window import MainWindow
    from desktop.panels.training_docks import install_training_docks

    preloaded = "tensorflow" in sys.modules
    folder = tmp_path_factory.mktemp("window_faults")
    for key in COUNTS:
        COUNTS[key] = 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAYERBENCH_DATA_DIR", str(folder / "data"))
        mp.setenv("LAYERBENCH_SETTINGS", str(folder / "settings.ini"))
        for name in ("question", "warning", "information", "critical"):  # no dialog blocks the session
            mp.setattr(QMessageBox, name, lambda *a, **k: QMessageBox.StandardButton.Ok)
        path = folder / "faults.layerbench"
        graph = mlp(2, [8, 8], 1, activation="tanh", out="linear")  # dense_1, dense_2, dense_3
        Project(graphs={"main": graph}, data=XOR, training=FAULT_FREE, name="faults").save(path)
        window = MainWindow()
        assert window.projects.load_path(path)
        docks = install_training_docks(window)
        window.resize(1500, 950)
        window.show()
        s = Session(window, docks, path, path.read_bytes(), folder)
        assert not window.document.is_modified()
        select(s, "dense_1")
        activation: Any = window.inspector.editors["activation"]
        activation.combo.setCurrentText("relu")  # the unsaved edit, as picked in the inspector
        assert s.node("dense_1").params["activation"] == "relu"
        assert window.document.is_modified()
        s.expected = s.graph.to_dict()
        try:
            yield s
        finally:
            docks.close()
            window.document.mark_saved()
            window.projects.timer.stop()
            window.close()
            window.deleteLater()
    line = f"{COUNTS['injected']} faults injected, {COUNTS['survived']} survived, {COUNTS['edits lost']} edits lost"
    print(f"\nwindow faults: {line}")
    assert COUNTS["injected"] == COUNTS["survived"], line
    assert COUNTS["edits lost"] == 0, line
    assert preloaded or "tensorflow" not in sys.modules, "the GUI process imported TensorFlow"


def select(s: Session, name: str) -> None:
    node = s.node(name)
    s.window.scene.select_nodes([node.id])
    assert s.window.inspector.node_id == node.id


def type_units(s: Session, qtbot: Any, name: str, units: int) -> None:
    """Type a number of units into the inspector's spin box, as a user would."""
    select(s, name)
    box = s.window.inspector.editors["units"].box
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, str(units))
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert s.node(name).params["units"] == units


def toggle_bias(s: Session, qtbot: Any) -> bool:
    """The edit made while the faulty run goes on: the output layer's use_bias ticked off or on in the inspector."""
    select(s, "dense_3")
    box = s.window.inspector.editors["use_bias"].box
    before = box.isChecked()
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert s.node("dense_3").params["use_bias"] is (not before)
    return not before


def configure(s: Session, settings: dict[str, Any]) -> None:
    values = copy.deepcopy(s.fault_free)
    for dotted, value in settings.items():
        target = values
        *parents, leaf = dotted.split(".")
        for p in parents:
            target = target[p]
        target[leaf] = value
    s.docks.panel.form.set_values(values)
    assert not s.docks.panel.form.error(), s.docks.panel.form.error()


def at_first_batch(run: Any, action: Callable[[], None]) -> None:
    """``action()`` once, at the run's first batch (from the run's reader thread) or now if it is already past it."""
    lock, fired = threading.Lock(), list[bool]()

    def once(_msg: object = None) -> None:
        with lock:
            if fired:
                return
            fired.append(True)
        action()

    run.batch_ended.connect(once)
    if len(run.history.batch):
        once()


def ended(s: Session, runs: int) -> bool:
    """The run has ended, is kept in the runs list (``runs`` entries) and Start can be pressed again."""
    d = s.docks
    return (d.session.run is not None and d.session.run.done and not d.session.running
            and d.session.progress.phase in ("finished", "stopped", "failed") and len(d.runs.items()) == runs
            and d.panel.start_button.isEnabled())


def click_start(s: Session, qtbot: Any) -> Any:
    qtbot.mouseClick(s.docks.panel.start_button, Qt.MouseButton.LeftButton)
    assert s.docks.session.running
    return s.docks.session.run


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_in_a_run_started_from_the_window(session: Session, qtbot: Any, name: str) -> None:
    s, fault, docks, doc = session, FAULTS[name], session.docks, session.window.document
    COUNTS["injected"] += 1
    runs_before = len(docks.runs.items())

    # the faulty settings, through the panel and the inspector
    configure(s, fault.settings)
    if fault.csv:
        csv = s.folder / "not_a_number.csv"
        csv.write_text(fault.csv, encoding="utf-8")
        docks.panel.data.set_recipe({"source": "file.csv", "options": {"path": str(csv), "label": "y"}})
    if fault.units:
        type_units(s, qtbot, "dense_1", fault.units)
        type_units(s, qtbot, "dense_2", fault.units)
    engine = docks.session.ensure_engine()  # the engine the window made (with the product's watchdog)
    assert engine.watchdog == PRODUCT_WATCHDOG
    default_watchdog, default_start = engine.watchdog, engine.start
    if fault.watchdog is not None:
        engine.watchdog = fault.watchdog  # the engine's public setting: the watchdog of the runs started from now
    if fault.callbacks:
        engine.start = lambda *a, **k: default_start(*a, callbacks=fault.callbacks, **k)
    began = time.perf_counter()
    try:
        run = click_start(s, qtbot)
    finally:
        engine.watchdog = default_watchdog
        if fault.callbacks:
            del engine.start  # the class's method again

    # an edit while the run goes on (before any fault from outside: the signal is sent after it)
    before_edit = s.graph.to_dict()
    bias = toggle_bias(s, qtbot)
    s.expected = s.graph.to_dict()
    during = not run.done
    if fault.kill is not None:
        sig = fault.kill
        at_first_batch(run, lambda: os.kill(run.worker.process.pid, sig))
    qtbot.waitUntil(lambda: ended(s, runs_before + 1), timeout=TIMEOUT)
    failed_after = time.perf_counter() - began

    # reported in words, naming the fault
    result = run.result
    assert result.kind == fault.kind, result
    status = s.window.statusBar().currentMessage()
    log = s.window.log.toPlainText()
    phase = docks.panel.phase.text()
    print(f"\n{name}: status bar: {status[:300]}")
    assert status.startswith("Training failed"), status
    assert phase.startswith("Failed: "), phase
    for word in fault.words:
        assert word in status and word in log and word in phase, (word, status)
    assert "Traceback" not in status
    if fault.kind == "diverged":
        assert result.node in {n.name for n in s.graph.nodes} and result.node in status

    # the edits are intact: the document is modified, the last edit undoes and redoes, the project file is untouched
    intact = s.graph.to_dict() == s.expected and s.node("dense_1").params["activation"] == "relu"
    undone = doc.stack.can_undo()
    if undone:
        doc.stack.undo()
        undone = s.graph.to_dict() == before_edit and s.node("dense_3").params["use_bias"] is (not bias)
        doc.stack.redo()
    if not (intact and undone and s.graph.to_dict() == s.expected):
        COUNTS["edits lost"] += 1
    assert intact and undone
    assert s.graph.to_dict() == s.expected
    assert doc.is_modified() and not doc.stack.is_clean()
    assert s.path.read_bytes() == s.saved

    # the failed run is kept, as failed
    project = docks.project()
    assert project.runs[-1].status == "failed"
    assert docks.runs.items()[0].text(1).startswith("failed"), docks.runs.items()[0].text(1)
    qtbot.waitUntil(lambda: not run.worker.alive(), timeout=TIMEOUT)  # the failed run's process has ended

    # the fault-free settings back, and the next Start finishes
    if fault.csv:
        docks.panel.data.set_recipe(dict(XOR))
    if fault.units:
        type_units(s, qtbot, "dense_1", 8)
        type_units(s, qtbot, "dense_2", 8)
    configure(s, {})
    s.expected = s.graph.to_dict()
    began = time.perf_counter()
    again = click_start(s, qtbot)
    assert again.watchdog == PRODUCT_WATCHDOG
    qtbot.waitUntil(lambda: ended(s, runs_before + 2), timeout=TIMEOUT)
    print(f"{name}: the faulty run failed after {failed_after:.1f} s (edit made while it ran: {during}), the next "
          f"run finished after {time.perf_counter() - began:.1f} s")
    assert docks.session.progress.phase == "finished", (again.result, docks.panel.phase.text())
    assert project.runs[-1].status == "finished"
    assert docks.runs.items()[0].text(1) == "finished"
    assert s.window.statusBar().currentMessage().startswith("Training finished")
    assert s.graph.to_dict() == s.expected and s.path.read_bytes() == s.saved
    COUNTS["survived"] += 1
