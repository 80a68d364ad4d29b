"""Runs ``core.rl.jobs`` in child processes (QProcess): gymnasium and TensorFlow never load in the window.

``RLJobs.request(command, payload, done)`` starts ``python -m core.rl.jobs command``, writes the JSON
payload to its stdin and calls ``done(result)`` in the GUI thread with the parsed answer (a dict that holds
``error`` when something went wrong). ``describe`` answers are cached per environment and options.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment
from shiboken6 import isValid

import core

PREFIX = "RESULT "
TAIL = 1500
Done = Callable[[dict[str, Any]], None]


def _root() -> str:
    return str(Path(core.__file__).resolve().parent.parent)


class RLJobs(QObject):
    """Child-process jobs with at most one running per ``key`` (a newer request replaces an older one)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.running: dict[str, QProcess] = {}
        self.cache: dict[str, dict[str, Any]] = {}
        # ``destroyed`` comes before Qt deletes the children: stop the processes while they still exist, so
        # that no ``finished`` reaches a half-deleted QProcess (and Qt does not warn about running children)
        self.destroyed.connect(lambda *_, running=self.running: _halt_all(running))

    def request(self, command: str, payload: dict[str, Any], done: Done, key: str | None = None) -> None:
        key = key or command
        cache_key = command + json.dumps(payload, sort_keys=True) if command == "describe" else None
        if cache_key is not None and cache_key in self.cache:
            done(self.cache[cache_key])
            return
        self.cancel(key)
        proc = QProcess(self)
        proc.setWorkingDirectory(_root())
        env = QProcessEnvironment.systemEnvironment()
        env.insert("TF_CPP_MIN_LOG_LEVEL", "2")
        proc.setProcessEnvironment(env)
        proc.finished.connect(lambda code, status, p=proc: self._finished(p, key, cache_key, done))
        proc.errorOccurred.connect(lambda err, p=proc: self._error(p, key, err, done))
        self.running[key] = proc
        proc.start(sys.executable, ["-m", "core.rl.jobs", command])
        proc.write(json.dumps(payload).encode())
        proc.closeWriteChannel()

    def busy(self, key: str) -> bool:
        return key in self.running

    def cancel(self, key: str) -> None:
        proc = self.running.pop(key, None)
        if proc is not None:
            _halt(proc)

    def close(self) -> None:
        for key in list(self.running):
            self.cancel(key)

    def _finished(self, proc: QProcess, key: str, cache_key: str | None, done: Done) -> None:
        if self.running.get(key) is not proc or not isValid(proc):
            return
        del self.running[key]
        out = bytes(proc.readAllStandardOutput().data()).decode(errors="replace")
        err = bytes(proc.readAllStandardError().data()).decode(errors="replace")
        proc.deleteLater()
        result = parse(out, err)
        if cache_key is not None and "error" not in result:
            self.cache[cache_key] = result
        done(result)

    def _error(self, proc: QProcess, key: str, error: QProcess.ProcessError, done: Done) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.running.get(key) is proc:
            del self.running[key]
            done({"error": f"could not start {sys.executable}"})


def _halt(proc: QProcess) -> None:
    """Kill a job without telling anybody: its ``finished`` is disconnected first."""
    if not isValid(proc):  # a panel being destroyed may already have lost its children
        return
    proc.finished.disconnect()
    proc.errorOccurred.disconnect()
    proc.kill()
    proc.waitForFinished(2000)
    proc.deleteLater()


def _halt_all(running: dict[str, QProcess]) -> None:
    for proc in list(running.values()):
        _halt(proc)
    running.clear()


def parse(out: str, err: str) -> dict[str, Any]:
    """The job's answer from its output, or an error carrying the end of its stderr."""
    for line in reversed(out.splitlines()):
        if line.startswith(PREFIX):
            try:
                value = json.loads(line[len(PREFIX):])
            except json.JSONDecodeError:
                break
            return value if isinstance(value, dict) else {"error": "the RL job answered nonsense"}
    tail = "\n".join(err.strip().splitlines()[-4:])[-TAIL:]
    return {"error": f"the RL job failed: {tail or 'no answer'}"}
