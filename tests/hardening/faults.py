"""Fault injection helper: run with a fault, edit the parent's graph meanwhile, check the report, the edit and a
next run in the same engine; each module's tally prints "N faults injected, N survived, 0 edits lost"."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from core.graph.model import Graph
from core.training.engine import TrainingEngine, TrainingRun
from core.training.messages import Failed, Finished
from tests.core.test_training import mlp
from tests.core.test_training_engine import on_first_batch

XOR = {"source": "toy.xor", "options": {"samples": 200}}
LONG = {"source": "toy.xor", "options": {"samples": 20000}}
TIMEOUT = 240
COUNTS = {"injected": 0, "survived": 0, "edits lost": 0}


def engine_with_tally(title: str) -> Iterator[TrainingEngine]:
    """A module's engine; on teardown prints and asserts the module's tally."""
    for key in COUNTS:
        COUNTS[key] = 0
    eng = TrainingEngine(warm=1)
    yield eng
    eng.close()
    line = f"{COUNTS['injected']} faults injected, {COUNTS['survived']} survived, {COUNTS['edits lost']} edits lost"
    print(f"\n{title}: {line}")
    assert COUNTS["injected"] == COUNTS["survived"], line
    assert COUNTS["edits lost"] == 0, line


def _edit(graph: Graph) -> None:
    """A user edit made in the parent while the faulty run goes on (a move and a parameter change)."""
    node = graph.nodes[-1]
    graph.move_nodes({node.id: (node.x + 17.0, node.y + 3.0)})
    if node.type == "Dense":
        graph.set_params(node.id, {"use_bias": not node.params.get("use_bias", True)})


def inject(engine: TrainingEngine, tmp_path: Path, graph: Graph, data: dict[str, Any], config: dict[str, Any],
           fault: Callable[[TrainingRun], None] | None = None, *, callbacks: tuple[Callable[[], Any], ...] = (),
           watchdog: float | None = None) -> Failed:
    """Run with a fault, edit the parent's graph meanwhile, then check the report, the edit and a next run.

    ``fault`` acts from the parent at the first batch; ``callbacks`` go into the worker (``Job.callbacks``);
    ``watchdog`` replaces the engine's for the faulty run only (the next run has the default)."""
    COUNTS["injected"] += 1
    default = engine.watchdog
    engine.watchdog = default if watchdog is None else watchdog
    try:
        run = engine.start(graph, data, config, tmp_path / "faulty", callbacks=callbacks)
    finally:
        engine.watchdog = default
    if fault is not None:
        assert on_first_batch(run, lambda: fault(run)).wait(TIMEOUT) or run.done
    _edit(graph)
    expected = graph.to_dict()
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


def signal_at_first_batch(sig: int) -> Callable[[TrainingRun], None]:
    return lambda run: os.kill(run.worker.process.pid, sig)
