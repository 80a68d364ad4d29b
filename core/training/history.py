"""Growable NumPy buffers per metric: messages append, plots read views (DESIGN.md §2.9)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np


class Buffer:
    """A float64 array that doubles its capacity as values are appended; ``data`` is a view, no copy."""

    def __init__(self, capacity: int = 256) -> None:
        self._data = np.empty(max(1, capacity), dtype="float64")
        self._size = 0

    def append(self, value: float) -> None:
        if self._size == len(self._data):
            grown = np.empty(2 * len(self._data), dtype="float64")
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size] = value
        self._size += 1

    def extend(self, values: np.ndarray) -> None:
        for v in np.asarray(values, dtype="float64").reshape(-1):
            self.append(float(v))

    @property
    def data(self) -> np.ndarray:
        return self._data[: self._size]

    def __len__(self) -> int:
        return self._size


class Series:
    """Named buffers sharing one x axis (step or epoch); a metric first seen late is padded with NaN."""

    def __init__(self) -> None:
        self.x = Buffer()
        self.values: dict[str, Buffer] = {}

    def add(self, x: float, values: Mapping[str, float]) -> None:
        for name in values:
            if name not in self.values:
                buf = Buffer()
                buf.extend(np.full(len(self.x), np.nan))
                self.values[name] = buf
        self.x.append(x)
        for name, buf in self.values.items():
            buf.append(float(values.get(name, np.nan)))

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name].data

    def __len__(self) -> int:
        return len(self.x)


class History:
    """A run's curves: per-batch logs, per-epoch logs and per-layer gradient norms."""

    def __init__(self) -> None:
        self.batch = Series()
        self.epoch = Series()
        self.gradients = Series()

    def arrays(self) -> dict[str, np.ndarray]:
        """Copies of every curve: ``batch/x``, ``batch/loss``, ``epoch/val_loss``, ``grad/dense_1``..."""
        arrays: dict[str, np.ndarray] = {}
        for prefix, series in (("batch", self.batch), ("epoch", self.epoch), ("grad", self.gradients)):
            arrays[f"{prefix}/x"] = series.x.data.copy()
            for name, buf in series.values.items():
                arrays[f"{prefix}/{name}"] = buf.data.copy()
        return arrays

    def to_npz(self, path: Path) -> None:
        write_npz(path, self.arrays())

    @classmethod
    def from_npz(cls, path: Path) -> History:
        history = cls()
        with np.load(path, allow_pickle=False) as f:
            for prefix, series in (("batch", history.batch), ("epoch", history.epoch), ("grad", history.gradients)):
                if f"{prefix}/x" not in f.files:
                    continue
                series.x.extend(f[f"{prefix}/x"])
                for key in f.files:
                    if key.startswith(prefix + "/") and key != f"{prefix}/x":
                        buf = Buffer()
                        buf.extend(f[key])
                        series.values[key.split("/", 1)[1]] = buf
        return history


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays (no pickle) to a temporary name, then move it into place."""
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)
