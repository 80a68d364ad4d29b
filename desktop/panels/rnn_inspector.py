"""The RNN inspector: trace one sample of the project's data through the open graph's SimpleRNN/LSTM/GRU layer in
the training engine's worker (run kind ``rnn_inspect``: the window never imports TensorFlow) and show the hidden
state over time and the gate activations as heatmaps, and ||dL/dh_t|| per time step on a log axis. *Compare*
traces the same sample through a copy of the graph whose recurrent layer is swapped (SimpleRNN <-> LSTM) and
overlays both gradient curves.

Module level stays light (no NumPy, pyqtgraph): the inspector is built when its dock is first shown.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

RECURRENT = ("SimpleRNN", "LSTM", "GRU", "Bidirectional")
SWAP = {"SimpleRNN": "LSTM", "LSTM": "SimpleRNN", "GRU": "SimpleRNN"}
LOSSES = ("mse", "mae", "binary_crossentropy", "sparse_categorical_crossentropy", "categorical_crossentropy")
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="layerbench-rnn-data")


def has_recurrent(graph: Any) -> bool:
    return any(node.type in RECURRENT for node in graph.nodes)


def cell_type(node: Any) -> str:
    return str(node.params.get("layer")) if node.type == "Bidirectional" else str(node.type)


def swapped(graph: Any, node_name: str) -> tuple[dict[str, Any], str]:
    """A copy of the graph (as a dict) whose recurrent layer ``node_name`` is the other kind; and that kind."""
    from core.catalog.registry import get_spec

    data = graph.to_dict()
    node = next(n for n in data["nodes"] if n["name"] == node_name)
    if node["type"] == "Bidirectional":
        other = SWAP[node["params"]["layer"]]
        node["params"]["layer"] = other
        return data, other
    other = SWAP[node["type"]]
    names = {p.name for p in get_spec(other).params}
    node["type"] = other
    node["params"] = {k: v for k, v in node["params"].items() if k in names}
    return data, other


class _Relay(QObject):
    loaded = Signal(object)


class RnnInspector(QWidget):
    """``graph()`` is the open graph, ``project()`` the project (or None), ``engine()`` the training engine."""

    traced = Signal(str)  # label of the trace shown

    def __init__(self, graph: Callable[[], Any], project: Callable[[], Any], engine: Callable[[], Any],
                 graph_name: Callable[[], str] = lambda: "main") -> None:
        super().__init__()
        self.graph, self.project, self.engine, self.graph_name = graph, project, engine, graph_name
        self.data: Any = None
        self._data_key: Any = None
        self.inspections: list[Any] = []
        self.traces: dict[str, Any] = {}
        self._relay = _Relay()
        self._relay.loaded.connect(self._data_loaded)
        self._pending: list[Callable[[], None]] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._build()

    # ---- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        from desktop.plots.rnn_plots import GradientThroughTime, Heatmap

        self.layer = QComboBox()
        self.layer.setToolTip("The recurrent layer to look inside")
        self.index = QSpinBox()
        self.index.setRange(0, 0)
        self.index.setToolTip("Which sample of the project's training data")
        self.trained = QCheckBox("Trained weights")
        self.trained.setToolTip("Use the weights of the latest run (otherwise freshly initialised weights)")
        self.inspect_button, self.compare_button = QPushButton("Inspect"), QPushButton("Compare with LSTM")
        self.inspect_button.clicked.connect(lambda: self.inspect())
        self.compare_button.clicked.connect(lambda: self.compare())
        self.which = QComboBox()
        self.which.setToolTip("Whose hidden state and gates the heatmaps show")
        self.which.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.which.textActivated.connect(self.show_heatmaps)
        self.status = QLabel("Pick a sample and press Inspect.")
        self.status.setWordWrap(True)
        self.hidden, self.cell = Heatmap("Hidden state hₜ"), Heatmap("Cell state cₜ (LSTM)")
        self.gates = {name: Heatmap(f"{name} gate", signed=name == "candidate") for name in
                      ("input", "forget", "output", "update", "reset", "candidate")}
        self.gradient = GradientThroughTime()
        self._arrange()
        self._show_gates(())

    def _arrange(self) -> None:
        bar = QHBoxLayout()
        widgets: list[QWidget] = [QLabel("Layer"), self.layer, QLabel("Sample"), self.index, self.trained,
                                  self.inspect_button, self.compare_button, QLabel("Heatmaps of"), self.which]
        for widget in widgets:
            bar.addWidget(widget)
        bar.addStretch(1)
        self.gate_grid = QHBoxLayout()  # one row: cell state and the gates of the kind shown
        self.gate_grid.setContentsMargins(0, 0, 0, 0)
        for view in [self.cell, *self.gates.values()]:
            self.gate_grid.addWidget(view)
        self.gate_box = gates = QWidget()
        gates.setLayout(self.gate_grid)
        top = QSplitter()
        top.addWidget(self.hidden)
        top.addWidget(self.gradient)
        top.setSizes([400, 400])
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addLayout(bar)
        box.addWidget(self.status)
        box.addWidget(top, 2)
        box.addWidget(gates, 1)

    def _show_gates(self, names: tuple[str, ...], cell: bool = False) -> None:
        for name, view in self.gates.items():
            view.setVisible(name in names)
        self.cell.setVisible(cell)
        if hasattr(self, "gate_box"):
            self.gate_box.setVisible(bool(names) or cell)

    # ---- the graph and its data ----------------------------------------------------------------
    def refresh_graph(self) -> None:
        """Offer the graph's recurrent layers; label Compare with the kind it swaps to."""
        graph = self.graph()
        current = self.layer.currentText()
        nodes = [n for n in graph.nodes if n.type in RECURRENT]
        names = [n.name for n in nodes]
        if names != [self.layer.itemText(i) for i in range(self.layer.count())]:
            self.layer.clear()
            self.layer.addItems(names)
            if current in names:
                self.layer.setCurrentText(current)
        node = next((n for n in nodes if n.name == self.layer.currentText()), None)
        self.compare_button.setText(f"Compare with {SWAP.get(cell_type(node), 'LSTM')}" if node else "Compare")
        self.inspect_button.setEnabled(bool(nodes))
        self.compare_button.setEnabled(bool(nodes))
        project = self.project()
        has_weights = project is not None and project.latest_run(self.graph_name()) is not None
        self.trained.setEnabled(has_weights)
        if not has_weights:
            self.trained.setChecked(False)

    def _recipe(self) -> dict[str, Any] | None:
        project = self.project()
        recipe = dict(project.data) if project is not None and project.data else None
        if recipe is None:
            return None
        from desktop.panels.data_picker import readable_here

        return recipe if readable_here(str(recipe.get("source", ""))) else None

    def _loss(self) -> str:
        project = self.project()
        loss = str(project.training.get("loss", "mse")) if project is not None else "mse"
        return loss if loss in LOSSES else "mse"

    def _with_data(self, then: Callable[[], None]) -> None:
        """Load the project's data (in a thread, once per recipe and graph input) and call ``then``."""
        recipe = self._recipe()
        key = (repr(recipe), repr(self.graph().to_dict()["nodes"][:1]))
        if recipe is None or key == self._data_key:
            if recipe is None:
                self.data = None
            then()
            return
        self._data_key = key
        self._pending.append(then)
        self.status.setText("Reading the project's data…")
        future = _POOL.submit(load_data, recipe, self.graph().to_dict(), self._loss())
        future.add_done_callback(lambda f: self._relay.loaded.emit(f.result()))

    def _data_loaded(self, data: Any) -> None:
        self.data = None if isinstance(data, str) else data
        if isinstance(data, str):
            self.status.setText(f"{data}; a random sample is used instead.")
        else:
            self.index.setRange(0, max(0, len(data.train) - 1))
        pending, self._pending = self._pending, []
        for call in pending:
            call()

    def sample(self) -> tuple[Any, Any, str]:
        """(sample, target or None, where it came from)."""
        import numpy as np

        if self.data is not None and len(self.data.train):
            i = min(self.index.value(), len(self.data.train) - 1)
            return np.asarray(self.data.train.x[i]), np.asarray(self.data.train.y[i]), f"training sample {i}"
        return random_sample(self.graph()), None, "a random input (the project has no readable data)"

    # ---- inspections ---------------------------------------------------------------------------
    def inspect(self) -> None:
        self.refresh_graph()
        self._with_data(lambda: self._start(self.graph().to_dict(), self._label(), with_weights=True, clear=True))

    def compare(self) -> None:
        """Trace the same sample through the graph with the other recurrent kind; overlay the gradients."""
        self.refresh_graph()
        name = self.layer.currentText()
        if not name:
            return
        data, other = swapped(self.graph(), name)
        self._with_data(lambda: self._start(data, f"{other} (untrained)", with_weights=False, clear=False))

    def _label(self) -> str:
        node = next((n for n in self.graph().nodes if n.name == self.layer.currentText()), None)
        kind = cell_type(node) if node is not None else "RNN"
        return f"{kind} ({'trained' if self.trained.isChecked() else 'untrained'})"

    def _start(self, graph: dict[str, Any], label: str, with_weights: bool, clear: bool) -> None:
        from core.inspect.job import start_rnn_inspection
        from desktop.panels.session import ensure_psygnal_pump

        if clear:
            self.gradient.clear_traces()
            self.traces = {}
            self.which.clear()
        sample, target, where = self.sample()
        weights = self._weights() if with_weights and self.trained.isChecked() else None
        ensure_psygnal_pump()
        run = start_rnn_inspection(self.engine(), graph, sample, None if target is None else target, self._loss(),
                                   self.layer.currentText() or None, weights)
        self.inspections.append(run)
        run.traced.connect(lambda msg: self._show(label, msg.trace), thread="main")
        run.failed.connect(lambda msg: self.status.setText(f"The inspection failed: {msg.error}"), thread="main")
        self.status.setText(f"Tracing {where} through {label} in the worker…")

    def show_heatmaps(self, label: str) -> None:
        """Draw the hidden state (and gates, cell state) of the trace ``label``."""
        trace = self.traces.get(label)
        if trace is None:
            return
        self.which.setCurrentText(label)
        self.hidden.show_values(trace.hidden)
        self.hidden.caption.setText(f"<b>Hidden state hₜ</b> — {trace.layer}, {trace.kind}, "
                                    f"{trace.hidden.shape[0]} steps × {trace.hidden.shape[1]} units")
        for name, values in trace.gates.items():
            self.gates[name].show_values(values)
        if trace.cell is not None:
            self.cell.show_values(trace.cell)
        self._show_gates(tuple(trace.gates), trace.cell is not None)

    def _weights(self) -> str | None:
        project = self.project()
        run = project.latest_run(self.graph_name()) if project is not None else None
        if run is None:
            return None
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="layerbench-rnn-")  # removed with the inspector
        path = Path(self._tmp.name) / f"weights-{run.id}.npz"
        path.write_bytes(project.weights_npz(run.id, self.graph_name()))
        return str(path)

    def _show(self, label: str, trace: Any) -> None:
        self.traces[label] = trace
        self.gradient.show_trace(label, trace.grad_norms)
        if self.which.findText(label) < 0:
            self.which.addItem(label)
        if len(self.traces) == 1:
            self.show_heatmaps(label)
        self.status.setText(f"{label}: loss {trace.loss:.4g}; gradient at the first step is {trace.falloff:.2e} of "
                            f"the last (1 = no decay){'; gates: ' + ', '.join(trace.gates) if trace.gates else ''}")
        self.traced.emit(label)


