"""What every benchmark module shares: the ``Row`` it reports and a timer that returns medians.

A benchmark module is ``tests/benchmarks/bench_<topic>.py`` with ``def run() -> list[Row]``; the runner
(``python -m tests.benchmarks``, ``make bench``) finds it by name. Times are ``time.perf_counter`` seconds;
report medians of several repeats, and ratios against a baseline measured in the same run, since the
machine is shared and absolute times wander.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured figure. Give ``limit`` (seconds) for an absolute target or ``max_ratio`` with ``baseline``."""

    figure: str
    target: str
    median: float
    baseline: float | None = None
    limit: float | None = None
    max_ratio: float | None = None
    repeats: int = 0
    unit: str = "s"
    """``s`` for durations (shown as ms or s); any other unit is printed after the plain number."""
    paired_ratio: float | None = None
    """The ratio to judge when it was measured pair by pair (the median of per-round ratios, each variant next
    to its baseline in time), which a busy machine's drift disturbs less than the ratio of two medians."""

    def show(self, value: float | None) -> str:
        if value is None or self.unit == "s":
            return seconds(value)
        return f"{value:.4g} {self.unit}"

    @property
    def ratio(self) -> float | None:
        if self.paired_ratio is not None:
            return self.paired_ratio
        return self.median / self.baseline if self.baseline else None

    @property
    def ok(self) -> bool | None:
        """Whether the target is met; ``None`` when the row states no checkable target."""
        if self.limit is not None:
            return self.median <= self.limit
        if self.max_ratio is not None and self.ratio is not None:
            return self.ratio <= self.max_ratio
        return None


def timings(fn: Callable[[], object], repeats: int = 15, warmup: int = 1,
            setup: Callable[[], object] | None = None) -> list[float]:
    """Seconds per call of ``fn`` over ``repeats`` runs after ``warmup`` untimed ones; ``setup`` runs untimed."""
    out = []
    for i in range(warmup + repeats):
        if setup is not None:
            setup()
        gc.collect()
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            out.append(elapsed)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def seconds(value: float | None) -> str:
    """A duration as people read it: ``8.4 ms``, ``1.52 s``."""
    if value is None:
        return "-"
    if value < 1.0:
        return f"{value * 1e3:.2f} ms" if value < 0.1 else f"{value * 1e3:.0f} ms"
    return f"{value:.2f} s"
