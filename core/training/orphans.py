"""Run folders of ``layerbench train`` that outlive a killed process, and their adoption into the project.

A command-line run checkpoints into a folder beside its project, ``<folder>/.<file name>.runs/<id>/``
(``runs_root``), not a temporary one: when the process is killed outright (SIGKILL, power loss) the folder
stays where the next command on that project looks. ``owner.json`` names the process writing it (pid, host,
and on Linux the process's start time and the boot id, so a pid reused after a reboot is not taken for the
owner); ``record.json`` says what the run is (settings, graph snapshot, data recipe, name, id; for a resumed
run, where it started). A folder whose owner is alive is never touched.

``recover_runs(path)`` adopts each orphan into the project file: the run is stored by
``runstore.store_run`` with status ``interrupted`` and its last checkpoint's weights, optimizer slots,
history and epoch count, so ``--resume`` continues it like a stopped run; the file is saved, then the folder
removed. A run that had ended but whose process was killed while saving it (``result.json`` written) is
stored with its real result. A folder that cannot be read is reported and left as it is. Each adoption loads
the file afresh and saves it whole, so a failure leaves the file as it was.

An adopter first claims a folder by renaming it to ``<id>~<pid>`` (one rename wins), so two commands starting
together do not adopt the same run twice; a claim whose process died is taken over.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import socket
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core.project.errors import ProjectError
from core.project.project import Project
from core.training.checkpoint import RunFolder, load_layer_weights
from core.training.config import TrainingConfig
from core.training.history import History
from core.training.messages import Failed, Finished
from core.training.runstore import INTERRUPTED, RunRecord, new_run_id, status_text, store_run

FORMAT_VERSION = 1
OWNER, RECORD, RESULT = "owner.json", "record.json", "result.json"
CLAIM = "~"
UNREADABLE = (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, ProjectError)
"""What reading a damaged folder can raise (a truncated ``.npz``, a half-written JSON file, a missing key)."""

_OURS: set[Path] = set()
"""Folders this process is writing now (its own pid is alive, but a folder it left behind is not live)."""


def runs_root(project_path: str | Path) -> Path:
    """``<project folder>/.<project file name>.runs``: where the command-line runs of that file checkpoint."""
    path = Path(project_path).absolute()
    return path.parent / f".{path.name}.runs"


# ---- the live side ---------------------------------------------------------------------------------------
class LiveRun:
    """A run folder owned by this process: described once the run is planned, removed once it is stored."""

    def __init__(self, path: Path, recoverable: bool) -> None:
        self.path, self.recoverable = path, recoverable
        self.start: tuple[int, int] = (0, 0)
        self.stored = False

    def describe(self, record: RunRecord, resumed: bool, start_epoch: int = 0, start_step: int = 0) -> None:
        """Write ``record.json``: what to store if this process dies (the folder's checkpoints say how far)."""
        self.start = (start_epoch, start_step)
        data = {"format_version": FORMAT_VERSION, "config": record.config.to_dict(), "graph": record.graph,
                "data": record.data, "label": record.label, "run_id": record.run_id,
                "tensorboard": record.tensorboard, "resumed": resumed,
                "start": {"epoch": start_epoch, "step": start_step}}
        _write_json(self.path / RECORD, data)

    def note_result(self, result: Finished | Failed) -> None:
        """Write ``result.json`` before the project is saved: killed while saving, the run keeps its real end."""
        kind = "finished" if isinstance(result, Finished) else "failed"
        _write_json(self.path / RESULT, {"kind": kind, **dataclasses.asdict(result)})

    def worth_keeping(self) -> bool:
        """Whether the folder holds a checkpoint or a result the project has not got."""
        if self.stored or not self.recoverable or not (self.path / RECORD).exists():
            return False
        if (self.path / RESULT).exists():
            return True
        with contextlib.suppress(*UNREADABLE):
            state = RunFolder(self.path).state()
            return bool(state) and (int(state["epoch"]), int(state.get("step", 0))) != self.start
        return False


@contextlib.contextmanager
def run_folder(project_path: str | Path, recoverable: bool = True) -> Iterator[LiveRun]:
    """A new run folder for ``project_path``, owned by this process. Left normally or not, it is removed unless it
    holds a checkpoint the project lacks (an exception before the run was stored): then it stays for the next
    command to adopt. A temporary folder instead when ``recoverable`` is False (``--no-save``) or the project's
    folder is read-only."""
    live = _create(runs_root(project_path)) if recoverable else None
    if live is None:
        with tempfile.TemporaryDirectory(prefix="layerbench-train-") as tmp:
            yield LiveRun(Path(tmp), recoverable=False)
        return
    _OURS.add(live.path)
    try:
        yield live
    finally:
        _OURS.discard(live.path)
        if live.worth_keeping():
            print(f"the run so far is kept in {live.path}; the next `layerbench train` or `layerbench info` on "
                  "the project adds it to the project", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(live.path, ignore_errors=True)
            with contextlib.suppress(OSError):
                live.path.parent.rmdir()  # the last one out removes the root


def _create(root: Path) -> LiveRun | None:
    """Made under a hidden name with its ``owner.json``, then renamed: a folder is never seen without its owner."""
    try:
        root.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=root))
        _write_json(tmp / OWNER, _me())
        path = root / new_run_id()
        tmp.rename(path)
    except OSError as exc:
        print(f"note: {root} cannot be written ({exc.strerror or exc}); this run cannot be recovered if the "
              "process is killed", file=sys.stderr, flush=True)
        return None
    return LiveRun(path, recoverable=True)


