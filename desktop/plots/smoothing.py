"""Exponential moving average kept up to date incrementally (only new points are filtered each tick)."""

from __future__ import annotations

import numpy as np


class Grow:
    """A float64 array with amortised O(1) appends of chunks; ``data`` is a view."""

    def __init__(self) -> None:
        self._data = np.empty(256, dtype="float64")
        self._size = 0

    def append(self, value: float) -> None:
        self.extend(np.array([value]))

    def extend(self, values: np.ndarray) -> None:
        need = self._size + len(values)
        if need > len(self._data):
            grown = np.empty(max(need, 2 * len(self._data)), dtype="float64")
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size:need] = values
        self._size = need

    @property
    def data(self) -> np.ndarray:
        return self._data[: self._size]

    def __len__(self) -> int:
        return self._size


class Ema:
    """EMA of a growing series: ``update(values)`` filters the points added since the last call."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self.out = Grow()
        self._last = float("nan")

    def reset(self, weight: float | None = None) -> None:
        self.weight = self.weight if weight is None else weight
        self.out = Grow()
        self._last = float("nan")

    def update(self, values: np.ndarray) -> np.ndarray:
        new = np.asarray(values[len(self.out):], dtype="float64")
        if len(values) < len(self.out):
            self.reset()
            new = np.asarray(values, dtype="float64")
        if len(new):
            self._extend(new)
        return self.out.data

    def _extend(self, new: np.ndarray) -> None:
        w = self.weight
        if len(new) > 256:
            self._extend_vector(new)
            return
        last = self._last
        chunk = np.empty(len(new))
        for i, v in enumerate(new.tolist()):
            if v == v and abs(v) != float("inf"):
                last = v if last != last else w * last + (1.0 - w) * v
            chunk[i] = last
        self.out.extend(chunk)
        self._last = last

    def _extend_vector(self, new: np.ndarray) -> None:
        from scipy.signal import lfilter

        filled = new.copy()
        finite = np.isfinite(filled)
        if not finite.any():
            self.out.extend(np.full(len(new), self._last))
            return
        first = int(np.argmax(finite))
        idx = np.where(finite, np.arange(len(filled)), 0)
        np.maximum.accumulate(idx, out=idx)
        filled = filled[idx]  # forward fill
        filled[:first] = filled[first]
        start = self._last if np.isfinite(self._last) else filled[first]
        w = self.weight
        smoothed, _ = lfilter([1.0 - w], [1.0, -w], filled, zi=[w * start])
        if not np.isfinite(self._last):
            smoothed[:first] = np.nan
        self.out.extend(smoothed)
        self._last = float(smoothed[-1])
