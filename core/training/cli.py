"""``layerbench train FILE``: train a project's main graph headless, print progress, store the run in the project.

The run happens in this process (a terminal has no window to protect). ``--strategy multi-worker`` trains as
one worker of the cluster described by ``TF_CONFIG`` (start the same command on every worker); only the chief
(task 0) saves into the project. ``--json`` prints one JSON object per epoch and a final one.

Every run is kept in the project as the app keeps it (``core.training.runstore``): finished, stopped (Ctrl-C)
or failed, with its history, batches per epoch, gradient history and test metrics; a stopped or failed run
keeps its last checkpoint, and ``--resume [RUN]`` trains the rest of it. With TensorBoard on in the settings,
event files go to ``<project folder>/<project name>.tensorboard/<run name>/`` and the path is printed.

The run checkpoints into a folder beside the project (``core.training.orphans``), removed once the run is in
the project file. When the process is killed outright, the next ``layerbench train`` (or ``info``) on the
project adds that run to it as ``interrupted`` (from its last checkpoint) and says so; ``--resume`` goes on.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from core.cli import register_command
from core.project.errors import ProjectError
from core.project.project import Project
from core.project.schema import RunModel
from core.training.checkpoint import RunFolder, load_layer_weights
from core.training.config import TrainingConfig, describe_error
from core.training.history import History
from core.training.messages import BatchEnd, EpochEnd, Failed, Finished, Gradients, Log, Message, Phase
from core.training.orphans import LiveRun, recover_runs, run_folder
from core.training.runstore import (
    RunRecord,
    find_resumable,
    graph_changed,
    new_record,
    resume_record,
    status_text,
    store_run,
)
from core.training.worker import Job, run_job

HELP = "train a project headless: progress line, final metrics, weights and history saved into the project"

Trainer = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
TRAINERS: dict[str, Trainer] = {}
"""Project kinds other than ``supervised`` (``rl``, ``gan``): their extra options and their handler."""


def register_trainer(kind: str, add_arguments: Callable[[argparse.ArgumentParser], None],
                     handler: Callable[[argparse.Namespace], int]) -> None:
    """Let ``layerbench train`` hand projects of ``kind`` to ``handler`` (options added to the same command)."""
    TRAINERS[kind] = (add_arguments, handler)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the project file (.layerbench)")
    parser.add_argument("--epochs", type=int, default=None, help="number of epochs (default: the project's)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size (default: the project's)")
    parser.add_argument("--device", default=None, help="auto, cpu or gpu:N")
    parser.add_argument("--strategy", choices=("none", "mirrored", "multi-worker"), default=None,
                        help="distribution strategy; multi-worker reads the cluster from TF_CONFIG")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a progress line")
    parser.add_argument("--no-save", action="store_true", help="do not save the run into the project")
    parser.add_argument("--weights-out", default=None, help="also write the final weights (.npz by layer name)")
    parser.add_argument("--resume", nargs="?", const="", default=None, metavar="RUN",
                        help="resume the latest stopped or failed run kept in the project (or the run with this "
                             "id or name) from its checkpoint; --epochs then sets the total")
    for add_kind_arguments, _ in TRAINERS.values():
        add_kind_arguments(parser)


def training_config(project: Project, args: argparse.Namespace) -> TrainingConfig:
    """The project's training settings with the command-line overrides applied."""
    data = {k: v for k, v in project.training.items() if k in TrainingConfig.model_fields}
    for key, value in (("epochs", args.epochs), ("batch_size", args.batch_size), ("device", args.device),
                       ("strategy", args.strategy), ("seed", args.seed)):
        if value is not None:
            data[key] = value
    try:
        return TrainingConfig.from_dict(data)
    except ValidationError as exc:
        raise ProjectError(f"training settings: {describe_error(exc)}") from None


