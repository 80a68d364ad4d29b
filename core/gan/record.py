"""What a GAN run has shown so far, kept from its messages: curves in growable buffers and the latest samples."""

from __future__ import annotations

from typing import Any

from core.gan.messages import GanDiversity, GanGradients, GanInterpolation, GanSamples, GanStarted, GanStep
from core.training.history import History, Series


class GanCurves:
    """``history.batch``: d_loss, g_loss, d_real, d_fake per step; ``history.gradients``: ``generator/<node>`` and
    ``discriminator/<node>`` norms; ``diversity``: ratio and distance per sample step."""

    def __init__(self, history: History | None = None) -> None:
        self.history = history or History()
        self.diversity = Series()
        self.started: GanStarted | None = None
        self.last_samples: GanSamples | None = None
        self.interpolation: GanInterpolation | None = None

    def add(self, msg: Any) -> None:
        """Record one message (anything that is not a GAN message is ignored)."""
        if isinstance(msg, GanStep):
            self.history.batch.add(msg.step, {"d_loss": msg.d_loss, "g_loss": msg.g_loss, "d_real": msg.d_real,
                                              "d_fake": msg.d_fake})
        elif isinstance(msg, GanGradients):
            self.history.gradients.add(msg.step, {f"{msg.network}/{n}": float(v) for n, v in
                                                  zip(msg.layers, msg.norms)})
        elif isinstance(msg, GanDiversity):
            self.diversity.add(msg.step, {"ratio": msg.ratio, "distance": msg.distance})
        elif isinstance(msg, GanSamples):
            self.last_samples = msg
        elif isinstance(msg, GanStarted):
            self.started = msg
        elif isinstance(msg, GanInterpolation):
            self.interpolation = msg
