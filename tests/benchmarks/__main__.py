"""Run every ``bench_*.py`` module here and print one table: ``python -m tests.benchmarks [name ...]``.

Names filter the modules (``shapes`` runs ``bench_shapes``). ``--strict`` exits with 1 when a target is
missed; by default the table is informational (a shared machine is noisy). ``--out FILE`` writes the table
with the machine it ran on as Markdown (a full run writes ``tests/benchmarks/RESULTS.md`` by default);
``--readme`` also puts that Markdown into README.md between the ``bench`` markers (``make bench`` does both).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
import traceback
from collections.abc import Sequence

import tests.benchmarks as package
from tests.benchmarks import report
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
        print(f"running {name} ... (load average {report.load_average()})", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"{package.__name__}.{name}")
            rows += [(name, row) for row in module.run()]
        except Exception:
            failures.append(name)
            traceback.print_exc()
        print(f"{name} took {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
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


RESULTS = os.path.join(os.path.dirname(__file__), "RESULTS.md")
README = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "README.md")


def _options(argv: Sequence[str]) -> tuple[list[str], str | None, bool, bool]:
    names: list[str] = []
    out: str | None = None
    args = iter(argv)
    for a in args:
        if a == "--out":
            out = next(args, None)
        elif a.startswith("--out="):
            out = a.split("=", 1)[1]
        elif not a.startswith("-"):
            names.append(a)
    return names, out, "--strict" in argv, "--readme" in argv


def main(argv: Sequence[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the table
    names, out, strict, readme = _options(argv)
    load_before, start = report.load_average(), time.perf_counter()
    rows, failures = collect(modules(names))
    print(table([row for _, row in rows]))
    facts = report.machine()
    facts["load average (1, 5, 15 min)"] = f"{load_before} at the start, {report.load_average()} at the end"
    only = f" ({', '.join(names)} only)" if names else ""
    facts["wall time"] = f"{(time.perf_counter() - start) / 60:.1f} min{only}"
    text = report.markdown(rows, facts, cells)
    if out is None and (not names or readme):
        out = RESULTS
    if out:
        report.write(out, text)
    if readme:
        with open(README, encoding="utf-8") as f:
            report.write(README, report.replace_block(f.read(), text))
    for name in failures:
        print(f"{name}: failed (traceback above)")
    missed = [row.figure for _, row in rows if row.ok is False]
    return 1 if failures or (strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
