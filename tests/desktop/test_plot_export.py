"""Every plot and view has the same Export menu (Save PNG…, Export CSV…, Copy image, Copy data), and each of its
actions gives the plot's own data: a PNG of the view's size that is not blank, a CSV holding the exact values fed
in, and the same CSV text on the clipboard.

A new QWidget in desktop/plots (or in the panels listed in ``MODULES``) must join ``VIEWS`` (with a fixture),
``CONTAINERS`` (its plots export themselves) or ``EXEMPT`` (with the reason): ``test_every_view_is_listed``
fails otherwise."""

from __future__ import annotations

import csv
import importlib
import inspect
import io
import pkgutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QWidget

import desktop.plots
from core.rl.messages import QTableSnapshot
from core.training.history import History
from core.training.messages import Confusion, Weights
from desktop.panels.learn_diagrams import (
    ActivationPlot,
    BottleneckDiagram,
    ClippingDiagram,
    Diagram,
    LearningRateDiagram,
    PaddingDiagram,
    ResidualDiagram,
    StackDiagram,
)
from desktop.panels.mdp import MDPView
from desktop.panels.reconstruction import ReconstructionView
from desktop.panels.rnn_inspector import RnnDockBody, RnnInspector
from desktop.plots import base, export
from desktop.plots.confusion import ConfusionView
from desktop.plots.export import MENU, Exportable
from desktop.plots.feature_maps import FeatureMapView
from desktop.plots.frames import FrameView
from desktop.plots.gan_curves import BalanceMeter, CurvesPlot, GradientNormsPlot, LossPlot, OutputsPlot
from desktop.plots.gan_form import GanForm, OptimizerRow
from desktop.plots.gan_samples import SampleView, show_interpolation, show_samples
from desktop.plots.gan_view import GanView
from desktop.plots.gradients import GradientsView
from desktop.plots.histograms import HistogramView
from desktop.plots.metrics import MetricsView, RunCurves
from desktop.plots.rl_curves import MA_WINDOW, RLCurves, moving_average
from desktop.plots.rl_grid import GridWidget
from desktop.plots.rl_live import RLLiveView
from desktop.plots.rl_qtable import QTableView
from desktop.plots.rnn_plots import GradientThroughTime, Heatmap

MODULES = ("desktop.panels.mdp", "desktop.panels.rnn_inspector", "desktop.panels.reconstruction",
           "desktop.panels.learn_diagrams")
"""Panels that hold plots or pictures (besides every module of desktop/plots)."""

Check = Callable[[str], None]
Fixture = Callable[[Any], tuple[QWidget, Exportable, str, Check]]
"""qtbot -> (widget to show, its exporter, the expected file stem, a check of the CSV text)."""


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def columns(text: str) -> dict[str, list[str]]:
    head, *body = rows(text)
    return {name: [r[j] for r in body if j < len(r) and r[j] != ""] for j, name in enumerate(head)}


def floats(values: list[str]) -> np.ndarray:
    return np.array([float(v) for v in values])


def long_values(text: str, **where: str) -> np.ndarray:
    """``value`` of the long-format rows matching ``where``, in file order."""
    head, *body = rows(text)
    keep = [r for r in body if all(r[head.index(k)] == v for k, v in where.items())]
    return floats([r[head.index("value")] for r in keep])