def _me() -> dict[str, Any]:
    pid = os.getpid()
    return {"format_version": FORMAT_VERSION, "pid": pid, "host": socket.gethostname(),
            "started": _start_ticks(pid), "boot": _boot_id()}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


# ---- is the owner alive? --------------------------------------------------------------------------------
def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or None off Linux / no process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _start_ticks(pid: int) -> int | None:
    fields = _proc_stat(pid)
    return int(fields[19]) if fields is not None and len(fields) > 19 else None  # field 22: starttime


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not; ``os.kill(pid, 0)`` would end it on Windows)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's process
        return True
    fields = _proc_stat(pid)
    return not (fields and fields[0] == "Z")


def _windows_alive(pid: int) -> bool:
    if sys.platform != "win32":
        return False
    import ctypes

    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return bool(kernel32.GetLastError() == 5)  # access denied: it exists
    code = ctypes.c_ulong()
    try:
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
    finally:
        kernel32.CloseHandle(handle)
    return bool(ok) and code.value == 259  # STILL_ACTIVE


def owner_alive(owner: dict[str, Any]) -> bool:
    """Whether the process ``owner.json`` names still runs. Another host's process cannot be checked: alive."""
    if owner.get("host") != socket.gethostname():
        return True
    boot = _boot_id()
    if owner.get("boot") and boot and owner["boot"] != boot:
        return False  # written before a reboot (power loss)
    pid = int(owner["pid"])
    if not pid_alive(pid):
        return False
    started, now = owner.get("started"), _start_ticks(pid)
    return started is None or now is None or int(started) == now  # else the pid went to a new process


# ---- adoption -------------------------------------------------------------------------------------------
def _claim(folder: Path) -> Path | None:
    """Rename an orphan to ``<id>~<our pid>`` and return its new path; None when it is live or taken."""
    base, _, claimer = folder.name.partition(CLAIM)
    if folder in _OURS:
        return None
    if claimer:
        if claimer.isdigit() and int(claimer) != os.getpid() and pid_alive(int(claimer)):
            return None  # another command is adopting it now
    else:
        try:
            owner = json.loads((folder / OWNER).read_text(encoding="utf-8"))
            mine = int(owner["pid"]) == os.getpid() and owner.get("host") == socket.gethostname()
            if not mine and owner_alive(owner):  # one of ours not in _OURS was left by a command that raised
                return None
        except (*UNREADABLE, AttributeError):
            pass  # no readable owner: not a live run's (it is written before the folder gets its name)
    target = folder.with_name(f"{base}{CLAIM}{os.getpid()}")
    if target == folder:
        return folder
    try:
        folder.rename(target)
    except OSError:  # another command renamed it first
        return None
    return target


