"""What the generator makes: the grid of samples from the fixed latent seeds (a picture for image GANs, real and
generated points drawn together for a 2-D GAN) and the latent interpolation strip after training."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.plots.export import Exportable, export_button, images_text, stem, table_text
from desktop.plots.gan_curves import cache_axes

REAL_BRUSH = (120, 120, 120, 90)
FAKE_BRUSH = (232, 89, 12, 200)
PAD = 1


def is_image(sample_shape: tuple[int, ...]) -> bool:
    """Same rule as ``core.gan.samples.is_image`` (kept here so the GUI needs no NumPy-heavy import)."""
    return len(sample_shape) == 2 or (len(sample_shape) == 3 and sample_shape[-1] in (1, 3))


def to_unit(images: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    lo, hi = value_range
    return np.clip((images - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(images)


def strip(samples: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """Images ``(n, H, W[, C])`` side by side in one row, ``(H, n*(W+pad)-pad, C)``, scaled to [0, 1]."""
    images = samples if samples.ndim == 4 else samples[..., None]
    n, h, w, c = images.shape
    out = np.ones((h, n * (w + PAD) - PAD, c), dtype="float32")
    scaled = to_unit(images.astype("float32"), value_range)
    for i in range(n):
        out[:, i * (w + PAD) : i * (w + PAD) + w] = scaled[i]
    return out


def as_rows(samples: np.ndarray) -> np.ndarray:
    """Samples that are neither pictures nor 2-D points, one flattened sample per row."""
    flat = samples.reshape(len(samples), -1).astype("float32")
    lo, hi = float(flat.min()), float(flat.max())
    return to_unit(flat, (lo, hi))


class SampleView(QWidget, Exportable):
    """One picture (``ImageItem``, rows top-down) or a scatter of real (grey) and generated (orange) points.

    CSV: the generator's samples as it sent them (``samples``, unscaled): images in long format
    (``sample, row, col[, channel], value``), 2-D points as ``kind, x, y`` (real and generated), other samples
    one flattened sample per image row."""

    def __init__(self, title: str, file_stem: str | None = None) -> None:
        super().__init__()
        self.caption = QLabel(f"<b>{title}</b>")
        self.stem = file_stem or stem(title)
        self.samples: np.ndarray | None = None
        self.real_points: np.ndarray | None = None
        self.plot = pg.PlotWidget(background=None)
        self.item: pg.PlotItem = self.plot.getPlotItem()
        self.item.setAspectLocked(True)
        cache_axes(self.item)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.real = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(*REAL_BRUSH), name="real")
        self.fake = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(*FAKE_BRUSH), name="generated")
        self.path = pg.PlotDataItem([], [], pen=pg.mkPen("#2f7cf6", width=1.5), symbol="o", symbolSize=6,
                                    symbolBrush="#2f7cf6")
        for part in (self.image, self.real, self.fake, self.path):
            self.item.addItem(part)
        self.mode = ""
        self.setMinimumSize(180, 180)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(export_button(self))
        box.addLayout(top)
        box.addWidget(self.plot, 1)

    def _set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        picture = mode == "image"
        self.image.setVisible(picture)
        for part in (self.real, self.fake, self.path):
            part.setVisible(not picture)
        self.item.invertY(picture)
        for axis in ("left", "bottom"):
            self.item.showAxis(axis, not picture)
        self.item.showGrid(x=not picture, y=not picture, alpha=0.15)

    def show_picture(self, picture: np.ndarray) -> None:
        """An ``(H, W[, C])`` array in [0, 1]: grey for one channel, colour for three."""
        self._set_mode("image")
        img = picture[..., 0] if picture.ndim == 3 and picture.shape[-1] == 1 else picture
        self.image.setImage(img, levels=(0.0, 1.0), autoLevels=False)
        self.item.setRange(xRange=(0, img.shape[1]), yRange=(0, img.shape[0]), padding=0.02)

    def show_points(self, real: np.ndarray | None, generated: np.ndarray, path: bool = False) -> None:
        """2-D points: the real data behind, generated points (or an interpolation path) in front."""
        self._set_mode("points")
        if real is not None and len(real):
            self.real.setData(real[:, 0], real[:, 1])
        pts = generated.reshape(len(generated), -1)
        if path:
            self.path.setData(pts[:, 0], pts[:, 1])
            self.fake.setData([], [])
        else:
            self.fake.setData(pts[:, 0], pts[:, 1])
        ref = real if real is not None and len(real) else pts
        both = np.concatenate([ref, pts[:, :2]]) if len(pts) else ref
        lo, hi = np.nanmin(both, axis=0).astype("float64"), np.nanmax(both, axis=0).astype("float64")
        span = float(max(hi[0] - lo[0], hi[1] - lo[1], 1e-3))
        cx, cy = (float(v) for v in (lo + hi) / 2)  # plain floats: float32 limits overflow inside the ViewBox
        self.item.setRange(xRange=(cx - span / 2, cx + span / 2), yRange=(cy - span / 2, cy + span / 2), padding=0.08)

    @property
    def picture_shape(self) -> tuple[int, ...] | None:
        """Shape of the picture shown (``None`` when showing points)."""
        if self.mode != "image" or self.image.image is None:
            return None
        return tuple(self.image.image.shape)

    def point_count(self) -> int:
        x, _ = self.fake.getData()
        return 0 if x is None else len(x)

    def export_stem(self) -> str:
        return self.stem

    def export_target(self) -> QWidget:
        return self.plot

    def export_csv(self) -> str:
        samples = self.samples
        if samples is None:
            picture = self.image.image if self.mode == "image" else None
            return images_text([], [] if picture is None else [((), picture)])
        if samples.ndim == 2 and samples.shape[1] == 2:
            real = [] if self.real_points is None else [["real", *p] for p in self.real_points.tolist()]
            return table_text(["kind", "x", "y"], [*real, *(["generated", *p] for p in samples.tolist())])
        if is_image(tuple(samples.shape[1:])):
            images = samples[..., 0] if samples.ndim == 4 and samples.shape[-1] == 1 else samples
            return images_text(["sample"], (([i], a) for i, a in enumerate(images)))
        return images_text(["sample"], (([i], a.reshape(-1)) for i, a in enumerate(samples)))

    def clear(self) -> None:
        self.samples = self.real_points = None
        self.image.clear()
        self.real.setData([], [])
        self.fake.setData([], [])
        self.path.setData([], [])
        self.mode = ""


def show_samples(view: SampleView, samples: np.ndarray, grid: np.ndarray | None, real: np.ndarray | None) -> None:
    """Fixed-seed samples as the worker sent them: its tiled grid, a scatter, or one row per sample."""
    view.samples, view.real_points = np.asarray(samples), real
    if grid is not None:
        view.show_picture(grid)
    elif samples.ndim == 2 and samples.shape[1] == 2:
        view.show_points(real, samples)
    else:
        view.show_picture(as_rows(samples))


def show_interpolation(view: SampleView, samples: np.ndarray, real: np.ndarray | None) -> None:
    """The path between two seeds: images in one strip, or the 2-D path over the real points."""
    view.samples, view.real_points = np.asarray(samples), real
    shape = tuple(samples.shape[1:])
    if is_image(shape):
        value_range = (float(real.min()), float(real.max())) if real is not None and len(real) else (
            float(samples.min()), float(samples.max()))
        view.show_picture(strip(samples, value_range))
    elif samples.ndim == 2 and samples.shape[1] == 2:
        view.show_points(real, samples, path=True)
    else:
        view.show_picture(as_rows(samples))
