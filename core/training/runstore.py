"""Runs kept in a project, shared by the app and ``layerbench train``.

``store_run`` keeps a finished, stopped, failed or interrupted run: config, graph snapshot, data recipe, final
metrics, batches per epoch, the history (per-batch, per-epoch, per-layer gradient norms) and weights. A stopped,
failed or interrupted run (its process killed, adopted by ``core.training.orphans``) also keeps its last
checkpoint (weights by layer name and the optimizer's slots as ``.npz`` members, the epoch and step in
``info["checkpoint"]``), so it can be resumed from the project alone:
``prepare_resume`` lays that checkpoint out as a run folder the worker resumes from, and storing the resumed
run's result updates the same run record, its history continuing.

Checkpoints live inside the project file (not in a folder beside it): the file stays the one thing to copy,
a run deleted from the list takes its checkpoint with it at the next save, and nothing new is needed in the
format (``RunModel.checkpoints`` was there; no migration).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.project.errors import ProjectError
from core.project.project import Project
from core.project.schema import RunModel
from core.training.checkpoint import RunFolder, load_layer_weights
from core.training.config import OPTIMIZER_TITLES, TrainingConfig
from core.training.history import Buffer, History, write_npz
from core.training.messages import Failed, Finished

CHECKPOINT = "last"
INTERRUPTED = "interrupted"
"""The status (and ``Failed.kind``) of a run whose process was killed and whose folder was adopted later
(``core.training.orphans``): it keeps its last checkpoint and resumes like a stopped run."""
RESUMABLE = ("stopped", "failed", INTERRUPTED)


def default_label(project: Project, config: TrainingConfig) -> str:
    n = len(project.runs) + 1
    opt = OPTIMIZER_TITLES.get(config.optimizer.name, config.optimizer.name)
    return f"Run {n} — {opt}, lr {config.optimizer.learning_rate:g}"


def status_of(result: Finished | Failed) -> str:
    if isinstance(result, Failed):
        return INTERRUPTED if result.kind == INTERRUPTED else "failed"
    return "stopped" if result.stopped else "finished"


def status_text(run: RunModel) -> str:
    """``finished``, ``stopped at epoch 3/10``, ``interrupted at epoch 3/10`` or ``failed: <reason>`` (what the
    runs list shows)."""
    info = run.info
    if run.status in ("stopped", INTERRUPTED):
        return f"{run.status} at epoch {info.get('epochs', '?')}/{info.get('config', {}).get('epochs', '?')}"
    if run.status == "failed":
        reason = str(info.get("error", "")).strip().splitlines()
        return f"failed: {reason[0][:120]}" if reason else "failed"
    return run.status


def merged_history(folder: RunFolder | None, live: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """The run's whole history: the worker's own (written with each checkpoint and at the end, the earlier
    part of a resumed run included), then the rows the parent saw after it (a run that failed between
    checkpoints, or a resumed run that failed before its first new checkpoint)."""
    history = History.from_npz(folder.history) if folder is not None and folder.history.exists() else History()
    for prefix, series in (("batch", history.batch), ("epoch", history.epoch), ("grad", history.gradients)):
        xs = np.asarray((live or {}).get(f"{prefix}/x", ()), dtype="float64")
        names = [k for k in (live or {}) if k.startswith(prefix + "/") and k != f"{prefix}/x"]
        last = series.x.data[-1] if len(series) else -np.inf
        for i in np.flatnonzero(xs > last):
            series.add(float(xs[i]), {k.split("/", 1)[1]: float(live[k][i]) for k in names if i < len(live[k])})  # type: ignore[index]
    return history.arrays()


@dataclass
class RunRecord:
    """What the parent knows about a run besides its result."""

    config: TrainingConfig
    run_dir: str | Path | None = None
    live: Mapping[str, np.ndarray] | None = None
    """The history the parent received (``History.arrays()``); merged after the worker's own. A resumed run's
    record starts with the stored history, so the live curves show the whole run."""
    batches: int = 0
    graph: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    label: str = ""
    run_id: str | None = None
    """A new run's id chosen at start, or the id of the stored run this one resumed (updated in place)."""
    tensorboard: str | None = None


def store_run(project: Project, result: Finished | Failed, record: RunRecord) -> str:
    """Keep a run in ``project`` (or update the run it resumed); returns its id."""
    folder = RunFolder(Path(record.run_dir)) if record.run_dir else None
    if folder is None and isinstance(result, Finished) and result.weights_path:
        folder = RunFolder(Path(result.weights_path).parent)
    known = {r.id: r for r in project.runs}
    run = known.get(record.run_id or "")
    info = _info(result, record, run.info if run is not None else {})
    if run is None:
        run = project.add_run(record.run_id, label=record.label or default_label(project, record.config),
                              status=status_of(result), info=info)
    else:
        info["resumed"] = int(run.info.get("resumed", 0)) + 1
        run.status, run.info = status_of(result), info
    history = merged_history(folder, record.live)
    project.set_history(run.id, history)
    if isinstance(result, Failed):
        run.info["epochs"] = len(history.get("epoch/x", ()))
        if run.status == INTERRUPTED and not run.info.get("logs"):  # its last epoch's, for the runs list
            run.info["logs"] = {k.split("/", 1)[1]: float(v[-1]) for k, v in history.items()
                                if k.startswith("epoch/") and k != "epoch/x" and len(v) and np.isfinite(v[-1])}
    _store_weights(project, run, result, folder)
    return str(run.id)


