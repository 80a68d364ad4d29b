"""Run every ``bench_*.py`` module here and print one table: ``python -m tests.benchmarks [name ...]``.

Names filter the modules (``shapes`` runs ``bench_shapes``). ``--strict`` exits with 1 when a target is
missed; by default the table is informational (a shared machine is noisy).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from collections.abc import Sequence

import tests.benchmarks as package
from tests.benchmarks.common import Row

HEADERS = ("figure", "target", "median", "baseline", "ratio", "result")


def modules(only: Sequence[str] = ()) -> list[str]:
    """Names of the benchmark modules, sorted, optionally filtered by topic."""
    found = sorted(i.name for i in pkgutil.iter_modules(package.__path__) if i.name.startswith("bench_"))
    wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in only}
    return [n for n in found if not wanted or n in wanted]


def collect(names: Sequence[str]) -> tuple[list[tuple[str, Row]], list[str]]:
    rows: list[tuple[str, Row]] = []
    failures: list[str] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"{package.__name__}.{name}")
            rows += [(name, row) for row in module.run()]
        except Exception:
            failures.append(name)
            traceback.print_exc()
    return rows, failures


def cells(row: Row) -> tuple[str, ...]:
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
    result = {True: "ok", False: "MISSED", None: "-"}[row.ok]
    return (row.figure, row.target, row.show(row.median), row.show(row.baseline), ratio, result)


def table(rows: Sequence[Row]) -> str:
    lines = [HEADERS, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADERS))]
    out = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: Sequence[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the table
    strict = "--strict" in argv
    rows, failures = collect(modules([a for a in argv if not a.startswith("-")]))
    print(table([row for _, row in rows]))
    for name in failures:
        print(f"{name}: failed (traceback above)")
    missed = [row.figure for _, row in rows if row.ok is False]
    return 1 if failures or (strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
