"""The engine's watchdog against scripted workers (spawned processes that speak the worker's protocol through the
real ``Pulse`` but never import TensorFlow): a long silent compile and a long pause are not hangs, a main thread
stuck in training is one even though the heartbeat thread still runs; a message the parent cannot read ends the
run in words too. The real worker frozen by SIGSTOP is in
test_training_watchdog_tf.py and tests/hardening/test_faults.py.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
from typing import Any

import pytest

from core.training.engine import TrainingRun
from core.training.heartbeat import Pulse
from core.training.messages import Failed, Finished, Phase
from core.training.pool import WorkerProcess
from core.training.worker import Job

WATCHDOG = 2.0
SILENCE = 3 * WATCHDOG
TIMEOUT = 120

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX processes")


def scripted_child(conn: Any, pause: Any, script: str) -> None:
    """The worker's side: ready, take the job, then act out ``script`` through a real ``Pulse``."""
    conn.send("ready")
    job = conn.recv()
    pulse = Pulse(conn.send, job.heartbeat).start()
    if script == "long compile":
        pulse(Phase("compiling"))
        time.sleep(SILENCE)  # tracing a deep graph: no batch, no message of its own
    elif script == "paused":
        pulse(Phase("training"))
        pause.set()  # as if the user pressed Pause: the callback waits, silent
        time.sleep(SILENCE)
        pause.clear()
    elif script == "unreadable":
        pulse(Unreadable())
        time.sleep(600)
    elif script == "stuck":
        pulse(Phase("training"))
        time.sleep(600)  # a deadlocked main thread; the heartbeat thread keeps running
    pulse(Finished({}, 1, False, "", "", "/device:CPU:0", 0.0, SILENCE))
    pulse.close()
    conn.close()


def _fail_to_load() -> None:
    raise ValueError("this message cannot be rebuilt")


class Unreadable:
    """Pickles fine in the worker; unpickling it in the parent raises (as a message from mismatched code would)."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return _fail_to_load, ()


class ScriptedWorker(WorkerProcess):
    """A ``WorkerProcess`` whose child runs ``scripted_child`` instead of ``child_main``."""

    def __init__(self, script: str) -> None:
        ctx = mp.get_context("spawn")
        self.warm = True
        self.conn, child = ctx.Pipe(duplex=True)
        self.stop, self.pause = ctx.Event(), ctx.Event()
        fd, self.stderr_path = tempfile.mkstemp(prefix="layerbench-test-worker-", suffix=".log")
        os.close(fd)
        self.process: Any = ctx.Process(target=scripted_child, args=(child, self.pause, script), daemon=True)
        self.process.start()
        child.close()


def run_script(script: str) -> Finished | Failed | None:
    run = TrainingRun(Job({}, {}, {}, ""), ScriptedWorker(script), grace=1.0, watchdog=WATCHDOG).start()
    result = run.wait(TIMEOUT)
    # the reader ends (or kills) and reaps the child after its last message; joining the child from this thread
    # at the same time races with it (two waitpid calls: the loser sees ECHILD and "alive"), so wait for the reader
    run._reader.join(TIMEOUT)
    assert not run.worker.alive()
    return result


def test_a_long_silent_compile_is_not_a_hang() -> None:
    assert isinstance(run_script("long compile"), Finished)


def test_a_long_pause_is_not_a_hang() -> None:
    assert isinstance(run_script("paused"), Finished)


def test_a_main_thread_stuck_in_training_is_ended_as_hung() -> None:
    result = run_script("stuck")
    assert isinstance(result, Failed), result
    assert result.kind == "hung"
    assert "no message from the training process" in result.error
    assert "ended as hung" in result.error


def test_a_message_that_cannot_be_read_ends_the_run_in_words() -> None:
    result = run_script("unreadable")
    assert isinstance(result, Failed), result
    assert result.kind == "crashed"
    assert "could not be read (ValueError: this message cannot be rebuilt)" in result.error
