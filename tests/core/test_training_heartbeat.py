"""The worker's heartbeat (``core.training.heartbeat.Pulse``): beats mean progress, not merely a live thread.

``due`` is called with made-up clock readings, so these tests never wait.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from core.training.heartbeat import COALESCE, LONG_PHASE_LIMIT, Pulse
from core.training.messages import BatchEnd, Coalesced, Device, EpochEnd, Gradients, Heartbeat, Log, Phase


def make() -> tuple[Pulse, list[Any]]:
    sent: list[Any] = []
    return Pulse(sent.append, interval=1.0), sent


def test_a_long_phase_beats_without_progress_but_only_for_so_long() -> None:
    pulse, sent = make()
    pulse(Phase("compiling"))
    now = time.monotonic()
    assert pulse.due(now) is None  # a message has just gone: nothing to add
    assert pulse.due(now + 5) == Heartbeat("compiling", 1)
    assert pulse.due(now + 10) == Heartbeat("compiling", 1)  # tracing a deep graph: silent, not stuck
    assert pulse.due(now + LONG_PHASE_LIMIT + 10) is None  # stuck in the phase: the parent's watchdog will see
    assert sent == [Phase("compiling")]


def test_training_beats_only_after_progress() -> None:
    pulse, _ = make()
    pulse(Phase("training"))
    now = time.monotonic()
    assert pulse.due(now + 5) == Heartbeat("training", 1)  # the Phase message was progress
    assert pulse.due(now + 10) is None  # a deadlocked main thread: no beat although this thread runs
    pulse.tick()  # a batch ended (its BatchEnd skipped by batch_messages_every)
    assert pulse.due(now + 15) == Heartbeat("training", 2)
    assert pulse.due(now + 20) is None


def test_sends_from_other_threads_are_not_progress() -> None:
    pulse, sent = make()
    pulse(Phase("training"))
    now = time.monotonic()
    pulse.due(now + 5)
    other = threading.Thread(target=pulse, args=(Log("info", "checkpoint written"),))
    other.start()
    other.join()
    assert sent[-1] == Log("info", "checkpoint written")
    assert pulse.progress == 1
    assert pulse.due(now + 10) is None


def test_the_thread_beats_in_a_long_phase_and_is_silent_after_close() -> None:
    beat = threading.Event()
    sent: list[Any] = []

    def send(msg: Any) -> None:
        sent.append(msg)
        if isinstance(msg, Heartbeat):
            beat.set()

    pulse = Pulse(send, interval=0.05)
    pulse(Phase("building"))
    pulse.start()
    assert beat.wait(60)
    pulse.close()
    count = len(sent)
    pulse._thread.join(60)
    assert not pulse._thread.is_alive()
    assert len(sent) == count


def test_the_device_label_says_what_and_how() -> None:
    assert Device("/job:localhost/replica:0/task:0/device:CPU:0").label == "CPU:0"
    gpu = Device("/job:localhost/replica:0/task:0/device:GPU:0", "NVIDIA RTX A4000", "MirroredStrategy", 2)
    assert gpu.label == "GPU:0 (NVIDIA RTX A4000), MirroredStrategy over 2 replicas"


def batch(step: int) -> BatchEnd:
    return BatchEnd(0, step - 1, step, {"loss": 1.0 / step}, 100)


def test_batch_ends_are_gathered_and_sent_in_order_before_anything_else() -> None:
    pulse, sent = make()
    pulse.coalesce = 3600.0  # nothing is due by time in this test
    pulse(batch(1))  # the first goes at once (a run's first batch is shown without delay)
    assert sent == [batch(1)]
    for step in range(2, 6):
        pulse(batch(step))
    assert sent == [batch(1)]  # gathered, not sent: one pipe write instead of four
    assert pulse.progress == 5  # each still counts as progress for the heartbeat
    pulse(EpochEnd(0, {"loss": 0.2}, 1.0, 3))
    assert sent == [batch(1), Coalesced.of([batch(s) for s in range(2, 6)]), EpochEnd(0, {"loss": 0.2}, 1.0, 3)]
    pulse(batch(6))
    pulse.close()  # the end of the run sends what is left
    assert sent[-1] == batch(6)


def test_gathered_batch_ends_go_once_coalesce_seconds_have_passed() -> None:
    sent: list[Any] = []
    pulse = Pulse(sent.append, interval=1.0, coalesce=0.02)
    pulse(batch(1))
    pulse(batch(2))
    time.sleep(2 * 0.02)
    pulse(batch(3))
    assert sent == [batch(1), Coalesced.of([batch(2), batch(3)])]
    assert sent[1].messages() == (batch(2), batch(3))  # what the parent's reader hands out
    assert COALESCE <= 0.1  # live curves still move at least ten times a second


def test_a_heartbeat_sends_what_is_gathered_first() -> None:
    sent: list[Any] = []
    pulse = Pulse(sent.append, interval=0.01, coalesce=3600.0)
    pulse(Phase("training"))
    for step in (1, 2, 3):
        pulse(batch(step))
    assert sent == [Phase("training"), batch(1)]
    pulse.start()
    deadline = time.monotonic() + 60
    while not any(isinstance(m, Heartbeat) for m in sent) and time.monotonic() < deadline:
        time.sleep(0.01)
    pulse.close()
    assert sent[:4] == [Phase("training"), batch(1), Coalesced.of([batch(2), batch(3)]), Heartbeat("training", 4)]


def test_gradient_norms_are_gathered_with_the_batch_ends_in_order() -> None:
    pulse, sent = make()
    pulse.coalesce = 3600.0
    pulse(batch(1))
    norms = Gradients(2, ["dense", "dense_1"], [0.5, 0.25], 0.56, "vanishing", "dense: 1e-9")
    for msg in (batch(2), norms, batch(3)):
        pulse(msg)
    assert sent == [batch(1)]
    pulse(Log("info", "epoch done"))
    assert sent[1].messages() == (batch(2), norms, batch(3))
    assert sent[2] == Log("info", "epoch done")
