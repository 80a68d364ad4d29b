"""Feature maps: pick a spatial layer (convolution, pooling, padding, normalisation), see every channel as
its own image in a grid, the input beside them.

All channel images live in one ViewBox (one ``ImageItem`` per channel, placed with ``setPos``), which keeps
64 channels cheap to lay out and redraw. Each channel is scaled to its own range.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.plots.export import Exportable, export_button, images_text, stem

GAP = 0.12
"""Space between channel tiles, as a fraction of a tile."""


def grid_shape(channels: int) -> tuple[int, int]:
    cols = int(np.ceil(np.sqrt(channels)))
    return int(np.ceil(channels / max(cols, 1))), cols


def normalise(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image, dtype="float32")
    finite = a[np.isfinite(a)]
    if not finite.size:
        return np.zeros_like(a)
    lo, hi = float(finite.min()), float(finite.max())
    return np.nan_to_num((a - lo) / (hi - lo if hi > lo else 1.0))


class FeatureMapView(QWidget, Exportable):
    """``show_maps(step, maps)`` with maps ``{node name: (h, w, channels)}``; ``set_input`` shows the sample.

    Exports the layer shown: its PNG, and its raw (unscaled) activations in long format, one row per value
    (``channel, row, col, value``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = QComboBox()
        self.layer.setObjectName("feature_layer")
        self.layer.setMinimumWidth(160)
        self.layer.currentTextChanged.connect(self._redraw)
        self.caption = QLabel("Turn on “Feature maps” under Monitors; the outputs of convolution, "
                              "pooling and padding layers show here.")
        self.caption.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.input_box = self.graphics.addViewBox(row=0, col=0, lockAspect=True, invertY=True, enableMouse=False)
        self.input_image = pg.ImageItem(axisOrder="row-major")
        self.input_box.addItem(self.input_image)
        self.maps_box = self.graphics.addViewBox(row=0, col=1, lockAspect=True, invertY=True)
        self.graphics.ci.layout.setColumnStretchFactor(0, 1)
        self.graphics.ci.layout.setColumnStretchFactor(1, 4)
        self.channel_images: list[pg.ImageItem] = []
        self.maps: dict[str, np.ndarray] = {}
        self.step = 0
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer"))
        top.addWidget(self.layer)
        top.addWidget(self.caption, 1)
        top.addWidget(export_button(self))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)

    def set_input(self, sample: np.ndarray | None) -> None:
        """The input the maps come from (an image: (h, w) or (h, w, 1|3)); ``None`` clears it."""
        if sample is None:
            self.input_image.clear()
            return
        a = np.asarray(sample, dtype="float32")
        a = a[..., 0] if a.ndim == 3 and a.shape[-1] == 1 else a
        if a.ndim == 1:
            a = a[None, :]
        self.input_image.setImage(normalise(a), autoLevels=False, levels=(0.0, 1.0))
        self.input_box.autoRange(padding=0.02)

    def show_maps(self, step: int, maps: Mapping[str, np.ndarray]) -> None:
        self.step, self.maps = step, dict(maps)
        names = list(maps)
        if names != [self.layer.itemText(i) for i in range(self.layer.count())]:
            current = self.layer.currentText()
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(names)
            if current in names:
                self.layer.setCurrentText(current)
            self.layer.blockSignals(False)
        self._redraw()

    def _redraw(self, *_: object) -> None:
        maps = self.maps.get(self.layer.currentText())
        if maps is None:
            return
        maps = maps if maps.ndim == 3 else maps.reshape(maps.shape[0], -1, 1)
        h, w, channels = maps.shape
        fresh = self._ensure_tiles(channels, h, w)
        for c, item in enumerate(self.channel_images):
            item.setImage(normalise(maps[:, :, c]), autoLevels=False, levels=(0.0, 1.0))
        if fresh:
            self.maps_box.autoRange(padding=0.02)
        self.caption.setText(f"{self.layer.currentText()}: {channels} channels of {h}×{w} at step {self.step}")

    def _ensure_tiles(self, channels: int, h: int, w: int) -> bool:
        """Lay out one image per channel; True when the layout was (re)made."""
        if len(self.channel_images) == channels and self._tile == (h, w):
            return False
        for item in self.channel_images:
            self.maps_box.removeItem(item)
        _rows, cols = grid_shape(channels)
        cmap = pg.colormap.get("viridis")
        self.channel_images = []
        for c in range(channels):
            r, k = divmod(c, cols)
            item = pg.ImageItem(axisOrder="row-major")
            item.setColorMap(cmap)
            item.setPos(k * w * (1 + GAP), r * h * (1 + GAP))  # one view unit per pixel
            self.maps_box.addItem(item)
            self.channel_images.append(item)
        self._tile = (h, w)
        return True

    _tile: tuple[int, int] = (0, 0)

    def export_stem(self) -> str:
        layer = self.layer.currentText()
        return f"feature_maps_{stem(layer)}" if layer else "feature_maps"

    def export_target(self) -> QWidget:
        return self.graphics

    def export_csv(self) -> str:
        maps = self.maps.get(self.layer.currentText())
        if maps is None:
            return images_text(["channel"], [])
        maps = maps if maps.ndim == 3 else maps.reshape(maps.shape[0], -1, 1)
        return images_text(["channel"], (([c], maps[:, :, c]) for c in range(maps.shape[2])))
