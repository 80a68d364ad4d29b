"""The training panel's forms in a window: opening a project shows its data and settings without changing or
marking it, and an edit in either form is one undoable step on the document's stack (no TensorFlow)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from core.graph.model import Edge, Graph
from core.project import Project
from desktop.main_window import MainWindow
from desktop.panels.training_install import training_docks

DATA = {"source": "toy.circle", "options": {"samples": 240, "noise": 0.2, "seed": 3},
        "preprocess": {"scaling": "standard", "labels": "onehot", "validation": 0.1, "test": 0.2, "seed": 7,
                       "shuffle": False, "limit": None}}
TRAINING = {"loss": "categorical_crossentropy", "metrics": ["accuracy", "top_k_categorical_accuracy"],
            "epochs": 4, "device": "cpu", "early_stopping": {"enabled": True, "monitor": "val_accuracy"}}


def mlp() -> Graph:
    g = Graph()
    specs = [("Input", {"shape": [2]}), ("Dense", {"units": 4}), ("Dense", {"units": 2, "activation": "softmax"})]
    nodes = [g.add_node(g.make_node(t, p, 240 * i, 0)) for i, (t, p) in enumerate(specs)]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "circle.layerbench"
    project = Project(graphs={"main": mlp()}, name="circle", data=copy.deepcopy(DATA), training=copy.deepcopy(TRAINING))
    project.save(path)
    return path


@pytest.fixture
def window(qtbot: QtBot, saved: Path) -> Iterator[tuple[MainWindow, Any]]:
    w = MainWindow()
    qtbot.addWidget(w)
    docks = training_docks(w)
    assert w.projects.open(saved)
    docks.tick()  # the docks follow the document on their timer; do not wait for it
    yield w, docks
    docks.close()
    w.document.mark_saved()
    w.projects.timer.stop()


def test_opening_a_project_changes_nothing_and_shows_every_field(window: tuple[MainWindow, Any],
                                                                  saved: Path) -> None:
    w, docks = window
    project = w.document.project
    assert project.data == DATA
    assert not w.document.is_modified()
    assert not w.isWindowModified()
    assert len(w.document.stack) == 0
    picker = docks.panel.data
    assert picker.recipe() == DATA
    assert (picker.labels.currentText(), picker.test.value(), picker.seed.value(), picker.shuffle.isChecked()) == \
        ("onehot", 0.2, 7, False)
    metrics = docks.panel.form.editors["metrics"]
    assert metrics.value() == ["accuracy", "top_k_categorical_accuracy"]
    assert project.training["metrics"] == ["accuracy", "top_k_categorical_accuracy"]
    w.projects.write(saved)
    assert Project.load(saved).data == DATA


def test_a_data_edit_is_one_undoable_step(window: tuple[MainWindow, Any]) -> None:
    w, docks = window
    project, stack = w.document.project, w.document.stack
    picker = docks.panel.data
    picker.seed.setValue(8)
    picker.seed.setValue(9)  # the same field again: merged into one step
    assert project.data["preprocess"]["seed"] == 9
    assert w.document.is_modified()
    assert len(stack) == 1
    assert "data" in stack.undo_text()
    stack.undo()
    assert project.data == DATA
    assert picker.seed.value() == 7
    assert not w.document.is_modified()
    stack.redo()
    assert project.data["preprocess"]["seed"] == 9
    assert picker.recipe()["preprocess"]["seed"] == 9
    picker.labels.setCurrentText("auto")  # another field: a step of its own
    assert len(stack) == 2


def test_a_settings_edit_is_one_undoable_step(window: tuple[MainWindow, Any]) -> None:
    w, docks = window
    project, stack = w.document.project, w.document.stack
    before = copy.deepcopy(project.training)
    lr = docks.panel.form.editors["optimizer.learning_rate"]
    assert isinstance(lr, QLineEdit)
    for text in ("0.0", "0.05", "0.055"):  # typing: the invalid "0.0" is skipped, the rest merge
        lr.setText(text)
    assert project.training["optimizer"]["learning_rate"] == 0.055
    assert len(stack) == 1
    assert w.document.is_modified()
    stack.undo()
    assert project.training == before
    assert lr.text() == repr(before["optimizer"]["learning_rate"])
    assert not w.document.is_modified()