def _info(result: Finished | Failed, record: RunRecord, previous: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {"config": record.config.to_dict(), "graph": record.graph or previous.get("graph", {}),
                            "data": record.data or previous.get("data", {}),
                            "batches": record.batches or previous.get("batches", 0)}
    if record.tensorboard or previous.get("tensorboard"):
        info["tensorboard"] = record.tensorboard or previous.get("tensorboard")
    if isinstance(result, Finished):
        info |= {"logs": result.logs, "test_logs": result.test_logs, "device": result.device,
                 "epochs": result.epochs_done, "seconds": result.seconds + float(previous.get("seconds", 0.0)),
                 "time_to_first_batch": result.time_to_first_batch}
    else:
        info |= {"logs": previous.get("logs", {}), "device": previous.get("device", ""), "error": result.error,
                 "failure": result.kind}
        if result.node:
            info["node"] = result.node
    return info


def _store_weights(project: Project, run: RunModel, result: Finished | Failed, folder: RunFolder | None) -> None:
    state = folder.state() if folder is not None and folder.has_checkpoint() else {}
    checkpoint = folder.checkpoint_layers if folder is not None and state else None
    if isinstance(result, Finished) and folder is not None and folder.layer_weights.exists():
        project.set_weights(run.id, load_layer_weights(folder.layer_weights))
    elif checkpoint is not None and checkpoint.exists():
        project.set_weights(run.id, load_layer_weights(checkpoint))  # a failed run: its last checkpoint's
    if run.status == "finished" or checkpoint is None or not checkpoint.exists():
        project.drop_checkpoints(run.id)
        run.info.pop("checkpoint", None)
        return
    assert folder is not None
    optimizer = _arrays(folder.optimizer)
    project.set_checkpoint(run.id, load_layer_weights(checkpoint), optimizer, CHECKPOINT)
    run.info["checkpoint"] = {"epoch": int(state["epoch"]), "step": int(state.get("step", 0)),
                              "partial": bool(state.get("partial", False))}


def _arrays(path: Path) -> dict[str, np.ndarray] | None:
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


# ---- resume ----------------------------------------------------------------------------------------
def why_not_resumable(run: RunModel) -> str | None:
    """None when ``run`` can be resumed, else the reason in words."""
    if run.status not in RESUMABLE:
        return (f"run {run.label or run.id} is {run.status}; only a stopped or failed run (or one interrupted by a "
                "killed process) can be resumed")
    if "main" not in run.checkpoints.get(CHECKPOINT, {}) or "checkpoint" not in run.info:
        return f"run {run.label or run.id} has no checkpoint to resume from (it ended before its first one)"
    if not run.info.get("graph") or not run.info.get("config"):
        return f"run {run.label or run.id} does not record the graph and settings it trained"
    if int(run.info["checkpoint"]["epoch"]) >= int(run.info["config"].get("epochs", 0)):
        return f"run {run.label or run.id} has no epochs left to train"
    return None


def find_resumable(project: Project, which: str | None = None) -> RunModel:
    """The run named ``which`` (id or label), or the latest resumable one; ``ProjectError`` says why not."""
    if which:
        matches = [r for r in project.runs if which in (r.id, r.label)]
        if not matches:
            raise ProjectError(f"the project has no run {which!r}")
        reason = why_not_resumable(matches[-1])
        if reason:
            raise ProjectError(reason)
        return matches[-1]
    for run in reversed(project.runs):
        if why_not_resumable(run) is None:
            return run
    raise ProjectError("the project has no stopped or failed run (nor an interrupted one) with a checkpoint to "
                       "resume")


def comparable_graph(graph: Mapping[str, Any]) -> dict[str, Any]:
    """A graph dict without what does not change training (node positions), in a stable order."""
    nodes = sorted(({k: v for k, v in n.items() if k != "ui"} for n in graph.get("nodes", [])),
                   key=lambda n: str(n.get("id")))
    edges = sorted((dict(e) for e in graph.get("edges", [])), key=lambda e: str(e.get("id")))
    return {"nodes": nodes, "edges": edges}


def graph_changed(run: RunModel, current: Mapping[str, Any]) -> bool:
    """Whether the graph was edited (beyond moving nodes) since ``run`` trained it."""
    return comparable_graph(run.info.get("graph", {})) != comparable_graph(current)


def _until_step(arrays: Mapping[str, np.ndarray], step: int) -> dict[str, np.ndarray]:
    """Per-step curves (``batch/``, ``grad/``) up to ``step``; per-epoch ones as they are."""
    out = dict(arrays)
    for prefix in ("batch", "grad"):
        if f"{prefix}/x" in arrays:
            keep = np.asarray(arrays[f"{prefix}/x"]) <= step
            for key in arrays:
                if key.startswith(prefix + "/") and len(arrays[key]) == len(keep):
                    out[key] = np.asarray(arrays[key])[keep]
    return out


@dataclass(frozen=True)
class ResumePlan:
    run_id: str
    graph: dict[str, Any]
    data: dict[str, Any]
    config: TrainingConfig
    start_epoch: int


def prepare_resume(project: Project, run_id: str, run_dir: Path, epochs: int | None = None) -> ResumePlan:
    """Write the run's checkpoint, optimizer state and history into ``run_dir`` for the worker to resume."""
    run = project.run(run_id)
    reason = why_not_resumable(run)
    if reason:
        raise ProjectError(reason)
    folder = RunFolder(run_dir)
    folder.path.mkdir(parents=True, exist_ok=True)
    folder.checkpoint_layers.write_bytes(project.weights_npz(run_id, checkpoint=CHECKPOINT))
    optimizer = project.optimizer_state(run_id, CHECKPOINT)
    if optimizer:
        write_npz(folder.optimizer, optimizer)
    state = run.info["checkpoint"]
    epoch, step, partial = int(state["epoch"]), int(state.get("step", 0)), bool(state.get("partial", False))
    history = project.history(run_id)
    batches = int(run.info.get("batches", 0) or 0)
    if partial and batches:  # stopped mid-epoch: that epoch trains again from its first batch, so steps and
        step = min(step, epoch * batches)  # curves go back to its start (batch x stays at epoch positions)
        history = _until_step(history, step)
    write_npz(folder.history, history)
    folder.write_state(epoch=epoch, step=step, partial=partial)
    if run.info.get("tensorboard"):
        folder.set_tensorboard_dir(Path(run.info["tensorboard"]))
    config = dict(run.info["config"])
    if epochs is not None:
        config["epochs"] = epochs
    return ResumePlan(run.id, dict(run.info["graph"]), dict(run.info.get("data") or project.data),
                      TrainingConfig.from_dict(config), int(state["epoch"]))


def new_record(project: Project, config: TrainingConfig, run_dir: Path, graph: dict[str, Any],
               data: dict[str, Any]) -> RunRecord:
    """A new run's record: its id and name chosen now, and its TensorBoard folder when the config asks for one."""
    run_id = new_run_id()
    label = default_label(project, config)
    record = RunRecord(config, run_dir, graph=graph, data=data, label=label, run_id=run_id)
    if config.monitors.tensorboard:
        log_dir = tensorboard_dir(project, label, run_id)
        RunFolder(run_dir).set_tensorboard_dir(log_dir)
        record.tensorboard = str(log_dir)
    return record


def resume_record(project: Project, run_id: str, run_dir: Path,
                  epochs: int | None = None) -> tuple[ResumePlan, RunRecord]:
    """``prepare_resume`` and the record that stores the result into the same run."""
    plan = prepare_resume(project, run_id, run_dir, epochs)
    run = project.run(run_id)
    live = History.from_npz(RunFolder(run_dir).history).arrays()  # the history the resumed run continues
    record = RunRecord(plan.config, run_dir, live=live, graph=plan.graph, data=plan.data,
                       label=run.label, run_id=run.id, batches=int(run.info.get("batches", 0) or 0),
                       tensorboard=run.info.get("tensorboard"))
    return plan, record


def history_of(arrays: Mapping[str, np.ndarray]) -> History:
    """A ``History`` holding stored arrays (``History.arrays`` form), to continue live."""
    history = History()
    for prefix, series in (("batch", history.batch), ("epoch", history.epoch), ("grad", history.gradients)):
        if f"{prefix}/x" in arrays:
            series.x.extend(arrays[f"{prefix}/x"])
            for key, values in arrays.items():
                if key.startswith(prefix + "/") and key != f"{prefix}/x":
                    buffer = series.values[key.split("/", 1)[1]] = Buffer()
                    buffer.extend(values)
    return history


# ---- TensorBoard -----------------------------------------------------------------------------------
def tensorboard_root(project: Project) -> Path:
    """``<project folder>/<project name>.tensorboard``; for a project never saved, the user data folder's."""
    if project.path is not None:
        return project.path.parent / f"{project.path.stem}.tensorboard"
    from core.project.autosave import data_dir

    return data_dir() / "tensorboard" / (_slug(project.name) or "untitled")


def tensorboard_dir(project: Project, label: str, run_id: str) -> Path:
    """A new run's event folder under ``tensorboard_root``, named after the run (its id added if taken)."""
    root = tensorboard_root(project)
    name = _slug(label) or run_id
    return root / name if not (root / name).exists() else root / f"{name}-{run_id}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:80]


def new_run_id() -> str:
    import uuid

    return uuid.uuid4().hex[:12]
