"""Topics added for autoencoders, gradient-health fixes, regularizers and GAN terms, and the forms and the
health banner showing their topic in the Learn dock through ``learn_relay``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDockWidget
from pytestqt.qtbot import QtBot

from core.graph.model import Graph
from desktop.main_window import MainWindow
from desktop.panels.learn import LearnPanel, diagram_for, install_learn_dock
from desktop.panels.learn_diagrams import (
    BottleneckDiagram,
    ClippingDiagram,
    LearningRateDiagram,
    ResidualDiagram,
)
from desktop.panels.learn_relay import request_topic
from desktop.panels.learn_topics import FIX_TOPICS, all_topics, topics_for_node
from desktop.panels.rl_form import AgentForm
from desktop.panels.training_docks import TrainingDocks, install_training_docks
from desktop.plots.gan_form import GanForm
from tests.desktop.test_training_panel import chain

NEW = {"unsupervised": None, "autoencoder": BottleneckDiagram, "gradients:vanishing": None,
       "gradients:exploding": None, "he_initialization": None, "batch_normalization": None,
       "residual": ResidualDiagram, "gradient_clipping": ClippingDiagram, "learning_rate": LearningRateDiagram,
       "regularizer:activity": None, "optimizer:nadam": None, "gan:latent": None, "gan:d_steps": None,
       "gan:label_smoothing": None}


def test_new_topics_have_text_and_their_diagrams(qtbot: QtBot) -> None:
    topics = all_topics()
    for key, diagram in NEW.items():
        topic = topics[key]
        assert len(topic.text) > 120, key
        widget = diagram_for(topic)
        assert (widget is None) == (diagram is None), key
        if widget is not None:
            assert isinstance(widget, diagram)
            qtbot.addWidget(widget)
            widget.resize(widget.sizeHint())
            assert not widget.grab().toImage().isNull()
    assert set(FIX_TOPICS.values()) <= set(topics)
    panel = LearnPanel()
    qtbot.addWidget(panel)
    panel.show_topic("autoencoder")
    assert "bottleneck" in panel.text.toPlainText()
    assert panel.findChild(BottleneckDiagram) is not None


def test_diagrams_say_what_their_topic_says(qtbot: QtBot) -> None:
    assert [abs(w) for w in LearningRateDiagram.path(0.1, 3)] == pytest.approx([1.0, 0.8, 0.64, 0.512])
    too_large = [abs(w) for w in LearningRateDiagram.path(1.05, 4)]
    assert too_large == sorted(too_large) and too_large[-1] > 1.4  # each step overshoots further: diverges
    clipping = ClippingDiagram()
    assert max(y for _, y in clipping.points()) == ClippingDiagram.LIMIT
    assert clipping.points(clipped=False)[-1] == (3.0, 3.0)
    bottleneck = BottleneckDiagram()
    bottleneck.resize(300, 150)
    heights = [bar.height() for bar in bottleneck.bars()]
    assert heights.index(min(heights)) == 2 and heights[0] == heights[-1] == max(heights)


def test_every_regularizer_brings_its_topics() -> None:
    l1, l2 = {"l1": 0.01, "l2": 0.0}, {"l1": 0.0, "l2": 0.01}
    assert "regularizer:l1" in topics_for_node("Dense", {"bias_regularizer": l1})
    assert topics_for_node("Dense", {"activity_regularizer": l2}) == ["regularizer:activity", "regularizer:l2"]
    assert topics_for_node("LSTM", {"recurrent_regularizer": l1}) == ["recurrent", "regularizer:l1"]
    assert topics_for_node("Dense", {"kernel_regularizer": {"l1": 0.0, "l2": 0.0}}) == []
    assert "batch_normalization" in topics_for_node("BatchNormalization", {})
    assert "residual" in topics_for_node("Add", {})


def deep_sigmoid() -> Graph:
    hidden = [("Dense", {"units": 8, "activation": "sigmoid"})] * 3
    return chain(Graph(), ("Input", {"shape": [2]}), *hidden, ("Dense", {"units": 2, "activation": "softmax"}))


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[tuple[MainWindow, TrainingDocks]]:
    from desktop.document import Document

    w = MainWindow(Document(deep_sigmoid()))
    qtbot.addWidget(w)
    docks = install_training_docks(w)
    install_learn_dock(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    yield w, docks
    docks.close()
    w.document.mark_saved()
    w.projects.timer.stop()


def test_choosing_an_optimizer_or_a_loss_in_the_training_form_shows_its_topic(qtbot: QtBot, window: Any) -> None:
    w, docks = window
    docks.docks["training"].raise_()
    form = docks.panel.form
    optimizer = form.findChild(QComboBox, "cfg_optimizer.name")
    loss = form.findChild(QComboBox, "cfg_loss")
    assert optimizer is not None and loss is not None
    optimizer.setCurrentIndex(optimizer.findData("adam"))
    optimizer.setFocus()
    qtbot.waitUntil(lambda: w.learn_panel.shown == ["optimizer:adam"])  # focus explains the current choice
    qtbot.keyClick(optimizer, Qt.Key.Key_Down)  # the user picks the next optimizer
    assert optimizer.currentData() == "adamw"
    assert w.learn_panel.shown == ["optimizer:adamw"]
    assert "Optimizer: AdamW" in w.learn_panel.text.toPlainText()
    # the Learn tab shares the form's tab group here: it is not raised over the form being edited
    assert not docks.docks["training"].visibleRegion().isEmpty()
    loss.setFocus()
    qtbot.waitUntil(lambda: w.learn_panel.shown == [f"loss:{loss.currentData()}"])
    qtbot.keyClick(loss, Qt.Key.Key_Up)
    assert w.learn_panel.shown == [f"loss:{loss.currentData()}"]
    assert w.learn_panel.text.toPlainText().startswith("Loss:")


def test_only_the_asking_window_follows(qtbot: QtBot, window: Any) -> None:
    w, _docks = window
    other = MainWindow()
    qtbot.addWidget(other)
    install_learn_dock(other)
    request_topic("learning_rate", w.inspector)
    assert w.learn_panel.shown == ["learning_rate"]
    assert other.learn_panel.shown != ["learning_rate"]
    other.document.mark_saved()
    other.projects.timer.stop()


def _in_dock(w: MainWindow, widget: Any) -> None:
    dock = QDockWidget("form", w)
    dock.setWidget(widget)
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    dock.show()


def test_rl_and_gan_forms_show_their_terms(qtbot: QtBot, window: Any) -> None:
    w, _docks = window
    agent, gan = AgentForm(), GanForm()
    _in_dock(w, agent)
    _in_dock(w, gan)
    agent.combo.setFocus()
    qtbot.keyClick(agent.combo, Qt.Key.Key_Down)
    assert w.learn_panel.shown == [f"rl:{agent.kind()}"]
    name = agent.editors["optimizer.name"]
    assert isinstance(name, QComboBox)
    name.setCurrentText("RMSprop")
    name.setFocus()
    qtbot.waitUntil(lambda: w.learn_panel.shown == ["optimizer:rmsprop"])
    gan.k.setFocus()
    qtbot.waitUntil(lambda: w.learn_panel.shown == ["gan:d_steps"])
    gan.smoothing.setFocus()
    qtbot.waitUntil(lambda: w.learn_panel.shown == ["gan:label_smoothing"])
    assert w.docks["learn"].isVisible()
    assert not w.docks["learn"].visibleRegion().isEmpty()  # raised by the choice of an agent


def test_health_banner_links_open_the_learn_dock_on_the_fix(qtbot: QtBot, window: Any) -> None:
    w, docks = window
    banner = docks.dashboard.banner
    banner.show_health("vanishing", ["dense_1"], "first layer 1e-9", w.document.graph, {"optimizer": {}})
    text = banner.title.text()
    for key in ("gradients:vanishing", "he_initialization", "batch_normalization", "gradient_clipping",
                "learning_rate"):
        assert f'href="{key}"' in text
    w.docks["learn"].close()
    banner.title.linkActivated.emit("batch_normalization")  # what a click on the link sends
    assert w.learn_panel.shown == ["batch_normalization"]
    assert w.docks["learn"].isVisible()  # reopened: the user asked for it
