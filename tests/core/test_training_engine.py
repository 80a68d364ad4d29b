"""The spawned path: a worker process per run, signals in the parent, crashes, stop, pause, MirroredStrategy."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.training.engine import TrainingEngine, TrainingRun
from core.training.messages import BatchEnd, Failed, Finished, Log, Phase
from tests.core.test_training import mlp

pytestmark = [pytest.mark.tf, pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]

XOR = {"source": "toy.xor", "options": {"samples": 200}}
LONG = {"source": "toy.xor", "options": {"samples": 20000}}
TIMEOUT = 240


@pytest.fixture(scope="module")
def engine() -> Iterator[TrainingEngine]:
    eng = TrainingEngine(warm=1)
    yield eng
    eng.close()


def on_first_batch(run: TrainingRun, action: Any) -> threading.Event:
    seen = threading.Event()

    def slot(msg: BatchEnd) -> None:
        if not seen.is_set():
            seen.set()
            action()

    run.batch_ended.connect(slot)
    return seen


def test_spawned_run_streams_and_finishes(engine: TrainingEngine, tmp_path: Path) -> None:
    phases: list[str] = []
    run = engine.start(mlp(2, [8], 2), XOR, {"epochs": 3, "batch_size": 50}, tmp_path)
    run.phase.connect(lambda m: phases.append(m.phase))
    result = run.wait(TIMEOUT)
    assert isinstance(result, Finished), result
    assert result.epochs_done == 3
    assert result.time_to_first_batch is not None
    assert "CPU" in result.device or "GPU" in result.device
    assert len(run.history.epoch) == 3
    assert len(run.history.batch) == 12  # 160 training samples in batches of 50: 4 per epoch
    assert Path(result.weights_path).exists()
    assert (tmp_path / "history.npz").exists()
    assert "training" in phases or run.current_phase == "finished"


def test_batch_ends_gathered_in_the_worker_reach_the_parent_one_by_one(engine: TrainingEngine,
                                                                      tmp_path: Path) -> None:
    """Tiny batches end far faster than ``heartbeat.COALESCE``: the worker sends them gathered, and every one
    still arrives as its own ``batch_ended`` signal, in order, into the run's history."""
    batches: list[BatchEnd] = []
    run = engine.start(mlp(2, [8], 2), {"source": "toy.xor", "options": {"samples": 1000}},
                       {"epochs": 2, "batch_size": 8}, tmp_path)
    run.batch_ended.connect(batches.append)
    result = run.wait(TIMEOUT)
    assert isinstance(result, Finished), result
    assert [b.step for b in batches] == list(range(1, 201))  # 800 training samples in batches of 8, 2 epochs
    assert [b.batch for b in batches[:100]] == list(range(100))
    assert list(run.history.batch.x.data) == list(range(1, 201))


def test_killed_worker_is_reported_and_the_engine_carries_on(engine: TrainingEngine, tmp_path: Path) -> None:
    run = engine.start(mlp(2, [8], 2), LONG, {"epochs": 100}, tmp_path / "a")
    on_first_batch(run, lambda: os.kill(run.worker.process.pid, signal.SIGKILL))
    failed: list[Failed] = []
    run.failed.connect(failed.append)
    result = run.wait(TIMEOUT)
    assert isinstance(result, Failed), result
    assert result.kind == "crashed"
    assert "SIGKILL" in result.error
    assert failed == [result]
    again = engine.start(mlp(2, [8], 2), XOR, {"epochs": 1}, tmp_path / "b")
    assert isinstance(again.wait(TIMEOUT), Finished)


def test_stop_pause_and_resume_through_the_engine(engine: TrainingEngine, tmp_path: Path) -> None:
    run = engine.start(mlp(2, [8], 2), LONG, {"epochs": 100}, tmp_path)
    paused = on_first_batch(run, run.pause)
    assert paused.wait(TIMEOUT)
    assert run.paused
    run.resume()
    run.stop()
    result = run.wait(TIMEOUT)
    assert isinstance(result, Finished), result
    assert result.stopped
    assert result.epochs_done == 0
    assert (tmp_path / "checkpoint-weights.npz").exists()


def test_a_hung_worker_is_killed_after_the_grace_period(engine: TrainingEngine, tmp_path: Path) -> None:
    run = engine.start(mlp(2, [8], 2), LONG, {"epochs": 100}, tmp_path)
    run.grace = 1.0
    frozen = on_first_batch(run, lambda: os.kill(run.worker.process.pid, signal.SIGSTOP))  # stuck in a kernel
    assert frozen.wait(TIMEOUT)
    run.stop()
    result = run.wait(TIMEOUT)
    assert isinstance(result, Failed), result
    assert result.kind == "killed"
    assert "did not stop within 1 s" in result.error


def test_bad_graph_fails_cleanly(engine: TrainingEngine, tmp_path: Path) -> None:
    run = engine.start(mlp(5, [8], 2), XOR, {"epochs": 1}, tmp_path)
    result = run.wait(TIMEOUT)
    assert isinstance(result, Failed)
    assert result.kind == "data"
    assert "(2,)" in result.error


def test_mirrored_strategy_on_two_virtual_cpus(tmp_path: Path) -> None:
    eng = TrainingEngine(warm=0)
    try:
        logs: list[str] = []
        run = eng.start(mlp(2, [8], 2), XOR, {"epochs": 2, "strategy": "mirrored", "batch_size": 20}, tmp_path,
                        virtual_cpus=2)
        run.log.connect(lambda m: logs.append(m.text))
        result = run.wait(TIMEOUT)
        assert isinstance(result, Finished), result
        assert any("MirroredStrategy with 2 replicas" in t for t in logs)
        assert result.epochs_done == 2
    finally:
        eng.close()


def test_phases_are_messages() -> None:
    assert Phase("compiling").phase == "compiling"
    assert Log("info", "x").text == "x"
