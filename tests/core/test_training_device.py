"""The device actually used is reported as soon as the model is built, before the first batch: in-process (the
plain path) and through the engine with ``MirroredStrategy`` on two virtual CPUs (the strategy and replicas)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.training.engine import TrainingEngine
from core.training.messages import BatchEnd, Device, Finished, Phase
from tests.core.test_training import mlp, train

pytestmark = pytest.mark.tf
XOR = {"source": "toy.xor", "options": {"samples": 200}}
TIMEOUT = 240


def test_device_comes_before_the_first_batch(tmp_path: Path) -> None:
    result, messages = train(tmp_path, mlp(2, [8], 2), XOR, epochs=1, batch_size=50)
    assert isinstance(result, Finished), result
    kinds = [type(m) for m in messages]
    device = next(m for m in messages if isinstance(m, Device))
    assert kinds.index(Device) < kinds.index(BatchEnd)
    assert messages.index(device) < messages.index(Phase("compiling", "tracing the graph until the first batch"))
    assert device.device == result.device  # the same device the run ends on
    assert device.label.startswith(("CPU:", "GPU:"))
    assert kinds.count(Device) == 1


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="spawned worker")
def test_the_engine_reports_device_and_strategy_before_the_first_batch(tmp_path: Path) -> None:
    eng = TrainingEngine(warm=0)
    try:
        order: list[object] = []
        run = eng.start(mlp(2, [8], 2), XOR, {"epochs": 1, "strategy": "mirrored", "batch_size": 20}, tmp_path,
                        virtual_cpus=2)
        run.device_reported.connect(order.append)
        run.batch_ended.connect(order.append)
        assert isinstance(run.wait(TIMEOUT), Finished), run.result
        assert isinstance(order[0], Device), order[:2]
        assert run.device == order[0]
        assert run.device.strategy == "MirroredStrategy"
        assert run.device.replicas == 2
        assert "MirroredStrategy over 2 replicas" in run.device.label
    finally:
        eng.close()