def recover_runs(project_path: str | Path) -> list[str]:
    """Adopt into the project file every run left by a killed ``layerbench train`` on it (saving the file),
    and say what happened in one line per folder. Without such a folder this is one ``stat`` call."""
    root = runs_root(project_path)
    if not root.is_dir():
        return []
    notes = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".new-"):
            _drop_unborn(folder)
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        claimed = _claim(folder)
        note = _adopt(Path(project_path), claimed) if claimed is not None else None
        if note is not None:
            notes.append(note)
    with contextlib.suppress(OSError):
        root.rmdir()  # only when empty
    return notes


def _drop_unborn(folder: Path) -> None:
    """A folder whose process died while making it (before it got its name)."""
    with contextlib.suppress(*UNREADABLE, AttributeError):
        if not owner_alive(json.loads((folder / OWNER).read_text(encoding="utf-8"))):
            shutil.rmtree(folder, ignore_errors=True)


def _adopt(path: Path, folder: Path) -> str | None:
    """Store the run of an orphaned folder into the file at ``path``; the line that says what happened."""
    if not (folder / RECORD).exists():  # written before training starts: killed earlier, nothing trained yet
        shutil.rmtree(folder, ignore_errors=True)
        return None
    try:
        spec = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        record = _record(spec, folder)
        result = _result(folder)
        state = RunFolder(folder).state()
        start = (int(spec["start"]["epoch"]), int(spec["start"]["step"]))
        if result is None and (not state or (int(state["epoch"]), int(state.get("step", 0))) == start):
            shutil.rmtree(folder, ignore_errors=True)
            return (f"run {record.label} of a killed `layerbench train` ended before its first new checkpoint: "
                    "nothing to add to the project")
        _check(RunFolder(folder), state)
        project = Project.load(path)
        if not spec.get("resumed") and any(r.id == record.run_id for r in project.runs):
            shutil.rmtree(folder, ignore_errors=True)  # stored already: the process died removing the folder
            return f"run {record.label} was already in the project; its leftover folder was removed"
        if state and record.batches == 0 and not state.get("partial") and int(state["epoch"]) > 0:
            record.batches = int(state.get("step", 0)) // int(state["epoch"])
        if result is None:
            result = Failed(f"the training process was killed after epoch {int(state['epoch'])}; kept from its "
                            "last checkpoint", kind=INTERRUPTED)
        run_id = store_run(project, result, record)
        project.save(path)
    except UNREADABLE as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"a killed run's folder could not be read ({reason}); it is left as it is: {folder}"
    shutil.rmtree(folder, ignore_errors=True)
    run = project.run(run_id)
    hint = f"; resume it with: layerbench train {path} --resume {run_id}" if "checkpoint" in run.info else ""
    return f"recovered run {run.label} ({status_text(run)}) from a killed `layerbench train`{hint}"


def _record(spec: dict[str, Any], folder: Path) -> RunRecord:
    if int(spec.get("format_version", 0)) > FORMAT_VERSION:
        raise ValueError(f"{folder / RECORD} was written by a newer Layerbench")
    return RunRecord(TrainingConfig.from_dict(spec["config"]), folder, graph=spec.get("graph"),
                     data=spec.get("data"), label=str(spec.get("label") or ""), run_id=str(spec["run_id"]),
                     tensorboard=spec.get("tensorboard"))


def _result(folder: Path) -> Finished | Failed | None:
    if not (folder / RESULT).exists():
        return None
    data = json.loads((folder / RESULT).read_text(encoding="utf-8"))
    kind = data.pop("kind")
    return Finished(**data) if kind == "finished" else Failed(**data)


def _check(folder: RunFolder, state: dict[str, Any]) -> None:
    """Read every file adoption stores, so a damaged one is found before the project is touched."""
    if state:
        load_layer_weights(folder.checkpoint_layers)
        if folder.optimizer.exists():
            with np.load(folder.optimizer, allow_pickle=False) as f:
                [f[k] for k in f.files]
    if folder.layer_weights.exists():
        load_layer_weights(folder.layer_weights)
    if folder.history.exists():
        History.from_npz(folder.history)