class Printer:
    """Turns messages into a progress line (epoch, batch, loss, ETA) or JSON lines."""

    def __init__(self, as_json: bool, epochs: int) -> None:
        self.as_json, self.epochs = as_json, epochs
        self.started = time.perf_counter()
        self.tty = sys.stdout.isatty()

    def __call__(self, msg: Message) -> None:
        if isinstance(msg, BatchEnd) and not self.as_json and self.tty:
            print("\r" + self.line(msg.epoch, msg.batch + 1, msg.batches, msg.logs), end="", flush=True)
        elif isinstance(msg, EpochEnd):
            self.epoch(msg)
        elif isinstance(msg, Log) and not self.as_json:
            print(msg.text, file=sys.stderr, flush=True)
        elif isinstance(msg, Phase) and msg.phase == "downloading" and not self.as_json:
            self.download(msg)
        elif isinstance(msg, Phase) and msg.phase in ("compiling", "training") and not self.as_json:
            print(f"{msg.phase} {msg.detail}".strip(), file=sys.stderr, flush=True)

    def download(self, msg: Phase) -> None:
        """``downloading MNIST: 4.1 / 11.5 MB (36%)`` rewritten in place on a terminal; the first and last only
        when the output goes to a file."""
        done = msg.fraction == 1.0
        text = msg.detail + (f" ({msg.fraction:.0%})" if msg.fraction is not None else "")
        if self.tty:
            print("\r" + text, end="\n" if done else "", file=sys.stderr, flush=True)
        elif done or msg.fraction == 0.0:
            print(text, file=sys.stderr, flush=True)

    def epoch(self, msg: EpochEnd) -> None:
        if self.as_json:
            print(json.dumps({"epoch": msg.epoch + 1, "seconds": round(msg.seconds, 3), **msg.logs}), flush=True)
        else:
            print(("\r" if self.tty else "") + self.line(msg.epoch, None, None, msg.logs), flush=True)

    def line(self, epoch: int, batch: int | None, batches: int | None, logs: dict[str, float]) -> str:
        done = epoch + (batch / batches if batch and batches else 1.0)
        elapsed = time.perf_counter() - self.started
        eta = elapsed / max(done, 1e-9) * (self.epochs - done)
        where = f"epoch {epoch + 1}/{self.epochs}" + (f" batch {batch}/{batches}" if batch else "")
        metrics = "  ".join(f"{k} {v:.4g}" for k, v in logs.items())
        return f"{where}  {metrics}  ETA {eta:.0f} s"


def _chief() -> bool:
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    task = cluster.get("task", {})
    return task.get("type", "worker") in ("chief", "worker") and int(task.get("index", 0)) == 0


class Collector:
    """Passes messages on and keeps what the parent of a run keeps: the history and the batches per epoch."""

    def __init__(self, forward: Callable[[Message], None]) -> None:
        self.forward, self.history, self.batches = forward, History(), 0

    def __call__(self, msg: Message) -> None:
        if isinstance(msg, BatchEnd):
            self.history.batch.add(msg.step, msg.logs)
            self.batches = msg.batches
        elif isinstance(msg, EpochEnd):
            self.history.epoch.add(msg.epoch + 1, msg.logs)
        elif isinstance(msg, Gradients):
            self.history.gradients.add(msg.step, dict(zip(msg.layers, msg.norms)))
        self.forward(msg)


def _plan(project: Project, args: argparse.Namespace, config: TrainingConfig, run_dir: Path) -> tuple[Job, RunRecord]:
    """The job to run and what to record with it: a new run, or the rest of a stored one (``--resume``)."""
    if args.resume is None or (config.strategy == "multi-worker" and not _chief()):
        # a multi-worker non-chief resumes from the chief's checkpoint, shared in the run: its project may lack the run
        record = new_record(project, config, run_dir, project.main.to_dict(), dict(project.data))
        return Job(record.graph or {}, dict(project.data), config.to_dict(), str(run_dir),
                   resume=args.resume is not None), record
    run = find_resumable(project, args.resume or None)
    if graph_changed(run, project.main.to_dict()):
        raise ProjectError(f"the graph was edited since run {run.label or run.id} trained it, so its checkpoint "
                           "does not fit the project's graph any more: train afresh (without --resume)")
    plan, record = resume_record(project, run.id, run_dir, epochs=args.epochs)
    print(f"resuming {run.label or run.id} after epoch {plan.start_epoch} of {plan.config.epochs}",
          file=sys.stderr, flush=True)
    return Job(plan.graph, plan.data, plan.config.to_dict(), str(run_dir), resume=True), record


