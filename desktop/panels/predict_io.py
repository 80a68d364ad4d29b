"""What the predict panel reads and shows: a picture file's pixels (any format Qt reads) and the model's answer
as a list of the top classes with probability bars, or the predicted values of a regression."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtGui import QImage, QImageReader
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QProgressBar, QTableWidget, QTableWidgetItem

from core.data.errors import DataError
from core.graph.model import Graph

LIVE = "__live__"
"""The run choice meaning the run in progress."""

BAR_STEPS = 1000


def read_image(path: Path) -> np.ndarray:
    """The picture's pixels as uint8 (h, w, 1) for a grey picture, (h, w, 3) otherwise (alpha dropped)."""
    reader = QImageReader(str(path))
    image = reader.read()
    if image.isNull():
        known = ", ".join(sorted({bytes(f.data()).decode().upper() for f in QImageReader.supportedImageFormats()}))
        reason = reader.errorString() if path.exists() else "the file does not exist"
        raise DataError(f"{path.name} is not a picture that can be read ({reason}); pictures can be {known}, "
                        "tables .csv", str(path))
    grey = image.isGrayscale()
    converted = image.convertToFormat(QImage.Format.Format_Grayscale8 if grey else QImage.Format.Format_RGB888)
    h, w, channels = converted.height(), converted.width(), 1 if grey else 3
    stride = converted.bytesPerLine()
    raw = np.frombuffer(converted.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : w * channels].reshape(h, w, channels).copy()


class OutputTable(QTableWidget):
    """The top classes, each with its probability as a number and a bar; or each predicted value."""

    def __init__(self) -> None:
        super().__init__(0, 3)
        self.setObjectName("predict_output")
        self.setHorizontalHeaderLabels(["class", "probability", ""])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().hide()
        self.setMaximumHeight(170)

    def show_classes(self, probs: np.ndarray, names: list[str], top: int) -> list[int]:
        """The ``top`` most probable classes, best first; returns their indices."""
        order = [int(i) for i in np.argsort(probs)[::-1][:top]]
        self.setHorizontalHeaderLabels(["class", "probability", ""])
        self.setColumnHidden(2, False)
        self.setRowCount(len(order))
        for row, i in enumerate(order):
            p = float(probs[i])
            self.setItem(row, 0, QTableWidgetItem(names[i]))
            self.setItem(row, 1, QTableWidgetItem(f"{p:.4f}"))
            bar = QProgressBar()
            bar.setRange(0, BAR_STEPS)
            bar.setValue(round(min(max(p, 0.0), 1.0) * BAR_STEPS))
            bar.setTextVisible(False)
            self.setCellWidget(row, 2, bar)
        return order

    def show_values(self, values: np.ndarray) -> None:
        """Each output of a regression: ``output i`` and its value."""
        flat = np.asarray(values).reshape(-1)
        self.setHorizontalHeaderLabels(["output", "value", ""])
        self.setColumnHidden(2, True)
        self.setRowCount(len(flat))
        for row, v in enumerate(flat):
            self.removeCellWidget(row, 2)
            self.setItem(row, 0, QTableWidgetItem(f"output {row}"))
            self.setItem(row, 1, QTableWidgetItem(f"{float(v):.5g}"))

    def bar_values(self) -> list[float]:
        """The bars' fractions, top row first (tests read them)."""
        bars = [self.cellWidget(r, 2) for r in range(self.rowCount())]
        return [b.value() / BAR_STEPS for b in bars if isinstance(b, QProgressBar)]


def input_shape(graph: Any) -> tuple[int, ...]:
    """The shape of the graph's Input node (without the batch)."""
    node = next((n for n in graph.nodes if n.type == "Input"), None)
    return tuple(int(v) for v in (node.params.get("shape") or [])) if node is not None else ()


def run_recipe(project: Any, run_id: Any) -> dict[str, Any]:
    """The data recipe a stored run trained on (the project's for the live run or a run without one)."""
    if project is None:
        return {}
    recipe = dict(getattr(project, "data", None) or {})
    if run_id not in (None, LIVE):
        recipe = dict(project.run(run_id).info.get("data") or recipe)
    return recipe


def run_input_shape(project: Any, run_id: Any, graph: Any) -> tuple[int, ...]:
    """A stored run's input shape (its own graph); the document's ``graph`` for the live run."""
    stored = project.run(run_id).info.get("graph") if project is not None and run_id not in (None, LIVE) else None
    return input_shape(Graph.from_dict(stored) if stored else graph)


def csv_options(recipe: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The CSV recipe's options (its feature columns) when the data is a CSV table, and the delimiter."""
    if recipe.get("source") != "file.csv":
        return None, ","
    options = dict(recipe.get("options") or {})
    return options, str(options.get("delimiter") or ",")


def load_project_data(recipe: dict[str, Any], graph: dict[str, Any], loss: str) -> Any:
    """The project's data fitted to the graph (run in a thread), or a sentence saying why it cannot be read."""
    from core.data.check import fit_to_graph
    from core.data.load import load_dataset
    from core.graph.model import Graph

    try:
        return fit_to_graph(load_dataset(recipe), Graph.from_dict(graph), loss)
    except DataError as exc:
        return f"cannot read the data: {exc.message}"
    except (OSError, ValueError) as exc:
        return f"cannot read the data: {exc}"
