"""An example's variants in the app: "Compare variants" trains the base and each variant on copies (the
document untouched), names the runs after the variants and overlays them; Stop ends the queue and keeps the
runs that ended; "Apply" changes the document as one undoable step. Runs train in real worker processes on a
tiny MLP and a few dozen samples."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl

from core.graph.model import Edge, Graph
from core.project.project import Project
from desktop.document import Document
from desktop.main_window import MainWindow
from desktop.panels.learn import install_learn_dock
from desktop.panels.training_docks import TrainingDocks, install_training_docks
from desktop.panels.variant_runs import base_name, run_name

TIMEOUT = 120_000
VARIANTS = [
    {"label": "rmsprop", "config": {"optimizer": {"name": "rmsprop", "learning_rate": 0.01}}},
    {"label": "relu", "layer": "Dense", "all": True, "params": {"activation": "relu"}},
]


def chain(g: Graph, *specs: tuple[str, dict[str, Any]]) -> Graph:
    nodes = [g.add_node(g.make_node(t, p, 240 * i, 0)) for i, (t, p) in enumerate(specs)]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


def example_project(variants: list[dict[str, Any]] = VARIANTS, graph: Graph | None = None) -> Project:
    hidden = ("Dense", {"units": 8, "activation": "tanh"})
    graph = graph or chain(Graph(), ("Input", {"shape": [2]}), hidden, hidden,
                           ("Dense", {"units": 2, "activation": "softmax"}))
    training = {"optimizer": {"name": "sgd", "learning_rate": 0.01}, "epochs": 1, "batch_size": 16,
                "example": {"title": "Tiny", "description": "A tiny example", "variants": variants}}
    return Project(graphs={"main": graph}, name="tiny", training=training,
                   data={"source": "toy.circle", "options": {"samples": 64, "seed": 0}})


def open_project(qtbot: Any, project: Project) -> tuple[MainWindow, TrainingDocks]:
    w = MainWindow(Document(project.main, None, project))
    qtbot.addWidget(w)
    docks = install_training_docks(w)
    w.resize(1500, 950)
    w.show()
    qtbot.waitExposed(w)
    docks.docks["dashboard"].raise_()
    docks.tick()
    return w, docks


@pytest.fixture
def example_window(qtbot: Any) -> Iterator[tuple[MainWindow, TrainingDocks]]:
    w, docks = open_project(qtbot, example_project())
    yield w, docks
    docks.close()
    w.document.mark_saved()
    w.projects.timer.stop()


def tiny(epochs: int = 1) -> Any:
    def prepare(copy_: Project) -> None:
        copy_.training["epochs"] = epochs
        copy_.data["options"] = {**copy_.data.get("options", {}), "samples": 48}
    return prepare


def test_run_names_follow_the_variants() -> None:
    project = example_project()
    assert run_name(VARIANTS[0]) == "optimizer: RMSprop"
    assert run_name(VARIANTS[1]) == "activation: relu"
    assert base_name(project, VARIANTS) == "optimizer: SGD (mini-batch)"
    assert base_name(project, VARIANTS[1:]) == "activation: tanh"
    assert run_name({"label": "GRU", "replace": {"SimpleRNN": "GRU"}, "config": {"epochs": 40}}) == "layer: GRU"
    clip = {"label": "clipnorm 1", "config": {"optimizer": {"clipnorm": 1.0}}}
    assert (base_name(project, [clip]), run_name(clip)) == ("optimizer: no clipnorm", "optimizer: clipnorm 1")


def test_apply_is_one_undoable_step(qtbot: Any, example_window: Any) -> None:
    w, docks = example_window
    install_learn_dock(w)
    learn = w.learn_panel
    learn.show_default()
    assert learn.compare.isVisibleTo(learn)
    assert 'href="variant:apply:1"' in learn.text.toHtml()
    graph, project = w.document.graph, docks.project()
    before = (graph.to_dict(), copy.deepcopy(project.training))

    learn.text.anchorClicked.emit(QUrl("variant:apply:1"))  # the "Apply" link of the relu variant
    assert [n.params["activation"] for n in graph.nodes if n.type == "Dense"] == ["relu", "relu", "softmax"]
    learn.apply_variant(0)
    assert project.training["optimizer"]["name"] == "rmsprop"
    assert docks.panel.form.config().optimizer.name == "rmsprop"
    assert w.document.stack.undo_text() == "Apply variant rmsprop"
    w.actions_by_id["edit.undo"].trigger()
    assert project.training == before[1]
    assert docks.panel.form.config().optimizer.name == "sgd"
    w.actions_by_id["edit.undo"].trigger()
    assert graph.to_dict() == before[0]
    w.actions_by_id["edit.redo"].trigger()
    assert [n.params["activation"] for n in graph.nodes if n.type == "Dense"] == ["relu", "relu", "softmax"]


def test_apply_a_layer_swap_keeps_the_connections_and_undoes(qtbot: Any) -> None:
    graph = chain(Graph(), ("Input", {"shape": [5, 1]}), ("SimpleRNN", {"units": 4}),
                  ("Dense", {"units": 2, "activation": "softmax"}))
    project = example_project([{"label": "LSTM", "replace": {"SimpleRNN": "LSTM"}, "config": {"epochs": 3}}], graph)
    w, docks = open_project(qtbot, project)
    try:
        before = graph.to_dict()
        rnn = graph.nodes[1]
        assert docks.apply_variant(0) is None
        swapped = graph.node(rnn.id)
        assert swapped.type == "LSTM"
        assert swapped.params["units"] == 4
        assert [(e.src, e.dst) for e in graph.edges] == [(e["src"], e["dst"]) for e in before["edges"]]
        assert project.training["epochs"] == 3
        item = w.scene.item_for_node(rnn.id)
        assert item is not None and item.node.type == "LSTM"  # the canvas follows the swap
        w.actions_by_id["edit.undo"].trigger()
        assert graph.to_dict() == before
        assert project.training["epochs"] == 1
    finally:
        docks.close()
        w.document.mark_saved()
        w.projects.timer.stop()


def legend(docks: TrainingDocks) -> list[str]:
    return [label.text for _s, label in docks.dashboard.metrics.plots["loss"].legend.items]


@pytest.mark.tf
@pytest.mark.slow
def test_compare_variants_trains_each_on_a_copy_and_overlays_them(qtbot: Any, example_window: Any,
                                                                  tf_guard: Any) -> None:
    w, docks = example_window
    graph, project = w.document.graph, docks.project()
    before = (graph.to_dict(), copy.deepcopy(project.training), copy.deepcopy(project.data), len(w.document.stack))
    docks.variants.prepare = tiny()
    assert docks.panel.compare_button.isVisible()
    statuses: list[str] = []
    docks.variants.changed.connect(lambda: statuses.append(docks.panel.queue.text()))
    qtbot.mouseClick(docks.panel.compare_button, Qt.MouseButton.LeftButton)
    assert docks.variants.active
    qtbot.waitUntil(lambda: docks.panel.queue.text().startswith("run 1 of 3: optimizer: SGD (mini-batch) — epoch"),
                    timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not docks.variants.active, timeout=3 * TIMEOUT)
    qtbot.waitUntil(lambda: not docks.session.running, timeout=TIMEOUT)
    tf_guard()

    names = [r.label for r in project.runs]
    assert names == ["optimizer: SGD (mini-batch)", "optimizer: RMSprop", "activation: relu"]
    assert [r.status for r in project.runs] == ["finished"] * 3
    assert project.runs[1].info["config"]["optimizer"]["name"] == "rmsprop"
    assert set(docks.runs.ticked()) == {r.id for r in project.runs}
    assert docks.panel.queue.text().startswith("Compared 3 runs")
    # the document: same graph, settings and data, nothing pushed on its undo stack
    assert (graph.to_dict(), project.training, project.data, len(w.document.stack)) == before

    docks.tick()
    entries = legend(docks)
    assert sorted(f"{name}: train" for name in names) == sorted(e for e in entries if e.endswith(": train")), entries
    assert "current run" not in " ".join(entries)  # the last run too is drawn under its name


@pytest.mark.tf
@pytest.mark.slow
def test_stop_ends_the_queue_and_keeps_the_runs_that_ended(qtbot: Any, example_window: Any) -> None:
    _w, docks = example_window
    project = docks.project()

    def prepare(copy_: Project) -> None:  # the base trains one epoch, the first variant until stopped
        tiny(1 if copy_.training["optimizer"]["name"] == "sgd" else 1000)(copy_)

    docks.variants.prepare = prepare
    assert docks.compare_variants() is None
    qtbot.waitUntil(lambda: docks.panel.queue.text().startswith("run 2 of 3: optimizer: RMSprop"), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: docks.session.progress.step > 0, timeout=TIMEOUT)
    qtbot.mouseClick(docks.panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not docks.variants.active, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not docks.session.running, timeout=TIMEOUT)
    assert [(r.label, r.status) for r in project.runs] == [("optimizer: SGD (mini-batch)", "finished"),
                                                           ("optimizer: RMSprop", "stopped")]
    assert docks.panel.queue.text() == "Stopped after 2 of 3 runs; the ones kept are ticked."
    assert docks.panel.start_button.isEnabled()


def test_every_gallery_variant_applies_as_apply_variant_does_and_undoes() -> None:
    from importlib.resources import as_file, files

    from desktop.panels.variant_runs import apply_command, example_variants
    from resources.examples.variants import apply_variant

    checked = 0
    for entry in files("resources.examples").iterdir():
        if not entry.name.endswith(".layerbench"):
            continue
        with as_file(entry) as path:
            project = Project.load(path)
        for variant in example_variants(project):
            graph = project.main
            before = (graph.to_dict(), copy.deepcopy(project.training), copy.deepcopy(project.data))
            expected = apply_variant(Project.load(path), variant)
            command = apply_command(graph, project, variant)
            assert command is not None, (entry.name, variant)
            command.redo()
            assert graph.to_dict() == expected.main.to_dict(), (entry.name, variant)
            assert (project.training, project.data) == (expected.training, expected.data)
            assert run_name(variant) and base_name(project, [variant])
            command.undo()
            assert (graph.to_dict(), project.training, project.data) == before, (entry.name, variant)
            checked += 1
    assert checked >= 15
