"""The status line of a failed run names the layer by its name, once, and never an internal id or a path twice."""

from __future__ import annotations

from typing import Any

from core.graph.model import Graph
from core.training.messages import Failed
from tests.desktop.test_training_panel import chain, open_window


def _shown(qtbot: Any, failure: Failed) -> str:
    g = chain(Graph(), ("Input", {"shape": [2]}), ("Dense", {"units": 3}), ("Dense", {"units": 2}))
    w, docks = open_window(qtbot, g)
    dense = next(n for n in w.document.graph.nodes if n.type == "Dense")
    failure = Failed(failure.error.replace("ID", dense.id), dense.id if failure.node == "ID" else failure.node,
                     kind=failure.kind)
    docks._ended(None, failure)
    text = w.statusBar().currentMessage()
    docks.close()
    w.document.mark_saved()
    w.projects.timer.stop()
    return text


def test_a_layer_is_named_by_its_name_not_its_id(qtbot: Any) -> None:
    text = _shown(qtbot, Failed("loss became NaN", "ID", kind="diverged"))
    assert text == "Training failed (dense_1): loss became NaN"


def test_a_message_that_names_the_layer_is_not_prefixed_again(qtbot: Any) -> None:
    text = _shown(qtbot, Failed("dense_1 (Dense) could not be built: out of memory", "ID", kind="graph"))
    assert text == "Training failed: dense_1 (Dense) could not be built: out of memory"


def test_a_data_place_is_not_repeated(qtbot: Any) -> None:
    text = _shown(qtbot, Failed("/tmp/x.csv line 3, column 'b': 'oops' is not a number", "/tmp/x.csv:3:b",
                                kind="data"))
    assert text == "Training failed: /tmp/x.csv line 3, column 'b': 'oops' is not a number"
