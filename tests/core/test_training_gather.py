"""The worker gathers batches' logs and turns them into messages and history rows together
(``RunContext.gather``, ``callbacks.flush_batches``): nothing is lost, reordered or late past an epoch's end,
a stop or a divergence. In-process runs with a ``send`` that has ``tick`` gather as the worker process does."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.training.checkpoint import RunFolder
from core.training.history import History
from core.training.messages import BatchEnd, EpochEnd, Failed, Finished, Message
from core.training.worker import Job, run_job
from tests.core.test_training import Control, mlp, of

pytestmark = pytest.mark.tf

XOR = {"source": "toy.xor", "options": {"samples": 500}}  # 400 training samples: 50 batches of 8 per epoch


class Sender:
    """A ``send`` like the worker's ``Pulse``: it has ``tick``, so the run gathers; records when each came."""

    def __init__(self, on_batch: Any = None) -> None:
        self.messages: list[Message] = []
        self.sent_at: list[float] = []
        self.ticks = 0
        self.on_batch = on_batch

    def __call__(self, msg: Message) -> None:
        self.messages.append(msg)
        self.sent_at.append(time.monotonic())
        if isinstance(msg, BatchEnd) and self.on_batch is not None:
            self.on_batch(msg)

    def tick(self) -> None:
        self.ticks += 1


def run(tmp: Path, send: Sender, control: Control | None = None, graph: Any = None, data: Any = None,
        **config: Any) -> Message:
    job = Job((graph or mlp(2, [8], 2)).to_dict(), data or XOR, {"batch_size": 8, **config}, str(tmp))
    return run_job(job, send, control or Control())


def test_gathered_batches_arrive_complete_and_in_order_before_their_epoch_ends(tmp_path: Path) -> None:
    send = Sender()
    result = run(tmp_path, send, epochs=3)
    assert isinstance(result, Finished), result
    steps = [m.step for m in of(send.messages, BatchEnd)]
    assert steps == list(range(1, 151))
    kinds = [(type(m).__name__, getattr(m, "epoch", None)) for m in send.messages
             if isinstance(m, BatchEnd | EpochEnd)]
    for epoch in range(3):  # every batch of an epoch is sent before the epoch's end
        last_batch = max(i for i, k in enumerate(kinds) if k == ("BatchEnd", epoch))
        assert last_batch < kinds.index(("EpochEnd", epoch))
    history = History.from_npz(RunFolder(tmp_path).history)
    assert list(history.batch.x.data) == list(range(1, 151))
    assert np.all(np.isfinite(history.batch["loss"]))
    # gathered: most batches are sent back to back in a flush, not one training step apart
    times = [t for m, t in zip(send.messages, send.sent_at) if isinstance(m, BatchEnd)]
    back_to_back = sum(b - a < 2e-4 for a, b in itertools.pairwise(times))
    assert back_to_back > len(times) / 2


def test_skipped_batch_messages_still_tick_and_fill_the_history(tmp_path: Path) -> None:
    send = Sender()
    result = run(tmp_path, send, epochs=2, monitors={"batch_messages_every": 10})
    assert isinstance(result, Finished), result
    assert [m.step for m in of(send.messages, BatchEnd)] == [*range(10, 51, 10), *range(60, 101, 10)]
    assert send.ticks >= 100 - 10  # (validation batches tick too)
    assert list(History.from_npz(RunFolder(tmp_path).history).batch.x.data) == list(range(1, 101))


def test_a_stop_sends_the_gathered_batches_and_keeps_them_in_the_checkpoint(tmp_path: Path) -> None:
    control = Control()
    send = Sender(on_batch=lambda msg: control.stop.set() if msg.step >= 3 else None)
    result = run(tmp_path, send, control, epochs=50)
    assert isinstance(result, Finished) and result.stopped, result
    steps = [m.step for m in of(send.messages, BatchEnd)]
    assert steps == list(range(1, len(steps) + 1))  # none lost up to the stop
    assert steps[-1] < 100  # the stop was honoured within the first epochs, not at the end of the run
    assert RunFolder(tmp_path).state()["step"] == steps[-1]
    assert list(History.from_npz(RunFolder(tmp_path).history).batch.x.data) == steps


def test_a_divergence_sends_the_batches_up_to_it(tmp_path: Path) -> None:
    send = Sender()
    result = run(tmp_path, send, graph=mlp(1, [32, 32, 32], 1, activation="relu", out="linear"),
                 data={"source": "toy.outliers", "options": {"samples": 256}}, epochs=20, loss="mse",
                 optimizer={"name": "sgd", "learning_rate": 50.0})
    assert isinstance(result, Failed) and result.kind == "diverged", result
    batches = of(send.messages, BatchEnd)
    assert [m.step for m in batches] == list(range(1, len(batches) + 1))
    assert not np.isfinite(batches[-1].logs["loss"])  # the step that went non-finite was sent
