"""What the workers of a multi-worker run must agree on: the state they start from and the epoch they stop after.

Every worker must run the same steps (a worker that leaves early leaves the others waiting in a collective) and
every replica must start from the same weights. ``MultiWorkerMirroredStrategy`` broadcasts a variable's initial
value when the variable is created, but what is loaded afterwards (a resumed checkpoint: weights, optimizer slots,
epoch and step; or ``initial_weights``) is only where the file is, and the checkpoint is in the chief's run folder
(the others write theirs to a temporary folder). ``share_from_chief`` therefore all-reduces the values of global
replica 0, which lives on the chief, to every replica. ``Vote`` all-reduces flags once per epoch, so a stop asked
on one worker (Ctrl-C on the chief) or early stopping ends every worker after the same epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from core.training.callbacks import RunContext
from core.training.checkpoint import RunFolder, apply_layer_weights, load_layer_weights
from core.training.messages import Log


def is_chief(strategy: Any) -> bool:
    """The worker that writes checkpoints: the ``chief`` task, else worker 0 (or a process without a cluster)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if resolver is None or task_type is None:
        return True
    if task_type == "chief":
        return True
    return task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


def _all_reduce(strategy: Any, first_only: bool) -> Any:
    """A traced function summing a float64 vector over every replica (or taking replica 0's on every replica)."""
    import tensorflow as tf

    def part(x: Any) -> Any:
        context = tf.distribute.get_replica_context()
        keep = tf.equal(context.replica_id_in_sync_group, 0) if first_only else True
        x = x * tf.cast(keep, x.dtype)  # an op made here is placed on the replica's device (the reduce needs one)
        return context.all_reduce(tf.distribute.ReduceOp.SUM, x)

    @tf.function  # type: ignore[untyped-decorator]
    def traced(x: Any) -> Any:
        return strategy.experimental_local_results(strategy.run(part, args=(x,)))[0]

    def reduce(x: np.ndarray) -> np.ndarray:
        return np.asarray(traced(tf.constant(x, dtype=tf.float64)))

    return reduce


def share_from_chief(strategy: Any, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``arrays`` as the chief (global replica 0) has them, on every worker (one all-reduce, in float64: exact for
    float32 weights and for step counts)."""
    flat = np.concatenate([np.asarray(a, dtype="float64").reshape(-1) for a in arrays])
    shared = _all_reduce(strategy, first_only=True)(flat)
    out, at = [], 0
    for a in arrays:
        a = np.asarray(a)
        out.append(shared[at:at + a.size].reshape(a.shape).astype(a.dtype))
        at += a.size
    return out


class Vote:
    """``vote(*flags)``: each flag true on any worker (traced once, called at every epoch's end)."""

    def __init__(self, strategy: Any) -> None:
        self._reduce = _all_reduce(strategy, first_only=False)

    def __call__(self, *flags: bool) -> tuple[bool, ...]:
        total = self._reduce(np.array([float(f) for f in flags], dtype="float64"))
        return tuple(bool(t > 0) for t in total)


def apply_initial_weights(strategy: Any, model: Any, path: str | None) -> None:
    """Start from ``initial_weights`` as the fit path does (``.npz`` by layer name, else Keras weights). A worker
    other than the chief may lack the file: it gets the chief's weights from ``start_state``."""
    if not path or (not is_chief(strategy) and not Path(path).exists()):
        return
    if path.endswith(".npz"):
        apply_layer_weights(model, load_layer_weights(Path(path)))
    else:
        model.load_weights(path)


def start_state(job: Any, strategy: Any, folder: RunFolder, model: Any, optimizer: Any, ctx: RunContext) -> int:
    """The epoch to start from: the fit path's ``_resume`` on this worker's folder (weights, optimizer slots,
    history, step), then, for a resumed run or one with initial weights, the chief's weights, optimizer slots,
    epoch, step and number of epochs on every worker (a worker may have no checkpoint at all: the command line
    resumes a run that only the chief's project holds). Sets ``ctx.step``, ``ctx.epochs_done`` and, when the
    chief's total differs, ``ctx.config``."""
    from core.training.run_parts import resume_from_checkpoint

    start = resume_from_checkpoint(job.resume, folder, SimpleNamespace(optimizer=optimizer), model, ctx)
    if job.resume or job.initial_weights:
        variables = [*model.weights, *optimizer.variables]
        counts = np.array([start, ctx.step, ctx.config.epochs], dtype="int64")
        *values, counts = share_from_chief(strategy, [np.asarray(v.numpy()) for v in variables] + [counts])
        for variable, value in zip(variables, values):
            variable.assign(value)
        if counts[0] and not start:
            ctx.send(Log("info", f"resumed after epoch {counts[0]} (the chief's checkpoint)"))
        start, ctx.step, epochs = (int(c) for c in counts)
        if epochs != ctx.config.epochs:  # a resumed run's total is the chief's (its stored run's, or --epochs)
            ctx.config = ctx.config.model_copy(update={"epochs": epochs})
    ctx.epochs_done = start
    return start
