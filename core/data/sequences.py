"""Sequence tasks: noisy sine forecasting, and the adding problem / delayed parity for long-range memory.

The adding problem (Hochreiter & Schmidhuber): each step carries a random value and a marker; exactly two
steps are marked and the target is the sum of their values. With the first marker near the start of a long
sequence, a SimpleRNN's gradient from the output back to that step vanishes and it learns only the mean
(MSE ~0.17), while an LSTM or GRU solves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.data.recipe import RawData
from core.data.sources import SourceSpec, opt_float, opt_int


def sine(o: Mapping[str, Any]) -> RawData:
    """Windows of a noisy sine wave (``steps`` long, shape (steps, 1)); the target is the next value."""
    n = opt_int(o, "samples", 4, 1_000_000)
    steps = opt_int(o, "steps", 2, 10_000)
    noise = opt_float(o, "noise", 0.0, 10.0)
    rng = np.random.default_rng(opt_int(o, "seed", 0, 2**31 - 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    period = rng.uniform(15, 30, (n, 1))
    t = np.arange(steps + 1)[None, :]
    clean = np.sin(2 * np.pi * t / period + phase)
    noisy = clean + rng.normal(0, noise, clean.shape)
    x = noisy[:, :steps, None].astype("float32")
    y = clean[:, steps:].astype("float32")
    return RawData(x, y, "regression", notes="predict the next (noise-free) value")


def adding(o: Mapping[str, Any]) -> RawData:
    """Shape (steps, 2): value and marker per step; the target is the sum of the two marked values."""
    n = opt_int(o, "samples", 4, 1_000_000)
    steps = opt_int(o, "steps", 4, 10_000)
    rng = np.random.default_rng(opt_int(o, "seed", 0, 2**31 - 1))
    values = rng.uniform(0, 1, (n, steps))
    first = rng.integers(0, max(1, steps // 10), n)
    second = rng.integers(steps // 2, steps, n)
    marks = np.zeros((n, steps))
    marks[np.arange(n), first] = 1.0
    marks[np.arange(n), second] = 1.0
    x = np.stack([values, marks], axis=-1).astype("float32")
    y = (values[np.arange(n), first] + values[np.arange(n), second])[:, None].astype("float32")
    return RawData(x, y, "regression", notes="predicting the mean gives MSE about 0.167")


def parity(o: Mapping[str, Any]) -> RawData:
    """Shape (steps, 1) of random bits; the label is the bit seen ``delay`` steps before the end."""
    n = opt_int(o, "samples", 4, 1_000_000)
    steps = opt_int(o, "steps", 2, 10_000)
    delay = opt_int(o, "delay", 1, steps)
    rng = np.random.default_rng(opt_int(o, "seed", 0, 2**31 - 1))
    bits = rng.integers(0, 2, (n, steps))
    y = bits[:, steps - delay]
    return RawData(bits[..., None].astype("float32"), y.astype("int64"), "classification", ["0", "1"],
                   notes=f"remember one bit for {delay} steps")


SOURCES = (
    SourceSpec("seq.sine", "Noisy sine", "Sequences", "Forecast the next value of a noisy sine wave.",
               sine, {"samples": 1000, "steps": 30, "noise": 0.1, "seed": 0}),
    SourceSpec("seq.adding", "Adding problem", "Sequences",
               "Sum two marked values far apart: SimpleRNN fails (vanishing gradient), LSTM succeeds.",
               adding, {"samples": 2000, "steps": 50, "seed": 0}),
    SourceSpec("seq.parity", "Delayed recall", "Sequences",
               "Recall the bit seen `delay` steps ago: long delays defeat a SimpleRNN.",
               parity, {"samples": 2000, "steps": 40, "delay": 30, "seed": 0}),
)
