"""A run's worker process trains at a lower CPU priority than the window (TensorFlow keeps every core busy;
at equal priority the window's timer ticks wait behind it). No TensorFlow: a sleeping child stands in for
the worker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from psygnal import Signal

from core.graph.model import Graph
from core.training.config import TrainingConfig
from desktop.panels.session import WORKER_NICE, TrainingSession, lower_priority

pytestmark = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="Unix priorities")
THREADS = "import threading, time\nfor _ in range(3): threading.Thread(target=time.sleep, args=(60,)).start()\n" \
          "print('ready', flush=True)\ntime.sleep(60)\n"


@pytest.fixture
def child() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-c", THREADS], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc
    proc.kill()
    proc.wait()


def nice_values(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    ids = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [pid]
    return [os.getpriority(os.PRIO_PROCESS, tid) for tid in ids]


def test_every_thread_of_the_process_is_lowered(child: subprocess.Popen[str]) -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert min(nice_values(child.pid)) == base
    lower_priority(child.pid)
    values = nice_values(child.pid)
    assert values and all(v == max(base, WORKER_NICE) for v in values)
    lower_priority(child.pid, nice=1)  # never raised again (an unprivileged user could not)
    assert nice_values(child.pid) == values


class FakeRun:
    """A run whose worker is the sleeping child; its signals accept connections and never fire."""

    done = False

    def __init__(self, pid: int) -> None:
        self.worker = SimpleNamespace(process=SimpleNamespace(pid=pid))

    def __getattr__(self, name: str) -> Any:
        return SimpleNamespace(connect=lambda *_a, **_k: None)


class FakeEngine:
    """Starts ``run`` and announces it, as ``TrainingEngine.start`` does."""

    run_started = Signal(object)

    def __init__(self, run: FakeRun) -> None:
        self.run = run

    def start(self, *_a: Any, **_k: Any) -> FakeRun:
        self.run_started.emit(self.run)
        return self.run


def test_a_started_run_gets_the_lower_priority(qtbot: Any, child: subprocess.Popen[str], tmp_path: Path) -> None:
    run = FakeRun(child.pid)
    session = TrainingSession()
    session.use_engine(FakeEngine(run))
    session.start(Graph(), {"source": "toy.circle"}, TrainingConfig())
    try:
        assert session.run is run
        assert min(nice_values(child.pid)) >= WORKER_NICE
    finally:
        session.engine = None
        session.close()
