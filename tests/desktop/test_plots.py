"""Plots without a training process: curves fed from History buffers, smoothing over the raw curve, log
scale, crosshair readout, PNG/CSV export and copy, feature-map tiles, the runs list on stored runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication, QImage

from core.training.history import History
from core.training.messages import Confusion, Weights
from desktop.plots.export import csv_text, read_csv
from desktop.plots.feature_maps import FeatureMapView
from desktop.plots.gradients import GradientsView, layer_health
from desktop.plots.metrics import MetricsView, RunCurves, live_arrays
from desktop.plots.smoothing import Ema


def filled_history(steps: int = 300, batches: int = 30) -> History:
    history = History()
    rng = np.random.default_rng(0)
    for step in range(1, steps + 1):
        history.batch.add(step, {"loss": 1.0 / step + 0.05 * rng.random(), "accuracy": min(1.0, step / steps)})
        if step % batches == 0:
            history.epoch.add(step // batches, {"loss": 1.0 / step, "val_loss": 1.2 / step, "accuracy": 0.5})
        if step % 10 == 0:
            history.gradients.add(step, {"dense_1": 1e-6 * step, "dense_2": 0.1 * step})
    return history


@pytest.fixture
def metrics(qtbot: Any) -> MetricsView:
    view = MetricsView()
    qtbot.addWidget(view)
    view.resize(1200, 400)
    view.show()
    return view


def test_loss_csv_export_holds_the_recorded_values(metrics: MetricsView, tmp_path: Path) -> None:
    history = filled_history()
    metrics.show_runs([RunCurves("live", "current", live_arrays(history), batches=30)])
    plot = metrics.plots["loss"]
    path = tmp_path / "loss.csv"
    from desktop.plots.export import save_csv

    save_csv(plot.columns(), path)
    table = read_csv(path.read_text(encoding="utf-8"))
    np.testing.assert_array_equal(table["train (batch)"], history.batch["loss"])
    np.testing.assert_array_equal(table["train (batch) x"], history.batch.x.data / 30)
    np.testing.assert_array_equal(table["validation"][:10], history.epoch["val_loss"])
    plot.copy_data_action.trigger()
    assert QGuiApplication.clipboard().text() == csv_text(plot.columns())


def test_plot_png_is_written_and_copied(metrics: MetricsView, tmp_path: Path) -> None:
    metrics.show_runs([RunCurves("live", "current", live_arrays(filled_history()), batches=30)])
    plot = metrics.plots["loss"]
    from desktop.plots.export import save_png

    path = save_png(plot.widget, tmp_path / "loss.png")
    image = QImage(str(path))
    assert image.width() > 100
    assert image.height() > 100
    plot.copy_image_action.trigger()
    assert not QGuiApplication.clipboard().image().isNull()


def test_smoothing_draws_over_the_raw_curve_and_log_scale(metrics: MetricsView) -> None:
    history = filled_history()
    arrays = live_arrays(history)
    metrics.show_runs([RunCurves("live", "current", arrays, batches=30)])
    plot = metrics.plots["loss"]
    raw = plot.curves["live:batch/loss"]
    plot.smooth_box.setChecked(True)
    smooth = plot.smoothed["live:batch/loss"]
    assert raw.isVisible()
    assert smooth.isVisible()
    assert 0 < raw.opacity() < 1
    expected = Ema(0.9).update(history.batch["loss"])
    np.testing.assert_allclose(smooth.getData()[1], expected)
    history.batch.add(301, {"loss": 0.5, "accuracy": 1.0})
    metrics.show_runs([RunCurves("live", "current", live_arrays(history), batches=30)])
    assert len(smooth.getData()[1]) == 301
    plot.smooth_box.setChecked(False)
    assert not smooth.isVisible()
    assert raw.opacity() == 1.0
    plot.log_box.setChecked(True)
    assert plot.item.ctrl.logYCheck.isChecked()


def test_crosshair_reads_the_curves(metrics: MetricsView) -> None:
    metrics.show_runs([RunCurves("live", "current", live_arrays(filled_history()), batches=30)])
    plot = metrics.plots["loss"]
    text = plot.show_readout(5.0, 0.1)
    assert text.startswith("x 5")
    assert "train (batch)" in text
    assert plot.vline.isVisible()


def test_overlay_runs_get_their_own_curves_and_legend(metrics: MetricsView) -> None:
    a, b = live_arrays(filled_history()), live_arrays(filled_history(600))
    metrics.show_runs([RunCurves("live", "current", a, 30), RunCurves("r1", "Adam run", b, 30, primary=False,
                                                                       color_index=1)])
    plot = metrics.plots["loss"]
    assert {"live:batch/loss", "r1:batch/loss", "r1:epoch/val_loss"} <= set(plot.curves)
    assert "Adam run: validation" in [label.text for _s, label in plot.legend.items]
    metrics.show_runs([RunCurves("live", "current", a, 30)])
    assert not any(k.startswith("r1:") for k in plot.curves)


def test_gradient_view_and_health(qtbot: Any) -> None:
    view = GradientsView()
    qtbot.addWidget(view)
    view.show()
    view.show_run(live_arrays(filled_history()))
    assert view.layers == ["dense_1", "dense_2"]
    assert view.matrix.shape == (2, 30)
    assert view.image.image is not None
    assert layer_health({"a": 1e-9, "b": 1e-3, "c": 1.0, "d": float("nan")}) == {
        "a": "vanishing", "b": "weak", "c": "ok", "d": "exploding"}


def test_feature_maps_one_image_per_channel(qtbot: Any) -> None:
    view = FeatureMapView()
    qtbot.addWidget(view)
    view.show()
    maps = {"conv_a": np.random.default_rng(0).random((12, 10, 6)), "conv_b": np.zeros((5, 5, 3))}
    view.show_maps(7, maps)
    assert [view.layer.itemText(i) for i in range(view.layer.count())] == ["conv_a", "conv_b"]
    assert len(view.channel_images) == 6
    assert all(item.image.shape == (12, 10) for item in view.channel_images)
    view.layer.setCurrentText("conv_b")
    assert len(view.channel_images) == 3
    view.set_input(np.ones((28, 28, 1)))
    assert view.input_image.image.shape == (28, 28)


def test_histograms_and_confusion(qtbot: Any) -> None:
    from desktop.plots.confusion import ConfusionView
    from desktop.plots.histograms import HistogramView

    hist = HistogramView()
    qtbot.addWidget(hist)
    msgs = [Weights(e, histograms={"dense_1": np.histogram(np.random.default_rng(e).normal(size=100), bins=10)},
                    norms={"dense_1": 1.0 + e}) for e in range(3)]
    hist.show_weights(msgs)
    assert len(hist.plot.curves) == 3
    hist.kind.setCurrentText("biases")
    assert len(hist.plot.curves) == 0
    assert "no biases" in hist.caption.text()
    msgs = [Weights(e, histograms={"dense_1": np.histogram(np.ones(4), bins=3)},
                    bias_histograms={"dense_1": np.histogram(np.zeros(2), bins=3)}, norms={"dense_1": 1.0})
            for e in range(2)]
    hist.show_weights(msgs)
    assert len(hist.plot.curves) == 2
    conf = ConfusionView()
    qtbot.addWidget(conf)
    conf.show_confusion(Confusion(0, np.array([[5, 1], [2, 7]]), ["a", "b"]))
    assert "accuracy 0.800" in conf.caption.text()
    assert conf.columns()["pred a"].tolist() == [5, 2]


def test_long_curves_draw_an_envelope_and_export_every_point(metrics: MetricsView) -> None:
    n = 200_000
    rng = np.random.default_rng(1)
    loss = rng.random(n)
    loss[123_457] = 7.5  # one spike must stay visible
    arrays = {"batch/x": np.arange(1, n + 1, dtype="float64"), "batch/loss": loss}
    metrics.show_runs([RunCurves("live", "current", arrays, batches=1000)])
    plot = metrics.plots["loss"]
    _drawn_x, drawn_y = plot.curves["live:batch/loss"].getData()
    assert len(drawn_y) < 20_000
    assert drawn_y.max() == 7.5
    assert drawn_y.min() == loss.min()
    assert len(plot.columns()["train (batch)"]) == n
    arrays["batch/x"], arrays["batch/loss"] = np.arange(1, n + 11, dtype="float64"), np.r_[loss, np.full(10, 9.0)]
    metrics.show_runs([RunCurves("live", "current", arrays, batches=1000)])
    assert plot.curves["live:batch/loss"].getData()[1].max() == 9.0
