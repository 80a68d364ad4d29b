"""Offline image sets: scikit-learn's 8x8 digits and a generated set of 28x28 shapes drawn with NumPy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from core.data.errors import DataError
from core.data.recipe import RawData
from core.data.sources import SourceSpec, opt_float, opt_int

SHAPE_CLASSES = ("square", "circle", "triangle", "line")
SIDE = 28


def digits(o: Mapping[str, Any]) -> RawData:
    """The 1,797 handwritten digits bundled with scikit-learn, as (8, 8, 1) images with values 0..16."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise DataError("the digits set needs scikit-learn, which is not installed", "source") from exc
    bunch = load_digits()
    x = np.asarray(bunch.images, dtype="float32")[..., None]
    y = np.asarray(bunch.target, dtype="int64")
    return RawData(x, y, "classification", [str(i) for i in range(10)], notes="pixel values 0..16")


def _grid() -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    return yy.astype("float32"), xx.astype("float32")


def _square(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    half = rng.uniform(4, 9)
    cy, cx = rng.uniform(half + 1, SIDE - half - 1, 2)
    inside: np.ndarray = (np.abs(yy - cy) <= half) & (np.abs(xx - cx) <= half)
    return inside.astype("float32")


def _circle(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    r = rng.uniform(4, 10)
    cy, cx = rng.uniform(r + 1, SIDE - r - 1, 2)
    inside: np.ndarray = ((yy - cy) ** 2 + (xx - cx) ** 2) <= r * r
    return inside.astype("float32")


def _triangle(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    h = rng.uniform(8, 20)
    top = rng.uniform(2, SIDE - h - 2)
    cx = rng.uniform(h / 2 + 2, SIDE - h / 2 - 2)
    depth = yy - top
    return ((depth >= 0) & (depth <= h) & (np.abs(xx - cx) <= depth / 2)).astype("float32")


def _line(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    angle = rng.uniform(0, np.pi)
    cy, cx = rng.uniform(10, 18, 2)
    length = rng.uniform(8, 13)
    dy, dx = np.sin(angle), np.cos(angle)
    along = (yy - cy) * dy + (xx - cx) * dx
    across = np.abs((yy - cy) * dx - (xx - cx) * dy)
    inside: np.ndarray = (across <= 1.0) & (np.abs(along) <= length)
    return inside.astype("float32")


_DRAW: tuple[Callable[[np.random.Generator, np.ndarray, np.ndarray], np.ndarray], ...] = (
    _square, _circle, _triangle, _line,
)


def shapes(o: Mapping[str, Any]) -> RawData:
    """Squares, circles, triangles and lines at random sizes and places, with pixel noise; (28, 28, 1) in 0..1."""
    n = opt_int(o, "samples", 4, 200_000)
    noise = opt_float(o, "noise", 0.0, 1.0)
    count = opt_int(o, "classes", 2, len(_DRAW))
    rng = np.random.default_rng(opt_int(o, "seed", 0, 2**31 - 1))
    yy, xx = _grid()
    y = rng.integers(0, count, n)
    x = np.empty((n, SIDE, SIDE, 1), dtype="float32")
    for i, label in enumerate(y):
        x[i, :, :, 0] = _DRAW[label](rng, yy, xx)
    if noise:
        x = np.clip(x + rng.normal(0, noise, x.shape).astype("float32"), 0.0, 1.0)
    return RawData(x, y.astype("int64"), "classification", list(SHAPE_CLASSES[:count]))


SOURCES = (
    SourceSpec("digits", "Digits 8x8", "Images", "scikit-learn's 1,797 small handwritten digits (offline).",
               digits, {}),
    SourceSpec("shapes", "Shapes 28x28", "Images",
               "Generated squares, circles, triangles and lines: a first convolutional network learns them fast.",
               shapes, {"samples": 2000, "noise": 0.05, "classes": 4, "seed": 0}),
)
