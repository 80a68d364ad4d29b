"""Inputs beside their reconstructions: the predict panel's view of a model whose output has its input's
shape (an autoencoder, a denoiser). Each pair is drawn on the input's own grey scale (the reconstruction
clipped to it, so a washed-out reconstruction looks washed out) with the pair's mean squared error under it.
When the data's targets differ from the inputs (a denoiser: noisy in, clean out) the target is drawn third
and the error is measured against it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.training.predict import image_shape, reconstruction_errors
from desktop.plots.export import Exportable, export_button, images_text

PAIRS = 8
"""Samples shown at once."""
PER_ROW = 4
TILE = 72
"""Largest side, in pixels, of one drawn image."""


def array_image(a: np.ndarray, lo: float, hi: float) -> QImage:
    """An (h, w) or (h, w, 3) array as a grey or RGB QImage, ``lo``..``hi`` mapped to 0..255 (clipped)."""
    values = np.nan_to_num(np.asarray(a, dtype="float64"))
    values = values[..., 0] if values.ndim == 3 and values.shape[-1] == 1 else values
    scaled = np.clip((values - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0)
    pixels = np.ascontiguousarray((scaled * 255).round().astype("uint8"))
    h, w = pixels.shape[:2]
    fmt = QImage.Format.Format_Grayscale8 if pixels.ndim == 2 else QImage.Format.Format_RGB888
    return QImage(pixels.data, w, h, pixels.strides[0], fmt).copy()


def _strip_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """A sample that is no picture drawn as one row of cells."""
    return (1, int(np.prod(shape)))


class ReconstructionView(QWidget, Exportable):
    """``show_pairs(x, y)`` draws each input beside its reconstruction; ``errors`` holds the MSE per pair.

    CSV: long format, one row per value, ``sample, kind, row, col[, channel], value`` (kind: input,
    reconstruction, target), the values unscaled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reconstruction_view")
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.grid_host = QWidget()
        self.grid_host.setObjectName("reconstruction_grid")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setHorizontalSpacing(14)
        self.images: list[tuple[QImage, ...]] = []
        """(input, reconstruction[, target]) per pair, at the sample's own size (one pixel per value)."""
        self.tiles: list[tuple[QLabel, QLabel, QLabel]] = []
        """(input, reconstruction, error) labels per pair, as drawn (a target's label is not listed)."""
        self.errors = np.zeros(0)
        self.arrays: list[tuple[int, dict[str, np.ndarray]]] = []
        """(sample index, {kind: array at the drawn shape}) per pair, for the CSV."""
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(export_button(self))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.grid_host)

    def show_pairs(self, x: np.ndarray, y: np.ndarray, declared: tuple[int, ...] | None = None,
                   first_index: int = 0, target: np.ndarray | None = None) -> np.ndarray:
        """Draw ``x[i]`` beside ``y[i]`` (and ``target[i]`` when it is not ``x``); returns the per-sample MSE
        of ``y`` against the target (the input itself for an autoencoder)."""
        x, y = np.asarray(x), np.asarray(y)
        denoise = target is not None and np.shape(target) == x.shape and not np.array_equal(target, x)
        goal = np.asarray(target) if denoise else x
        self.errors = reconstruction_errors(goal, y)
        shape = image_shape(tuple(int(d) for d in x.shape[1:]), declared) or _strip_shape(x.shape[1:])
        self._clear()
        for i, err in enumerate(self.errors):
            lo, hi = float(np.nanmin(goal[i])), float(np.nanmax(goal[i]))
            arrays = (x[i], y[i], goal[i]) if denoise else (x[i], y[i])
            images = tuple(array_image(a.reshape(shape), lo, hi) for a in arrays)
            kinds = ("input", "reconstruction", "target")
            self.arrays.append((first_index + i, {k: a.reshape(shape) for k, a in zip(kinds, arrays, strict=False)}))
            self.images.append(images)
            self._add_tile(i, images, f"#{first_index + i}  MSE {err:.4g}")
        h, w = shape[:2]
        what = ("Input, its reconstruction and the target (left to right)" if denoise else
                "Input (left) beside its reconstruction (right)")
        self.caption.setText(f"{what}, {w}×{h}, for {len(x)} samples; mean MSE "
                             f"{float(self.errors.mean()):.4g}{' against the targets' if denoise else ''}.")
        return self.errors

    def _add_tile(self, i: int, pair: tuple[QImage, ...], text: str) -> None:
        cell = QWidget()
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(2)
        labels = []
        for image, tip in zip(pair, ("input", "reconstruction", "target")):
            label = QLabel()
            label.setToolTip(tip)
            label.setPixmap(QPixmap.fromImage(image).scaled(TILE, TILE, Qt.AspectRatioMode.KeepAspectRatio,
                                                            Qt.TransformationMode.FastTransformation))
            row.addWidget(label)
            labels.append(label)
        error = QLabel(text)
        error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addLayout(row)
        box.addWidget(error)
        self.grid.addWidget(cell, *divmod(i, PER_ROW))
        self.tiles.append((labels[0], labels[1], error))

    def _clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.images, self.tiles, self.arrays = [], [], []

    def export_stem(self) -> str:
        return "reconstructions"

    def export_target(self) -> QWidget:
        return self.grid_host

    def export_csv(self) -> str:
        return images_text(["sample", "kind"], (([i, kind], a) for i, pair in self.arrays for kind, a in pair.items()))
