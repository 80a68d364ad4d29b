"""Offline toy sets in two dimensions (circle, XOR, two Gaussians, spiral) and a regression set with outliers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.data.recipe import RawData
from core.data.sources import SourceSpec, opt_float, opt_int

TOY_OPTIONS: dict[str, Any] = {"samples": 400, "noise": 0.1, "seed": 0}


def _common(o: Mapping[str, Any]) -> tuple[int, float, np.random.Generator]:
    n = opt_int(o, "samples", 4, 1_000_000)
    noise = opt_float(o, "noise", 0.0, 10.0)
    return n, noise, np.random.default_rng(opt_int(o, "seed", 0, 2**31 - 1))


def circle(o: Mapping[str, Any]) -> RawData:
    """Points inside a circle (class 1) or in a ring around it (class 0)."""
    n, noise, rng = _common(o)
    y = rng.integers(0, 2, n)
    radius = np.where(y == 1, rng.uniform(0.0, 0.5, n), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    x += rng.normal(0, noise * 0.5, x.shape)
    return RawData(x.astype("float32"), y.astype("int64"), "classification", ["outside", "inside"])


def xor(o: Mapping[str, Any]) -> RawData:
    """Four clusters at the corners of a square; opposite corners share a class (not linearly separable)."""
    n, noise, rng = _common(o)
    corners = rng.integers(0, 2, (n, 2))
    x = corners * 2.0 - 1.0 + rng.normal(0, noise * 1.5 + 1e-3, (n, 2))
    y = corners[:, 0] ^ corners[:, 1]
    return RawData(x.astype("float32"), y.astype("int64"), "classification", ["same", "different"])


def gaussians(o: Mapping[str, Any]) -> RawData:
    """Two Gaussian blobs; ``noise`` widens them until they overlap."""
    n, noise, rng = _common(o)
    y = rng.integers(0, 2, n)
    centres = np.array([[-1.0, -1.0], [1.0, 1.0]])
    x = centres[y] + rng.normal(0, 0.3 + 2 * noise, (n, 2))
    return RawData(x.astype("float32"), y.astype("int64"), "classification", ["blue", "orange"])


def spiral(o: Mapping[str, Any]) -> RawData:
    """Two interleaved spirals: needs several layers of nonlinearity."""
    n, noise, rng = _common(o)
    y = rng.integers(0, 2, n)
    t = rng.uniform(0.25, 1.0, n) * 3 * np.pi
    angle = t + np.pi * y
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) / (3 * np.pi)
    x += rng.normal(0, noise * 0.2, x.shape)
    return RawData(x.astype("float32"), y.astype("int64"), "classification", ["arm A", "arm B"])


def outliers(o: Mapping[str, Any]) -> RawData:
    """y = 2x + 1 with noise and a fraction of gross outliers, all upward (sensor spikes): MSE's line is pulled
    up by them, MAE's (a median) and Huber's barely move."""
    n, noise, rng = _common(o)
    fraction = opt_float(o, "outliers", 0.0, 0.9)
    x = rng.uniform(-1, 1, (n, 1))
    y = 2 * x[:, 0] + 1 + rng.normal(0, noise, n)
    bad = rng.random(n) < fraction
    y[bad] += rng.uniform(5, 10, bad.sum())
    return RawData(x.astype("float32"), y[:, None].astype("float32"), "regression",
                   notes=f"{int(bad.sum())} outliers; true line y = 2x + 1")


SOURCES = (
    SourceSpec("toy.circle", "Circle", "Toy 2-D", "Inside or outside a circle: a hidden layer is enough.",
               circle, TOY_OPTIONS),
    SourceSpec("toy.xor", "XOR", "Toy 2-D", "Exclusive or of two noisy coordinates: not linearly separable.",
               xor, TOY_OPTIONS),
    SourceSpec("toy.gaussians", "Two Gaussians", "Toy 2-D", "Two blobs, linearly separable when noise is low.",
               gaussians, TOY_OPTIONS),
    SourceSpec("toy.spiral", "Spiral", "Toy 2-D", "Two interleaved spirals: a hard case for shallow nets.",
               spiral, TOY_OPTIONS),
    SourceSpec("toy.outliers", "Line with outliers", "Regression",
               "A noisy line with gross outliers: compare MSE (pulled away) with MAE or Huber (robust).",
               outliers, {**TOY_OPTIONS, "noise": 0.1, "outliers": 0.1}),
)
