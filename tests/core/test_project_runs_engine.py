"""Runs through the real engine (a spawned worker per run) kept in a project: stop after epoch 1 of 3 and
resume from the project alone; a crashed worker's run kept with its last checkpoint."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.project.project import Project
from core.training.config import TrainingConfig
from core.training.engine import TrainingEngine, TrainingRun
from core.training.messages import Failed, Finished
from core.training.runstore import RunRecord, new_run_id, prepare_resume, status_text, store_run, why_not_resumable
from tests.core.test_training import mlp

pytestmark = [pytest.mark.tf, pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]

XOR = {"source": "toy.xor", "options": {"samples": 200}}
LONG = {"source": "toy.xor", "options": {"samples": 4000}}
TIMEOUT = 240


@pytest.fixture(scope="module")
def engine() -> Iterator[TrainingEngine]:
    eng = TrainingEngine(warm=1)
    yield eng
    eng.close()


def after_epochs(run: TrainingRun, n: int, action: object, signal_name: str = "epoch_ended") -> threading.Event:
    seen, count = threading.Event(), [0]

    def slot(_msg: object) -> None:
        count[0] += 1
        if count[0] == n and not seen.is_set():
            seen.set()
            action()  # type: ignore[operator]

    getattr(run, signal_name).connect(slot)
    return seen


def test_stop_after_epoch_one_then_resume_from_the_project(engine: TrainingEngine, tmp_path: Path) -> None:
    graph = mlp(2, [8], 2)
    config = TrainingConfig.from_dict({"epochs": 3, "batch_size": 40, "checkpoint_seconds": 0})
    project = Project(graphs={"main": graph}, data=XOR)
    run = engine.start(graph, XOR, config, tmp_path / "a")
    after_epochs(run, 1, run.stop)
    result = run.wait(TIMEOUT)
    assert isinstance(result, Finished) and result.stopped, result
    record = RunRecord(config, tmp_path / "a", run.history.arrays(), 4, graph.to_dict(), XOR, run_id=new_run_id())
    run_id = store_run(project, result, record)
    path = project.save(tmp_path / "p.layerbench")

    project = Project.load(path)  # only the project file from here on
    stored = project.run(run_id)
    assert status_text(stored) == "stopped at epoch 1/3" and why_not_resumable(stored) is None
    checkpoint = project.weights(run_id, checkpoint="last")
    plan = prepare_resume(project, run_id, tmp_path / "b")
    resumed = engine.start(plan.graph, plan.data, plan.config, tmp_path / "b", resume=True)
    logs: list[str] = []
    resumed.log.connect(lambda m: logs.append(m.text))
    result = resumed.wait(TIMEOUT)
    assert isinstance(result, Finished) and not result.stopped, result
    assert "resumed after epoch 1" in logs
    store_run(project, result, RunRecord(plan.config, tmp_path / "b", resumed.history.arrays(), 4, plan.graph,
                                         plan.data, run_id=run_id))
    [stored] = project.runs
    assert stored.status == "finished" and stored.info["epochs"] == 3
    assert list(project.history(run_id)["epoch/x"]) == [1.0, 2.0, 3.0]
    final = project.weights(run_id)
    assert any(not np.array_equal(a, b) for name in checkpoint for a, b in zip(checkpoint[name], final[name]))


def test_a_crashed_worker_keeps_its_last_checkpoint(engine: TrainingEngine, tmp_path: Path) -> None:
    graph = mlp(2, [8], 2)
    config = TrainingConfig.from_dict({"epochs": 50, "batch_size": 100, "checkpoint_seconds": 0})
    project = Project(graphs={"main": graph}, data=LONG)
    run = engine.start(graph, LONG, config, tmp_path / "a")
    after_epochs(run, 2, lambda: os.kill(run.worker.process.pid, signal.SIGKILL), "checkpointed")
    result = run.wait(TIMEOUT)
    assert isinstance(result, Failed) and result.kind == "crashed", result
    run_id = store_run(project, result, RunRecord(config, tmp_path / "a", run.history.arrays(), 32,
                                                  graph.to_dict(), LONG, run_id=new_run_id()))
    stored = project.run(run_id)
    assert status_text(stored).startswith("failed: the training process was ended by SIGKILL")
    assert stored.info["checkpoint"]["epoch"] >= 2 and why_not_resumable(stored) is None
    assert stored.checkpoints["last"]["main"] == stored.weights["main"]  # the run's weights: its checkpoint's
    assert len(project.history(run_id)["epoch/x"]) >= 2
