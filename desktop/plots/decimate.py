"""Min/max decimation of long, growing curves, kept up to date incrementally.

A ``Pyramid`` holds, for level k = 1, 2, ..., the minimum and maximum of each complete block of 4**k points.
Only blocks completed since the last update are computed, so a refresh of a 1,000,000-point curve costs
what its new points cost. ``view`` returns, for the visible index range, the coarsest level that still
gives about ``budget`` blocks, as an envelope (each block's min and max, in order) followed by the raw
points of the last, incomplete block. Peaks survive: what pyqtgraph's "peak" downsampling would show.
"""

from __future__ import annotations

import numpy as np

from desktop.plots.smoothing import Grow

FACTOR = 4


class Pyramid:
    def __init__(self) -> None:
        self.n = 0
        self.levels: list[tuple[Grow, Grow]] = []

    def update(self, y: np.ndarray) -> None:
        """Take in the points of ``y`` beyond those already seen (``y`` only grows; a shorter one resets)."""
        if len(y) < self.n:
            self.n, self.levels = 0, []
        below_min, below_max = y, y
        for k in range(1, 64):
            if len(below_min) < FACTOR:
                break
            if len(self.levels) < k:
                self.levels.append((Grow(), Grow()))
            mins, maxs = self.levels[k - 1]
            start = len(mins) * FACTOR
            stop = (len(below_min) // FACTOR) * FACTOR
            if stop > start:
                lo = below_min[start:stop].reshape(-1, FACTOR)
                hi = below_max[start:stop].reshape(-1, FACTOR)
                mins.extend(np.fmin.reduce(lo, axis=1))
                maxs.extend(np.fmax.reduce(hi, axis=1))
            below_min, below_max = mins.data, maxs.data
        self.n = len(y)

    def view(self, x: np.ndarray, y: np.ndarray, i0: int, i1: int, budget: int) -> tuple[np.ndarray, np.ndarray]:
        """Points to draw for indices ``[i0, i1)`` (about ``2 * budget`` of them at most, plus a tail)."""
        n = i1 - i0
        k = 0
        while k < len(self.levels) and n / FACTOR**k > budget:
            k += 1
        if k == 0:
            return x[i0:i1], y[i0:i1]
        block = FACTOR**k
        mins, maxs = self.levels[k - 1]
        b0, b1 = i0 // block, min(i1 // block, len(mins))
        if b1 <= b0:
            return x[i0:i1], y[i0:i1]
        xs = np.repeat(x[b0 * block:b1 * block:block], 2)
        ys = np.empty(2 * (b1 - b0))
        ys[0::2], ys[1::2] = mins.data[b0:b1], maxs.data[b0:b1]
        tail = slice(b1 * block, i1)
        return np.concatenate([xs, x[tail]]), np.concatenate([ys, y[tail]])

    def bounds(self, y: np.ndarray) -> tuple[float, float]:
        """(min, max) of ``y`` (NaN ignored) from the coarsest level plus the points it does not cover yet."""
        if not self.levels:
            return finite_range(y)
        mins, maxs = self.levels[-1]
        covered = len(mins) * FACTOR ** len(self.levels)
        lo, hi = finite_range(y[covered:])
        if len(mins):
            lo, hi = float(np.fmin(lo, np.nanmin(mins.data))), float(np.fmax(hi, np.nanmax(maxs.data)))
        return lo, hi


def finite_range(y: np.ndarray) -> tuple[float, float]:
    finite = y[np.isfinite(y)]
    return (float(finite.min()), float(finite.max())) if finite.size else (float("nan"), float("nan"))