# ---- one fixture per view ------------------------------------------------------------------------
def live_plot(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = MetricsView()
    qtbot.addWidget(view)
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([0.9, 0.5, 0.25])
    view.show_runs([RunCurves("live", "current", {"epoch/x": x, "epoch/loss": y, "epoch/val_loss": y + 0.125},
                              batches=1)])
    plot = view.plots["loss"]

    def check(text: str) -> None:
        table = columns(text)
        np.testing.assert_array_equal(floats(table["train (epoch)"]), y)
        np.testing.assert_array_equal(floats(table["train (epoch) x"]), x)
        np.testing.assert_array_equal(floats(table["validation"]), y + 0.125)

    return view, plot, "loss", check


def confusion(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = ConfusionView()
    qtbot.addWidget(view)
    view.show_confusion(Confusion(0, np.array([[5, 1], [2, 7]]), ["cat", "dog"]))

    def check(text: str) -> None:
        assert rows(text) == [["true \\ predicted", "cat", "dog"], ["cat", "5", "1"], ["dog", "2", "7"]]

    return view, view, "confusion", check


def feature_maps(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = FeatureMapView()
    qtbot.addWidget(view)
    maps = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4) / 8  # h=2, w=3, 4 channels
    view.show_maps(7, {"conv2d_1": maps, "conv2d_2": -maps})

    def check(text: str) -> None:
        assert rows(text)[0] == ["channel", "row", "col", "value"]
        for c in range(4):
            np.testing.assert_array_equal(long_values(text, channel=str(c)), maps[:, :, c].reshape(-1))
        assert rows(text)[1 + 3 + 2] == ["0", "1", "2", repr(float(maps[1, 2, 0]))]

    return view, view, "feature_maps_conv2d_1", check


def histograms(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = HistogramView()
    qtbot.addWidget(view)
    counts = [np.array([1, 4, 2]), np.array([0, 6, 1])]
    edges = np.array([-0.5, -0.125, 0.25, 0.75])
    view.show_weights([Weights(e, histograms={"dense": (counts[e], edges)}, norms={"dense": 1.5 + e})
                       for e in range(2)])

    def check(text: str) -> None:
        assert rows(text)[0] == ["epoch", "bin_start", "bin_end", "count"]
        body = [[float(v) for v in r] for r in rows(text)[1:]]
        assert body == [[e + 1, edges[i], edges[i + 1], counts[e][i]] for e in range(2) for i in range(3)]

    return view, view.plot, "weight_histograms_dense_weights", check


def weight_norms(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view, _, _, _ = histograms(qtbot)

    def check(text: str) -> None:
        assert floats(columns(text)["dense"]).tolist() == [1.5, 2.5]
        assert floats(columns(text)["dense x"]).tolist() == [1.0, 2.0]

    return view, view.norms, "weight_norms", check  # type: ignore[attr-defined]


def gradients(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = GradientsView()
    qtbot.addWidget(view)
    arrays = {"grad/x": np.array([10.0, 20.0, 30.0]), "grad/dense_1": np.array([1e-6, 2e-6, 4e-6]),
              "grad/dense_2": np.array([0.5, 0.25, 0.125])}
    view.show_run(arrays)

    def check(text: str) -> None:
        assert rows(text)[0] == ["step", "dense_1", "dense_2"]
        table = columns(text)
        for name in ("dense_1", "dense_2"):
            np.testing.assert_array_equal(floats(table[name]), arrays[f"grad/{name}"])
        np.testing.assert_array_equal(floats(table["step"]), arrays["grad/x"])

    return view, view, "gradient_heatmap", check


def gradient_curves(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view, _, _, _ = gradients(qtbot)

    def check(text: str) -> None:
        np.testing.assert_array_equal(floats(columns(text)["dense_2"]), [0.5, 0.25, 0.125])

    return view, view.curves, "gradient_norms", check  # type: ignore[attr-defined]


def rl_curves(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = RLCurves()
    qtbot.addWidget(view)
    history = History()
    returns = [1.0, -2.5, 3.25, 0.5]
    for episode, r in enumerate(returns, start=1):
        history.epoch.add(episode, {"return": r, "length": 10.0 * episode, "epsilon": 1.0 / episode,
                                    "loss": 0.5 * episode, "mean_q": 0.25})
    history.gradients.add(5, {"dense": 0.75})
    history.gradients.add(6, {"dense": 0.5})
    view.refresh(history, force=True)

    def check(text: str) -> None:
        table = columns(text)
        np.testing.assert_array_equal(floats(table["episode"]), [1, 2, 3, 4])
        np.testing.assert_array_equal(floats(table["return"]), returns)
        np.testing.assert_array_equal(floats(table[f"return mean of last {MA_WINDOW}"]),
                                      moving_average(np.array(returns)))
        np.testing.assert_array_equal(floats(table["epsilon"]), [1.0, 0.5, 1 / 3, 0.25])
        np.testing.assert_array_equal(floats(table["update"]), [5, 6])
        np.testing.assert_array_equal(floats(table["gradient dense"]), [0.75, 0.5])

    return view, view, "rl_curves", check


def q_table(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = QTableView()
    qtbot.addWidget(view)
    q = np.array([[0.5, -1.25], [2.0, 0.0], [0.125, 3.0]])
    view.show_snapshot(QTableSnapshot(40, q, value_gap=0.5, policy_match=0.75), ("left", "right"))

    def check(text: str) -> None:
        assert rows(text)[0] == ["state", "left", "right"]
        assert [[float(v) for v in r] for r in rows(text)[1:]] == [[i, *q[i]] for i in range(3)]

    return view, view, "q_table", check


GRID = {"env": "FrozenLake-v1", "method": "value", "gamma": 0.9, "iterations": 3, "rows": 2, "cols": 2,
        "values": [[0.25, 0.5], [0.75, 0.0]], "arrows": [[[0, 1], [1, 0]], [[0, 1], None]],
        "letters": ["SF", "FG"], "labels": [["", ""], ["", ""]], "cell_states": [[0, 1], [2, 3]],
        "policy": [2, 1, 2, 0], "state_values": [0.25, 0.5, 0.75, 0.0], "terminal": [False, False, False, True],
        "action_names": ["left", "down", "right", "up"], "transitions": {}}


def mdp_grid(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = MDPView(SimpleNamespace(request=None, cancel=None))  # type: ignore[arg-type]  # no job is asked for
    qtbot.addWidget(view)
    view._solved(GRID)
    assert view.grid.export_button.isVisibleTo(view)  # the grid's menu sits in the view's toolbar

    def check(text: str) -> None:
        assert rows(text) == [["state", "row", "col", "letter", "value", "policy"],
                              ["0", "0", "0", "S", "0.25", "right"], ["1", "0", "1", "F", "0.5", "down"],
                              ["2", "1", "0", "F", "0.75", "right"], ["3", "1", "1", "G", "0.0", ""]]

    return view, view.grid, "mdp_frozenlake_v1_value", check


def frames(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = FrameView()
    qtbot.addWidget(view)
    image = np.zeros((4, 6, 3), dtype=np.uint8)
    image[:, :3] = (250, 10, 10)
    image[1, 5] = (1, 2, 3)
    view.show_frame(image, "episode 1")

    def check(text: str) -> None:
        assert rows(text)[0] == ["row", "col", "channel", "value"]
        np.testing.assert_array_equal(long_values(text), image.reshape(-1))
        assert ["1", "5", "2", "3"] in rows(text)

    return view, view, "environment_frame", check


def gan_losses(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = LossPlot()
    qtbot.addWidget(view)
    x = np.array([1.0, 2.0, 3.0])
    values = {"d_loss": np.array([0.75, 0.5, 0.625]), "g_loss": np.array([2.0, 1.5, 1.25])}
    view.show_series(x, values)

    def check(text: str) -> None:
        table = columns(text)
        assert list(table) == ["step", "d_loss", "g_loss"]
        for key, y in values.items():
            np.testing.assert_array_equal(floats(table[key]), y)

    return view, view, "gan_losses", check


def gan_outputs(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = OutputsPlot()
    qtbot.addWidget(view)
    view.show_series(np.array([1.0, 2.0]), {"d_real": np.array([0.75, 0.625]), "d_fake": np.array([0.25, 0.375])})

    def check(text: str) -> None:
        assert floats(columns(text)["d_fake"]).tolist() == [0.25, 0.375]

    return view, view, "gan_discriminator_outputs", check


def gan_gradients(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = GradientNormsPlot()
    qtbot.addWidget(view)
    view.set_layers(["dense"], ["dense_d"])
    values = {"generator/dense": np.array([0.5, 0.25]), "discriminator/dense_d": np.array([1e-3, 0.0])}
    view.show_series(np.array([1.0, 2.0]), values)

    def check(text: str) -> None:
        table = columns(text)
        np.testing.assert_array_equal(floats(table["generator/dense"]), [0.5, 0.25])
        np.testing.assert_array_equal(floats(table["discriminator/dense_d"]), [1e-3, 0.0])  # zero kept

    return view, view, "gan_gradient_norms", check


def gan_samples(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = SampleView("Samples from fixed seeds", "gan_samples")
    qtbot.addWidget(view)
    samples = (np.arange(2 * 3 * 3, dtype="float32").reshape(2, 3, 3, 1) - 8) / 8  # values in [-1, 1]
    grid = np.linspace(0, 1, 3 * 7, dtype="float32").reshape(3, 7)
    show_samples(view, samples, grid, None)

    def check(text: str) -> None:
        assert rows(text)[0] == ["sample", "row", "col", "value"]
        for i in range(2):
            np.testing.assert_array_equal(long_values(text, sample=str(i)), samples[i].reshape(-1))

    return view, view, "gan_samples", check


def gan_points(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = SampleView("Latent interpolation", "gan_interpolation")
    qtbot.addWidget(view)
    real = np.array([[0.0, 1.0], [1.0, 0.5]])
    path = np.array([[0.25, 0.5], [0.5, 0.75], [0.75, 1.0]])
    show_interpolation(view, path, real)

    def check(text: str) -> None:
        assert rows(text) == [["kind", "x", "y"], ["real", "0.0", "1.0"], ["real", "1.0", "0.5"],
                              *(["generated", repr(a), repr(b)] for a, b in path.tolist())]

    return view, view, "gan_interpolation", check


def rnn_heatmap(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = Heatmap("Hidden state hₜ")
    qtbot.addWidget(view)
    values = np.array([[0.5, -0.25, 0.0], [0.75, 0.125, -1.0]], dtype="float32")  # 2 steps x 3 units
    view.show_values(values)

    def check(text: str) -> None:
        assert rows(text)[0] == ["unit \\ time step", "1", "2"]
        assert [[float(v) for v in r] for r in rows(text)[1:]] == [[u, *values[:, u]] for u in range(3)]

    return view, view, "rnn_hidden_state", check


def rnn_gradient(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = GradientThroughTime()
    qtbot.addWidget(view)
    view.show_trace("LSTM (untrained)", np.array([1e-4, 0.0, 0.5]))
    view.show_trace("SimpleRNN (untrained)", np.array([1e-8, 1e-3]))

    def check(text: str) -> None:
        table = columns(text)
        np.testing.assert_array_equal(floats(table["time step"]), [1, 2, 3])
        np.testing.assert_array_equal(floats(table["LSTM (untrained)"]), [1e-4, 0.0, 0.5])
        np.testing.assert_array_equal(floats(table["SimpleRNN (untrained)"]), [1e-8, 1e-3])

    return view, view, "rnn_gradient_through_time", check


def reconstructions(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
    view = ReconstructionView()
    qtbot.addWidget(view)
    x = np.linspace(0.0, 1.0, 2 * 16).reshape(2, 16)
    y = np.clip(x + 0.125, 0, 1)
    view.show_pairs(x, y, first_index=5)

    def check(text: str) -> None:
        assert rows(text)[0] == ["sample", "kind", "row", "col", "value"]
        for i in range(2):
            np.testing.assert_array_equal(long_values(text, sample=str(5 + i), kind="input"), x[i])
            np.testing.assert_array_equal(long_values(text, sample=str(5 + i), kind="reconstruction"), y[i])
        assert ["6", "input", "3", "3", repr(float(x[1, 15]))] in rows(text)  # 4x4 pictures

    return view, view, "reconstructions", check


def diagram(cls: type[Diagram], stem: str, check: Check) -> Fixture:
    def make(qtbot: Any) -> tuple[QWidget, Exportable, str, Check]:
        view = cls("relu") if cls is ActivationPlot else cls()  # type: ignore[call-arg]
        qtbot.addWidget(view)
        return view, view, stem, check

    return make


def _activation(text: str) -> None:
    table = columns(text)
    plot = ActivationPlot("relu")
    assert floats(table["relu"]).tolist() == [y for _, y in plot.points()]
    assert floats(table["x"]).tolist() == [x for x, _ in plot.points()]
    assert floats(table["slope"])[-1] == pytest.approx(1.0)


def _expect(ok: bool, text: str) -> None:
    assert ok, text


def _padding(text: str) -> None:
    assert ["zero", "0", "0", "0"] in rows(text)
    assert ["mirror", "0", "0", "6"] in rows(text)  # reflect: the corner mirrors pixel (1, 1)
    assert len(rows(text)) == 1 + 2 * 36


VIEWS: dict[type, Fixture] = {
    base.LivePlot: live_plot, ConfusionView: confusion, FeatureMapView: feature_maps,
    GradientsView: gradients, RLCurves: rl_curves, QTableView: q_table, GridWidget: mdp_grid, FrameView: frames,
    CurvesPlot: gan_losses, LossPlot: gan_losses, OutputsPlot: gan_outputs, GradientNormsPlot: gan_gradients,
    SampleView: gan_samples, Heatmap: rnn_heatmap, GradientThroughTime: rnn_gradient,
    ReconstructionView: reconstructions,
    ActivationPlot: diagram(ActivationPlot, "activation_relu", _activation),
    PaddingDiagram: diagram(PaddingDiagram, "padding", _padding),
    StackDiagram: diagram(StackDiagram, "receptive_field_stride_1", lambda t: _expect(
        rows(t) == [["level", "first", "last"], ["0", "0", "0"], ["1", "0", "2"], ["2", "0", "4"], ["3", "0", "6"]],
        t)),
    BottleneckDiagram: diagram(BottleneckDiagram, "autoencoder_bottleneck",
                               lambda t: _expect([r[2] for r in rows(t)[1:]] == ["64", "32", "8", "32", "64"], t)),
    ResidualDiagram: diagram(ResidualDiagram, "residual_block",
                             lambda t: _expect(["x", "+", "identity"] in rows(t), t)),
    ClippingDiagram: diagram(ClippingDiagram, "gradient_clipping", lambda t: _expect(
        floats(columns(t)["step norm (clipnorm 1)"]).tolist()
        == [min(g, 1.0) for g in floats(columns(t)["gradient norm"])], t)),
    LearningRateDiagram: diagram(LearningRateDiagram, "learning_rates", lambda t: _expect(
        floats(columns(t)["w (learning rate 0.1)"]).tolist() == LearningRateDiagram.path(0.1), t)),
}
"""Every exporting view, with a fixture that feeds it known data."""

EXTRA_CASES: dict[str, Fixture] = {"weight_histograms": histograms, "weight_norms": weight_norms,
                                   "gradient_curves": gradient_curves, "gan_points": gan_points}
"""Further plots inside listed views (a second plot, another mode) checked the same way."""

CONTAINERS: dict[type, Callable[[QWidget], list[Exportable]]] = {
    MetricsView: lambda v: list(v.plots.values()),  # type: ignore[attr-defined]
    HistogramView: lambda v: [v.plot, v.norms],  # type: ignore[attr-defined]
    GradientsView: lambda v: [v, v.curves],  # type: ignore[attr-defined]
    RLLiveView: lambda v: [v.curves, v.frames, v.qtable],  # type: ignore[attr-defined]
    GanView: lambda v: [v.losses, v.outputs, v.gradients, v.samples, v.interpolation],  # type: ignore[attr-defined]
    MDPView: lambda v: [v.grid],  # type: ignore[attr-defined]
    RnnInspector: lambda v: [v.hidden, v.cell, *v.gates.values(), v.gradient],  # type: ignore[attr-defined]
}
"""Views made of plots that export themselves: which ones."""

EXEMPT = {
    base.PlotWidget: "the graphics view inside LivePlot, which exports it",
    BalanceMeter: "a gauge of one number, D(x) - D(G(z)) averaged, whose data the D outputs plot exports",
    GanForm: "a form of settings, no plot",
    OptimizerRow: "a row of the GAN settings form, no plot",
    Diagram: "the base class of the Learn diagrams (each listed in VIEWS)",
    RnnDockBody: "builds the RNN inspector (a container) when first shown",
}


def view_classes() -> set[type]:
    names = [f"desktop.plots.{m.name}" for m in pkgutil.iter_modules(desktop.plots.__path__)] + list(MODULES)
    found = set()
    for name in names:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, QWidget):
                found.add(cls)
    return found


def test_every_view_is_listed_and_exports() -> None:
    found = view_classes()
    listed = set(VIEWS) | set(CONTAINERS) | set(EXEMPT)
    assert found - listed == set(), "add these views to VIEWS (with a fixture), CONTAINERS or EXEMPT"
    assert listed - found == set()
    for cls in VIEWS:
        assert issubclass(cls, Exportable), cls


def containers(qtbot: Any) -> dict[type, QWidget]:
    history_view = HistogramView()
    metrics = MetricsView()
    metrics.plot_for("loss")
    project = SimpleNamespace(latest_run=lambda _name: None, data=None, training={})
    views: dict[type, QWidget] = {
        MetricsView: metrics, HistogramView: history_view, GradientsView: GradientsView(), RLLiveView: RLLiveView(),
        GanView: GanView(), MDPView: MDPView(SimpleNamespace()),  # type: ignore[arg-type]
        RnnInspector: RnnInspector(lambda: None, lambda: project, lambda: None),
    }
    for view in views.values():
        qtbot.addWidget(view)
    return views


def test_containers_hold_only_exporting_plots(qtbot: Any) -> None:
    views = containers(qtbot)
    assert set(views) == set(CONTAINERS)
    for cls, view in views.items():
        parts = CONTAINERS[cls](view)
        assert parts, cls
        for part in parts:
            assert isinstance(part, Exportable)
            assert [a.text() for a in part.export_actions().values()] == list(MENU)
            assert view.isAncestorOf(part.export_button), f"{type(part).__name__}'s Export button is not in {cls}"


def distinct_colours(image: QImage) -> int:
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(rgb.constBits(), dtype=np.uint32, count=rgb.width() * rgb.height())
    return len(np.unique(pixels))


CASES = {cls.__name__: fixture for cls, fixture in VIEWS.items()} | EXTRA_CASES


@pytest.mark.parametrize("case", list(CASES))
def test_export_menu_saves_png_and_csv_and_copies_both(case: str, qtbot: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    view, exporter, stem, check = CASES[case](qtbot)
    view.resize(520, 380)
    view.show()
    qtbot.waitExposed(view)
    actions = exporter.export_actions()
    assert list(actions) == list(MENU)
    assert exporter.export_button.text() == "Export"
    asked: list[str] = []

    def save_as(_parent: Any, _title: str, name: str, _pattern: str) -> tuple[str, str]:
        asked.append(name)
        return str(tmp_path / name), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    actions["Save PNG…"].trigger()
    actions["Export CSV…"].trigger()
    assert asked == [f"{stem}.png", f"{stem}.csv"]

    target = exporter.export_target()
    image = QImage(str(tmp_path / f"{stem}.png"))
    assert image.size() == target.size() * target.devicePixelRatio()
    assert distinct_colours(image) > 1, "the PNG is blank"

    text = (tmp_path / f"{stem}.csv").read_text(encoding="utf-8")
    check(text)
    actions["Copy data"].trigger()
    assert QGuiApplication.clipboard().text() == text
    actions["Copy image"].trigger()
    assert QGuiApplication.clipboard().image().size() == image.size()


@pytest.mark.qt_log_ignore("This plugin does not support")  # the offscreen platform, about the popup menu
def test_a_user_exports_a_loss_plot_from_its_export_button(qtbot: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    view, plot, _, check = live_plot(qtbot)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda _p, _t, name, _f: (str(tmp_path / name), ""))
    picked: list[str] = []

    def pick(text: str) -> None:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        picked.append(" | ".join(a.text() for a in menu.actions() if not a.isSeparator()))
        menu.setActiveAction(next(a for a in menu.actions() if a.text() == text))
        qtbot.keyClick(menu, Qt.Key.Key_Return)

    for text in ("Export CSV…", "Save PNG…"):
        QTimer.singleShot(50, lambda text=text: pick(text))
        qtbot.mouseClick(plot.export_button, Qt.MouseButton.LeftButton)  # the menu pops up; pick() chooses
    assert picked == [" | ".join(MENU)] * 2
    check((tmp_path / "loss.csv").read_text(encoding="utf-8"))
    assert not QImage(str(tmp_path / "loss.png")).isNull()


def test_overlay_buttons_stay_out_of_the_picture(qtbot: Any) -> None:
    plot = GradientThroughTime()
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    qtbot.waitExposed(plot)
    button = plot.export_button
    assert button.isVisible()
    assert button.geometry().right() <= plot.width() and button.y() >= 0  # in the top-right corner
    with_button = plot.grab().toImage()
    exported = export.grab(plot).toImage()
    assert button.isVisible()  # shown again after the grab
    button.hide()
    assert exported == plot.grab().toImage() != with_button
    button.show()
    diagram_view = ActivationPlot("tanh")
    qtbot.addWidget(diagram_view)
    diagram_view.show()
    assert not diagram_view.export_button.isVisible()  # a diagram shows it only under the mouse
    assert diagram_view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    assert [a.text() for a in diagram_view.actions()] == list(MENU)


def test_the_learn_diagrams_export_without_numpy_at_start_up() -> None:
    """The Learn dock is built at start-up: its diagrams' Export menu must not bring NumPy in."""
    import subprocess
    import sys

    code = "import sys, desktop.panels.learn_diagrams; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
