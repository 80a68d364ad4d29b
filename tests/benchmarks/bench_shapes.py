"""Shape inference + validation of 1,000-node graphs: the editor re-runs it after every edit (target < 20 ms).

Baseline: ``topological_order`` alone, the least any whole-graph pass must do, measured in the same run.
"""

from __future__ import annotations

from core.graph.model import Graph
from core.graph.validation import topological_order
from core.translate.shapes import infer_graph
from tests.benchmarks.common import Row, median, timings
from tests.benchmarks.graphs import dense_chain, residual

LIMIT = 0.020
REPEATS = 25


def _row(figure: str, graph: Graph) -> Row:
    info = infer_graph(graph)
    assert info.ok, info.errors[:1]
    assert len(info.order) == len(graph)
    measured = median(timings(lambda: infer_graph(graph), REPEATS))
    baseline = median(timings(lambda: topological_order(graph), REPEATS))
    return Row(figure, "< 20 ms", measured, baseline=baseline, limit=LIMIT, repeats=REPEATS)


def _load_row() -> Row:
    data = residual(1000).to_dict()
    measured = median(timings(lambda: Graph.from_dict(data), 5))
    return Row("load a 1,000-node residual graph (from_dict, every edge checked)", "-", measured, repeats=5)


def run() -> list[Row]:
    return [
        _row("shapes + validation, 1,000-node Dense chain", dense_chain(1000)),
        _row("shapes + validation, 1,000-node residual graph", residual(1000)),
        _load_row(),
    ]