def load_data(recipe: dict[str, Any], graph: dict[str, Any], loss: str) -> Any:
    """The prepared dataset fitted to the graph (run in a thread), or a message saying why it cannot be read
    (the predict panel's loader; imported here lazily so the window starts without NumPy)."""
    from desktop.panels.predict_io import load_project_data

    return load_project_data(recipe, graph, loss)


def random_sample(graph: Any) -> Any:
    """An input of the graph's input shape: token ids below the Embedding's vocabulary, or uniform values."""
    import numpy as np

    node = next((n for n in graph.nodes if n.type == "Input"), None)
    shape = tuple(int(d) for d in (node.params.get("shape") or [1])) if node is not None else (1,)
    rng = np.random.default_rng(0)
    if node is not None and "int" in str(node.params.get("dtype", "float32")):
        vocab = next((int(n.params.get("input_dim", 100)) for n in graph.nodes if n.type == "Embedding"), 100)
        return rng.integers(1, max(2, vocab), shape)
    return rng.uniform(0.0, 1.0, shape).astype("float32")


class RnnDockBody(QWidget):
    """The dock's body: builds the inspector the first time it is shown."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.main = window
        self.inspector: RnnInspector | None = None
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.get().refresh_graph()

    def get(self) -> RnnInspector:
        if self.inspector is None:
            from desktop.panels.gan import shared_engine

            w = self.main
            self.inspector = RnnInspector(lambda: w.document.graph, lambda: w.document.project,
                                          lambda: shared_engine(w), lambda: w.document.graph_name)
            self.box.addWidget(self.inspector)
        return self.inspector