def handler(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter is not for a terminal
    path = Path(args.file)
    saves = not args.no_save and _chief()
    if saves:
        for note in recover_runs(path):  # runs of a killed `layerbench train` on this project
            print(note, file=sys.stderr, flush=True)
    project = Project.load(path)
    if project.kind in TRAINERS:
        return TRAINERS[project.kind][1](args)
    config = training_config(project, args)
    if not project.data:
        raise ProjectError("the project has no data yet: choose a dataset in the app first", str(path))
    control = _Control("epoch" if config.strategy == "multi-worker" else "batch")
    with run_folder(path, recoverable=saves) as live:
        job, record = _plan(project, args, config, live.path)
        _describe(live, record, args)
        if record.tensorboard:
            print(f"TensorBoard event files: {record.tensorboard}  (tensorboard --logdir "
                  f"{Path(record.tensorboard).parent})", file=sys.stderr, flush=True)
        collector = Collector(Printer(args.json, record.config.epochs))
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, control.interrupt) if main else None
        try:
            result = run_job(job, collector, control)
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        record.live, record.batches = collector.history.arrays(), collector.batches
        if live.recoverable and isinstance(result, Finished | Failed):
            live.note_result(result)
        status = _report(args, path, record, result)
        live.stored = True
        return status


def _describe(live: LiveRun, record: RunRecord, args: argparse.Namespace) -> None:
    """What the run folder must say for the run to be adopted if this process is killed."""
    if live.recoverable:
        state = RunFolder(live.path).state()  # a resumed run's starting checkpoint
        live.describe(record, args.resume is not None, int(state.get("epoch", 0)), int(state.get("step", 0)))


def _keep(args: argparse.Namespace, path: Path, record: RunRecord, result: Finished | Failed) -> RunModel | None:
    """Store the run into the project file (not with ``--no-save``, nor on a multi-worker non-chief), read again
    first: runs another command stored while this one trained stay in it."""
    if args.no_save or not _chief():
        return None
    current = Project.load(path)
    run_id = store_run(current, result, record)
    current.save(path)
    return current.run(run_id)


def _report(args: argparse.Namespace, path: Path, record: RunRecord, result: Message) -> int:
    if isinstance(result, Failed):
        where = f" ({result.node})" if result.node else ""
        print(f"layerbench: training failed{where}: {result.error}", file=sys.stderr)
        run = _keep(args, path, record, result)
        if run is not None:
            hint = f"; resume with: layerbench train {path} --resume {run.id}" if "checkpoint" in run.info else ""
            print(f"kept in the project as {run.label} ({status_text(run)}){hint}", file=sys.stderr)
        return 1
    assert isinstance(result, Finished)
    summary: dict[str, Any] = {"epochs": result.epochs_done, "stopped": result.stopped, **result.logs,
                               **{f"test_{k}": v for k, v in result.test_logs.items()}, "device": result.device}
    if args.weights_out:
        weights = load_layer_weights(RunFolder(Path(result.weights_path).parent).layer_weights)
        arrays = {f"{k}#{i}": w for k, ws in weights.items() for i, w in enumerate(ws)}
        np.savez(args.weights_out, **arrays)  # type: ignore[arg-type]
    run = _keep(args, path, record, result)
    if run is not None:
        summary["run"] = run.id
    if record.tensorboard:
        summary["tensorboard"] = record.tensorboard
    if args.json:
        print(json.dumps({"final": summary}), flush=True)
    else:
        print("final: " + "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                    for k, v in summary.items()), flush=True)
    return 0


class _Control:
    """Ctrl-C stops at the next batch (the run is still saved); a second Ctrl-C interrupts at once. Under
    ``--strategy multi-worker`` every worker must run the same steps, so the stop comes at the epoch's end."""

    def __init__(self, unit: str = "batch") -> None:
        self.stop, self.pause = threading.Event(), threading.Event()
        self.unit = unit

    def interrupt(self, signum: int, frame: object) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()
        print(f"\nstopping after this {self.unit} (Ctrl-C again to abort)", file=sys.stderr, flush=True)


register_command("train", HELP, add_arguments, handler)
