"""Fault injection through the real engine and its spawned workers, with tiny models.

Each scenario injects one fault into a run (SIGKILL, SIGABRT, SIGSTOP with Stop, divergence to NaN, a model too
large to allocate, malformed CSV files), edits the parent's graph while the run is failing, and checks that:
the failure arrives as a ``failed`` signal in words, the parent's graph holds exactly what was edited (the run
worked on its own snapshot), and the next run in the same engine trains and finishes. The module prints
"N faults injected, N survived, 0 edits lost" and asserts it. (Plain SIGKILL/SIGSTOP cases are in
tests/core/test_training_engine.py; these add the edit and next-run checks and the other faults.)
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.graph.model import Graph
from core.training.engine import TrainingEngine, TrainingRun
from core.training.messages import Failed, Finished
from tests.conftest import add, link
from tests.core.test_training import mlp
from tests.core.test_training_engine import on_first_batch

pytestmark = [pytest.mark.tf, pytest.mark.slow, pytest.mark.timeout(300),
              pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]

XOR = {"source": "toy.xor", "options": {"samples": 200}}
LONG = {"source": "toy.xor", "options": {"samples": 20000}}
TIMEOUT = 240
COUNTS = {"injected": 0, "survived": 0, "edits lost": 0}


@pytest.fixture(scope="module")
def engine() -> Iterator[TrainingEngine]:
    eng = TrainingEngine(warm=1)
    yield eng
    eng.close()
    line = f"{COUNTS['injected']} faults injected, {COUNTS['survived']} survived, {COUNTS['edits lost']} edits lost"
    print(f"\nfault injection: {line}")
    assert COUNTS["injected"] == COUNTS["survived"], line
    assert COUNTS["edits lost"] == 0, line


def _edit(graph: Graph) -> None:
    """A user edit made in the parent while the faulty run goes on (a move and a parameter change)."""
    node = graph.nodes[-1]
    graph.move_nodes({node.id: (node.x + 17.0, node.y + 3.0)})
    if node.type == "Dense":
        graph.set_params(node.id, {"use_bias": not node.params.get("use_bias", True)})


def inject(engine: TrainingEngine, tmp_path: Path, graph: Graph, data: dict[str, Any], config: dict[str, Any],
           fault: Callable[[TrainingRun], None] | None = None) -> Failed:
    """Run with a fault, edit the parent's graph meanwhile, then check the report, the edit and a next run."""
    COUNTS["injected"] += 1
    run = engine.start(graph, data, config, tmp_path / "faulty")
    if fault is not None:
        assert on_first_batch(run, lambda: fault(run)).wait(TIMEOUT) or run.done
    _edit(graph)
    expected = graph.to_dict()
    failed: list[Failed] = []
    run.failed.connect(failed.append)
    result = run.wait(TIMEOUT)
    assert isinstance(result, Failed), result
    assert result.error.strip() and "Traceback" not in result.error
    if graph.to_dict() != expected:
        COUNTS["edits lost"] += 1
    assert graph.to_dict() == expected
    again = engine.start(mlp(2, [8], 2), XOR, {"epochs": 1}, tmp_path / "next")
    assert isinstance(again.wait(TIMEOUT), Finished), again.result
    assert not run.worker.alive()
    COUNTS["survived"] += 1
    return result


def _signal(sig: int) -> Callable[[TrainingRun], None]:
    return lambda run: os.kill(run.worker.process.pid, sig)


def test_worker_killed(engine: TrainingEngine, tmp_path: Path) -> None:
    result = inject(engine, tmp_path, mlp(2, [8], 2), LONG, {"epochs": 100}, _signal(signal.SIGKILL))
    assert result.kind == "crashed"
    assert "SIGKILL" in result.error


def test_worker_aborts(engine: TrainingEngine, tmp_path: Path) -> None:
    result = inject(engine, tmp_path, mlp(2, [8], 2), LONG, {"epochs": 100}, _signal(signal.SIGABRT))
    assert result.kind == "crashed"
    assert "SIGABRT" in result.error


def test_worker_hangs_and_is_ended_after_the_grace_period(engine: TrainingEngine, tmp_path: Path) -> None:
    def hang(run: TrainingRun) -> None:
        run.grace = 1.0
        os.kill(run.worker.process.pid, signal.SIGSTOP)  # stuck in a kernel: never reaches the next batch
        run.stop()

    result = inject(engine, tmp_path, mlp(2, [8], 2), LONG, {"epochs": 100}, hang)
    assert result.kind == "killed"
    assert "did not stop within 1 s" in result.error


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
    ("not_utf8.csv", "a,b,y\n1,2,0\n\udcff\udcfe,4,1\n"),
])
def test_malformed_csv(engine: TrainingEngine, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    data = {"source": "file.csv", "options": {"path": str(path), "label": "y"}}
    result = inject(engine, tmp_path, mlp(2, [8], 2), data, {"epochs": 1})
    assert result.kind == "data"
    assert name in result.error
