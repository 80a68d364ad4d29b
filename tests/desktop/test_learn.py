"""The Learn dock explains the selected layer and its ideas, draws activation curves and padding."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from core.graph.model import Graph
from desktop.main_window import MainWindow
from desktop.panels.learn import LearnPanel, install_learn_dock
from desktop.panels.learn_diagrams import FUNCTIONS, ActivationPlot, PaddingDiagram, StackDiagram
from desktop.panels.learn_topics import all_topics, topics_for_node


def test_every_activation_choice_has_a_topic_and_a_curve() -> None:
    from core.catalog.registry import get_spec

    choices = get_spec("Dense").param("activation").choices
    topics = all_topics()
    for name in choices:
        assert f"activation:{name}" in topics
        assert name == "softmax" or name in FUNCTIONS


def test_activation_curve_and_its_slope(qtbot: QtBot) -> None:
    relu = ActivationPlot("relu")
    assert relu.points(n=3) == [(-4.0, 0.0), (0.0, 0.0), (4.0, 4.0)]
    slope = dict(ActivationPlot("sigmoid").points(True, n=3))
    assert slope[0.0] == pytest.approx(0.25, abs=1e-6)


def test_padding_diagram_zero_and_mirror_borders(qtbot: QtBot) -> None:
    d = PaddingDiagram()
    assert d.cell(0, 0, mirror=False) == 0
    assert d.cell(1, 1, mirror=False) == 1
    assert d.cell(0, 1, mirror=True) == 5  # reflect: the row below the first, mirrored outwards
    assert d.cell(5, 5, mirror=True) == 11


def test_receptive_field_grows_by_two_per_layer(qtbot: QtBot) -> None:
    assert [hi - lo + 1 for lo, hi in StackDiagram(stride=1, layers=3).covered()] == [1, 3, 5, 7]
    assert [hi - lo + 1 for lo, hi in StackDiagram(stride=2, layers=2).covered()] == [1, 3, 7]


def test_node_topics() -> None:
    keys = topics_for_node("Conv2D", {"activation": "relu", "kernel_regularizer": {"l1": 0.0, "l2": 0.01}})
    assert keys[:1] == ["activation:relu"]
    assert {"padding", "stride", "receptive_field", "regularizer:l2"} <= set(keys)


def test_selecting_a_layer_explains_it(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    install_learn_dock(window)
    panel = window.learn_panel
    graph: Graph = window.document.graph
    conv = graph.add_node(graph.make_node("Conv2D", {"activation": "tanh", "padding": "reflect"}))
    window.select_node(conv.id)
    text = panel.text.toPlainText()
    assert "Slides small learned filters" in text  # the spec's doc
    assert "padding = reflect" in text
    assert "Activation: tanh" in text
    assert panel.shown[:2] == ["activation:tanh", "padding"]
    plot = panel.findChild(ActivationPlot)
    assert plot is not None
    assert plot.name == "tanh"
    image = plot.grab().toImage()
    assert image.width() > 0


def test_topic_picker_shows_losses_optimizers_rl_and_gan(qtbot: QtBot) -> None:
    panel = LearnPanel()
    qtbot.addWidget(panel)
    picker = panel.findChild(QComboBox, "learn_topics")
    assert picker is not None
    keys = [picker.itemData(i) for i in range(picker.count())]
    for key in ("loss:mae", "optimizer:adam", "regularizer:dropout", "rl:qlearning", "gan:mode_collapse"):
        assert key in keys
    picker.setCurrentIndex(keys.index("padding"))
    picker.activated.emit(keys.index("padding"))
    assert panel.findChild(PaddingDiagram) is not None
    assert "mirror" in panel.text.toPlainText()


def test_example_notes_and_variants_shown_for_an_example_project(qtbot: QtBot) -> None:
    from desktop.welcome import open_example_copy

    window = MainWindow()
    qtbot.addWidget(window)
    install_learn_dock(window)
    open_example_copy(window, "rnn_long_range")
    text = window.learn_panel.text.toPlainText()
    assert "SimpleRNN vs LSTM vs GRU" in text
    assert "LSTM: replace SimpleRNN with LSTM" in text
    node = window.document.graph.nodes[1]
    window.select_node(node.id)
    assert "Recurrent layers" in window.learn_panel.text.toPlainText()
    window.scene.clearSelection()
    assert "Then try" in window.learn_panel.text.toPlainText()
