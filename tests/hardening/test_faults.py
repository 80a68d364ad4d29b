"""Process faults through the real engine and its spawned workers (tiny models): the worker is killed
(SIGKILL), aborted from outside (SIGABRT) or from inside (``os.abort()`` in a Keras callback running in the
worker), hangs and the user presses Stop (SIGSTOP, then Stop: ended after the grace period) or hangs and nobody
does (SIGSTOP alone: the engine's watchdog ends it). Each case edits the parent's graph during the failing run
and checks that the failure is reported in words, the edit is kept and the next run in the same engine finishes
(tests/hardening/faults.py); prints and asserts "N faults injected, N survived, 0 edits lost". Input faults:
test_faults_inputs.py (split to keep each file short); the plain SIGKILL/SIGSTOP cases without these checks are
in tests/core/test_training_engine.py.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.training.engine import TrainingEngine, TrainingRun
from tests.core.test_training import mlp
from tests.hardening.faults import LONG, engine_with_tally, inject, signal_at_first_batch
from tests.hardening.worker_faults import abort_at_batch

pytestmark = [pytest.mark.tf, pytest.mark.slow, pytest.mark.timeout(300),
              pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]


@pytest.fixture(scope="module")
def engine() -> Iterator[TrainingEngine]:
    yield from engine_with_tally("process faults")


def test_worker_killed(engine: TrainingEngine, tmp_path: Path) -> None:
    result = inject(engine, tmp_path, mlp(2, [8], 2), LONG, {"epochs": 100}, signal_at_first_batch(signal.SIGKILL))
    assert result.kind == "crashed"
    assert "SIGKILL" in result.error


def test_worker_aborts(engine: TrainingEngine, tmp_path: Path) -> None:
    result = inject(engine, tmp_path, mlp(2, [8], 2), LONG, {"epochs": 100}, signal_at_first_batch(signal.SIGABRT))
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


def test_worker_aborts_from_inside(engine: TrainingEngine, tmp_path: Path) -> None:
    result = inject(engine, tmp_path, mlp(2, [8], 2), LONG, {"epochs": 100}, callbacks=(abort_at_batch(3),))
    assert result.kind == "crashed"
    assert "SIGABRT" in result.error
    assert "aborted" in result.error


def test_worker_hangs_and_the_watchdog_ends_it(engine: TrainingEngine, tmp_path: Path) -> None:
    result = inject(engine, tmp_path, mlp(2, [8], 2), LONG, {"epochs": 100},
                    signal_at_first_batch(signal.SIGSTOP), watchdog=3.0)  # frozen, and nobody presses Stop
    assert result.kind == "hung"
    assert "no message from the training process" in result.error
    assert "the last checkpoint is kept" in result.error
