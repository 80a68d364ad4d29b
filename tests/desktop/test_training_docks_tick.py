"""The training docks' refresh timer does work only when something changed: the canvas halos are placed
again only when a layer's gradient health changed or the graph was edited (no training process: the
session's latest Gradients message is set here)."""

from __future__ import annotations

import itertools
from typing import Any

from core.graph.model import Edge, Graph
from core.training.messages import Gradients
from desktop.document import Document
from desktop.main_window import MainWindow
from desktop.panels.training_docks import install_training_docks


def mlp() -> Graph:
    g = Graph()
    specs = [("Input", {"shape": [2]}), ("Dense", {"units": 4}), ("Dense", {"units": 2})]
    nodes = [g.add_node(g.make_node(t, p, 240 * i, 0)) for i, (t, p) in enumerate(specs)]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


def test_halos_are_placed_again_only_when_health_or_graph_changes(qtbot: Any) -> None:
    window = MainWindow(Document(mlp()))
    qtbot.addWidget(window)
    docks = install_training_docks(window)
    docks.timer.stop()  # ticks are called by hand here
    applied: list[dict[str, str]] = []
    apply = docks.overlay.apply
    docks.overlay.apply = lambda status: (applied.append(dict(status)), apply(status))  # type: ignore[method-assign]
    try:
        def send(step: int, first: float) -> None:
            docks.session.last_gradients = Gradients(step, ["dense_1", "dense_2"], [first, 0.5], 0.6)
            docks.tick()

        send(10, 0.4)
        assert applied == [{"dense_1": "ok", "dense_2": "ok"}]
        assert set(docks.overlay.halos) == {"dense_1", "dense_2"}
        send(20, 0.3)  # new norms, same verdicts: the halos stay as they are
        send(30, 0.35)
        assert len(applied) == 1
        send(40, 1e-9)  # dense_1 vanishes
        assert applied[-1]["dense_1"] == "vanishing" and len(applied) == 2
        assert docks.overlay.halos["dense_1"].status == "vanishing"
        dense_2 = next(n for n in window.document.graph.nodes if n.name == "dense_2")
        window.editor.set_params(dense_2.id, {"units": 3})  # an edit: node items may be new, place them again
        send(50, 1e-9)
        assert len(applied) == 3
        send(60, 1e-9)
        assert len(applied) == 3
    finally:
        docks.close()
        window.document.mark_saved()
        window.projects.timer.stop()
