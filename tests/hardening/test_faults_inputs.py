"""Input faults through the real engine (tiny models): divergence to NaN, a model too large to allocate and
malformed CSV files, each with a parent edit during the run and a next run that finishes
(tests/hardening/faults.py); prints and asserts "N faults injected, N survived, 0 edits lost".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.graph.model import Graph
from core.training.engine import TrainingEngine
from tests.conftest import add, link
from tests.core.test_training import mlp
from tests.hardening.faults import XOR, engine_with_tally, inject

pytestmark = [pytest.mark.tf, pytest.mark.slow, pytest.mark.timeout(300),
              pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]


@pytest.fixture(scope="module")
def engine() -> Iterator[TrainingEngine]:
    yield from engine_with_tally("input faults")


def test_diverging_to_nan(engine: TrainingEngine, tmp_path: Path) -> None:
    graph = mlp(1, [32, 32, 32], 1, activation="relu", out="linear")
    result = inject(engine, tmp_path, graph, {"source": "toy.outliers", "options": {"samples": 256}},
                    {"epochs": 20, "loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 1e5}})
    assert result.kind == "diverged"
    assert result.node in {n.name for n in graph.nodes}
    assert result.node in result.error


def test_model_too_large_to_allocate(engine: TrainingEngine, tmp_path: Path) -> None:
    graph = Graph()
    nodes = [add(graph, "Input", shape=[2]), add(graph, "Dense", units=1_000_000),
             add(graph, "Dense", units=1_000_000), add(graph, "Dense", units=2, activation="softmax")]
    link(graph, *nodes)  # a 10^6 x 10^6 kernel: 4 TB, more than any machine here can give
    result = inject(engine, tmp_path, graph, XOR, {"epochs": 1})
    print(f"\ntoo large: [{result.kind}] {result.error[:300]} (node {result.node})")
    assert nodes[2].name in result.error or result.node == nodes[2].name or "memory" in result.error.lower()


@pytest.mark.parametrize(("name", "text"), [
    ("not_a_number.csv", "a,b,y\n1,2,0\n3,oops,1\n"),
    ("bad_quote.csv", 'a,b,y\n1,2,0\n"3,4,1\n5,6,0\n'),
])
def test_malformed_csv(engine: TrainingEngine, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    data = {"source": "file.csv", "options": {"path": str(path), "label": "y"}}
    result = inject(engine, tmp_path, mlp(2, [8], 2), data, {"epochs": 1})
    assert result.kind == "data"
    assert name in result.error
