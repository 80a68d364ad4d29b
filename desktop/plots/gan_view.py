"""The plots of the GAN cockpit arranged in one widget and refreshed from a run's buffers on the cockpit's timer:
losses, D(x)/D(G(z)) with the balance meter, the fixed-seed samples, per-layer gradient norms, the latent
interpolation and the mode-collapse banner. Nothing here draws per message."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from desktop.plots.gan_curves import BalanceMeter, GradientNormsPlot, LossPlot, OutputsPlot, balance
from desktop.plots.gan_samples import SampleView, show_interpolation, show_samples

BANNER = "background:#fff3bf; color:#5c3c00; border:1px solid #f08c00; border-radius:4px; padding:4px;"


def snapshot(series: Any) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """``(x, {name: values})`` views of a series the reader thread appends to (None if it changed meanwhile)."""
    try:
        values = {name: buf.data for name, buf in list(series.values.items())}
        x = series.x.data
    except RuntimeError:
        return None
    n = min([len(x), *(len(v) for v in values.values())])
    return x[:n], {name: v[:n] for name, v in values.items()}


class GanView(QWidget):
    """``refresh(run, collapse_ratio)`` redraws what changed since the last call; ``reset()`` before a run."""

    def __init__(self) -> None:
        super().__init__()
        self.banner = QLabel()
        self.banner.setStyleSheet(BANNER)
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.losses, self.outputs, self.meter = LossPlot(), OutputsPlot(), BalanceMeter()
        self.gradients = GradientNormsPlot()
        self.samples, self.interpolation = (SampleView("Samples from fixed seeds", "gan_samples"),
                                                  SampleView("Latent interpolation", "gan_interpolation"))
        self._seen: dict[str, Any] = {}
        self._arrange()

    def _arrange(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.banner, 0, 0, 1, 3)
        grid.addWidget(self.losses, 1, 0)
        outputs = QWidget()
        col = QVBoxLayout(outputs)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.outputs, 1)
        col.addWidget(self.meter)
        grid.addWidget(outputs, 1, 1)
        grid.addWidget(self.samples, 1, 2)
        grid.addWidget(self.gradients, 2, 0, 1, 2)
        grid.addWidget(self.interpolation, 2, 2)
        for c in range(3):
            grid.setColumnStretch(c, 1)

    def reset(self) -> None:
        self._seen = {}
        empty = np.zeros(0)
        for plot in (self.losses, self.outputs):
            plot.show_series(empty, dict.fromkeys(plot.curves, empty))
        self.gradients.set_layers([], [])
        self.samples.clear()
        self.interpolation.clear()
        self.meter.set_value(None)
        self.banner.hide()

    def refresh(self, run: Any, collapse_ratio: float) -> int | None:
        """Redraw from ``run``'s buffers; returns the latest step (None before the first)."""
        started = run.started_info
        if started is not None and self._seen.get("started") is not started:
            self._seen["started"] = started
            self.gradients.set_layers(started.g_layers, started.d_layers)
        step = self._curves(run)
        grads = snapshot(run.history.gradients)
        if grads is not None and len(grads[0]) != self._seen.get("grads"):
            self._seen["grads"] = len(grads[0])
            self.gradients.show_series(*grads)
        self._pictures(run, collapse_ratio)
        return step

    def _curves(self, run: Any) -> int | None:
        batch = snapshot(run.history.batch)
        if batch is None or not len(batch[0]):
            return None
        x, values = batch
        if len(x) != self._seen.get("steps"):
            self._seen["steps"] = len(x)
            self.losses.show_series(x, values)
            self.outputs.show_series(x, values)
            self.meter.set_value(balance(values.get("d_real", np.zeros(0)), values.get("d_fake", np.zeros(0))))
        return int(x[-1])

    def _pictures(self, run: Any, collapse_ratio: float) -> None:
        real = run.started_info.real if run.started_info is not None else None
        samples = run.last_samples
        if samples is not None and self._seen.get("samples") is not samples:
            self._seen["samples"] = samples
            show_samples(self.samples, samples.samples, samples.grid, real)
            self.samples.caption.setText(f"<b>Samples from fixed seeds</b> — step {samples.step}")
        div = snapshot(run.diversity)
        if div is not None and len(div[0]) and len(div[0]) != self._seen.get("diversity"):
            self._seen["diversity"] = len(div[0])
            self._diversity(div, collapse_ratio)
        interpolation = run.interpolation
        if interpolation is not None and self._seen.get("interpolation") is not interpolation:
            self._seen["interpolation"] = interpolation
            show_interpolation(self.interpolation, interpolation.samples, real)
            self.interpolation.caption.setText(f"<b>Latent interpolation</b> — {interpolation.method}, "
                                               f"{len(interpolation.samples)} steps between two seeds")

    def _diversity(self, div: tuple[np.ndarray, dict[str, np.ndarray]], collapse_ratio: float) -> None:
        ratio, step = float(div[1]["ratio"][-1]), int(div[0][-1])
        if step > 0 and ratio < collapse_ratio:  # an untrained generator (step 0) proves nothing
            self.banner.setText(
                f"⚠ Mode collapse? At step {step} the generated samples spread only {ratio:.0%} as much as the "
                "real data. Try label smoothing, a lower generator learning rate or fewer D steps (k).")
            self.banner.show()
        else:
            self.banner.hide()
