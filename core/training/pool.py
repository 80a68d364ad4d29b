"""Spawned worker processes, one per run, and a pool that keeps one warm (TensorFlow imported) and waiting."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import tempfile
import threading
from typing import Any

from core.training.worker import child_main

START_METHOD = "spawn"
STDERR_TAIL = 4000
REFILL_DELAY = 15.0
"""Seconds after a ``take`` at which the pool starts a new warm worker if nothing asked for one earlier."""


class WorkerProcess:
    """One spawned child running ``child_main``: a duplex pipe, stop/pause events, stderr in a temp file."""

    def __init__(self, warm: bool = True) -> None:
        ctx = mp.get_context(START_METHOD)
        self.warm = warm
        self.conn, child = ctx.Pipe(duplex=True)
        self.stop, self.pause = ctx.Event(), ctx.Event()
        fd, self.stderr_path = tempfile.mkstemp(prefix="layerbench-worker-", suffix=".log")
        os.close(fd)
        args = (child, self.stop, self.pause, self.stderr_path, warm)
        self.process: Any = ctx.Process(  # type: ignore[attr-defined]
            target=child_main, args=args, name="layerbench-training", daemon=True)
        self.process.start()
        child.close()
        self._ready = False
        self._lock = threading.Lock()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """True once the child has imported TensorFlow and waits for its job."""
        with self._lock:
            if not self._ready and self.conn.poll(timeout):
                try:
                    self._ready = self.conn.recv() == "ready"
                except (EOFError, OSError):
                    return False
            return self._ready

    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def stderr_tail(self, limit: int = STDERR_TAIL) -> str:
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(max(0, os.path.getsize(self.stderr_path) - limit))
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)

    def dispose(self) -> None:
        """Close the pipe and delete the stderr file (after the run's messages have been read)."""
        self.conn.close()
        with contextlib.suppress(OSError):
            os.unlink(self.stderr_path)


class WorkerPool:
    """Keeps ``warm`` spawned workers importing TensorFlow in the background, so Start is quick."""

    def __init__(self, warm: int = 1) -> None:
        self.warm = warm
        self._idle: list[WorkerProcess] = []
        self._lock = threading.Lock()
        self._closed = False
        self.refill()

    def refill(self) -> None:
        with self._lock:
            self._idle = [w for w in self._idle if w.alive()]
            while not self._closed and len(self._idle) < self.warm:
                self._idle.append(WorkerProcess())

    def take(self, warm: bool = True) -> WorkerProcess:
        """A worker for one run (warm if one is waiting). Call ``refill`` once the run is under way: a new
        worker importing TensorFlow at the same time would slow the run's start on a small machine.
        ``warm=False`` gives a fresh process whose devices are still open (any device, virtual CPUs)."""
        if not warm:
            return WorkerProcess(warm=False)
        with self._lock:
            self._idle = [w for w in self._idle if w.alive()]
            worker = self._idle.pop(0) if self._idle else WorkerProcess()
        timer = threading.Timer(REFILL_DELAY, self.refill)  # in case nobody calls refill sooner
        timer.daemon = True
        timer.start()
        return worker

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for w in idle:
            with contextlib.suppress(OSError):
                w.conn.send(None)
            w.process.join(timeout=2)
            w.kill()
            w.dispose()
