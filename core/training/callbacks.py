"""The Keras callback that streams a run to the parent and honours stop and pause between batches."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from core.training import monitors
from core.training.checkpoint import RunFolder
from core.training.config import TrainingConfig
from core.training.health import diagnose
from core.training.history import History
from core.training.messages import (
    BatchEnd,
    Confusion,
    EpochEnd,
    Failed,
    FeatureMaps,
    Gradients,
    Log,
    Message,
    Phase,
    Weights,
    floats,
)

PAUSE_POLL = 0.05


class Flag(Protocol):
    def is_set(self) -> bool: ...


class Control(Protocol):
    """What the parent can ask of a running worker: ``stop`` (at the next batch) and ``pause`` (while set)."""

    @property
    def stop(self) -> Flag: ...

    @property
    def pause(self) -> Flag: ...


class StopRun(Exception):
    """Raised from the callback to leave ``fit`` at once (no validation pass after a stop)."""


@dataclass
class Diverged:
    """Set by the callback when the loss became non-finite."""

    step: int
    node: str | None
    why: str = ""

    def failure(self) -> Failed:
        """The message that ends the run, naming the first layer that went non-finite."""
        where = f" in {self.node} ({self.why})" if self.node else ""
        return Failed(f"the loss became NaN or infinite at step {self.step}{where}; the run was stopped "
                      "(try a lower learning rate or gradient clipping)", self.node, kind="diverged")


@dataclass
class RunContext:
    """Everything the callback needs; built by the worker."""

    config: TrainingConfig
    send: Callable[[Message], None]
    control: Control
    inner: Any
    folder: RunFolder
    history: History
    grad_layers: list[str] = field(default_factory=list)
    sample: np.ndarray | None = None
    """A few training samples (the NaN finder runs on them)."""
    train_x: np.ndarray | None = None
    """The training inputs: the feature maps' fixed sample is ``train_x[monitors.feature_map_sample]``."""
    eval_x: np.ndarray | None = None
    eval_y: np.ndarray | None = None
    classes: list[str] | None = None
    batches: int = 0
    step: int = 0
    first_batch_at: float | None = None
    started_at: float = field(default_factory=time.perf_counter)
    diverged: Diverged | None = None
    stopped: bool = False
    epochs_done: int = 0
    epoch: int = 0
    checkpoints: Any = None
    checkpointed_at: float = field(default_factory=time.perf_counter)
    """A ``BackgroundCheckpoints`` (set by the worker)."""
    unsaved: bool = False
    """An epoch ended without a checkpoint (``checkpoint_seconds``); saved when the run ends."""
    gather: float = 0.0
    """Seconds over which batches' logs are kept as they came and turned into ``BatchEnd`` messages and history
    rows together (``flush_batches``); 0: at every batch. The worker process gathers (``heartbeat.COALESCE``):
    Python run right after a training step runs with the step's data in the caches, ~4 times slower than the
    same code run in a loop, and the per-batch work was 3 % of the benchmark CNN's 3 ms batch."""
    pending: list[tuple[int, int, int, dict[str, Any]]] = field(default_factory=list)
    """Batches not yet flushed: (epoch, batch, step, logs)."""
    gathered_at: float = 0.0


def make_callback(ctx: RunContext) -> Any:
    """A ``keras.callbacks.Callback`` bound to ``ctx`` (class created here: keras is imported lazily)."""
    import keras

    class Stream(keras.callbacks.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.ctx = ctx
            m = ctx.config.monitors
            self.feature_input = feature_sample(ctx) if m.feature_maps else None
            self.features = monitors.feature_map_fn(ctx.inner) if self.feature_input is not None else None
            self.sample_sent = False
            self.previous = monitors.weight_arrays(ctx.inner) if m.update_ratios else None
            self.epoch_started = time.perf_counter()
            self.epoch = 0

        def on_train_begin(self, logs: Any = None) -> None:
            counter = getattr(self.model, "monitor_step", None)
            if counter is not None:  # the wrapper's step count, for norms on every k-th step (a resumed run)
                counter.assign(ctx.step)

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch, self.epoch_started = epoch, time.perf_counter()
            ctx.epoch = epoch

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            on_batch(self, batch, logs or {})

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            on_epoch(self, epoch, logs or {})

    return Stream()


def on_batch(cb: Any, batch: int, logs: dict[str, Any]) -> None:
    ctx: RunContext = cb.ctx
    m = ctx.config.monitors
    ctx.step += 1
    ctx.pending.append((cb.epoch, batch, ctx.step, logs))
    if ctx.first_batch_at is None:
        ctx.first_batch_at = time.perf_counter() - ctx.started_at
        ctx.send(Phase("training", f"first batch after {ctx.first_batch_at:.2f} s"))
        flush_batches(ctx)
    elif not ctx.gather or batch + 1 == ctx.batches or time.monotonic() - ctx.gathered_at >= ctx.gather:
        flush_batches(ctx)
    if "grad_norms" in logs and ctx.step % m.gradient_every == 0:
        flush_batches(ctx)
        _send_gradients(ctx, logs)
    if cb.features is not None and (ctx.step % m.feature_maps_every == 0 or not cb.sample_sent):
        flush_batches(ctx)
        names, fn = cb.features
        sample = None if cb.sample_sent else monitors.thumbnail(cb.feature_input[0])
        ctx.send(FeatureMaps(ctx.step, monitors.as_maps(names, fn(cb.feature_input)), sample))
        cb.sample_sent = True
    loss = logs.get("loss", 0.0)
    if m.nan_check and not math.isfinite(loss if type(loss) is float else float(np.asarray(loss))):
        flush_batches(ctx)
        _diverged(cb, ctx)
    _control(cb, ctx)


def flush_batches(ctx: RunContext) -> None:
    """The pending batches as ``BatchEnd`` messages (every ``batch_messages_every``-th and each epoch's last)
    and history rows, in order."""
    m = ctx.config.monitors
    tick = getattr(ctx.send, "tick", None)
    for epoch, batch, step, logs in ctx.pending:
        scalars = without_skipped_norm(ctx, floats(logs), step)
        if step % m.batch_messages_every == 0 or batch + 1 == ctx.batches:
            ctx.send(BatchEnd(epoch, batch, step, scalars, ctx.batches))
        elif tick is not None:
            tick()  # progress for the heartbeat without a message
        ctx.history.batch.add(step, scalars)
    ctx.pending.clear()
    ctx.gathered_at = time.monotonic()


def without_skipped_norm(ctx: RunContext, scalars: dict[str, float], step: int) -> dict[str, float]:
    """``scalars`` of ``step`` without ``grad_global_norm`` when that step's norms were not computed (the wrapper
    logs 0)."""
    if "grad_global_norm" in scalars and step % ctx.config.monitors.gradient_every:
        scalars.pop("grad_global_norm")
    return scalars


def feature_sample(ctx: RunContext) -> np.ndarray | None:
    """The feature maps' fixed sample as a batch of one: ``train_x[feature_map_sample]``, the last sample (and
    a warning) when the index is past the end; None without data."""
    x = ctx.train_x if ctx.train_x is not None else ctx.sample
    if x is None or not len(x):
        return None
    index = ctx.config.monitors.feature_map_sample
    if index >= len(x):
        ctx.send(Log("warning", f"feature maps: sample {index} was asked for, but the training data has "
                                f"{len(x)} samples (0 to {len(x) - 1}); showing sample {len(x) - 1}"))
        index = len(x) - 1
    return np.asarray(x[index:index + 1])


def _send_gradients(ctx: RunContext, logs: dict[str, Any]) -> None:
    norms = [float(v) for v in np.asarray(logs["grad_norms"]).reshape(-1)]
    verdict = diagnose(ctx.grad_layers, norms)
    ctx.history.gradients.add(ctx.step, dict(zip(ctx.grad_layers, norms)))
    ctx.send(Gradients(ctx.step, ctx.grad_layers, norms, float(np.asarray(logs["grad_global_norm"])),
                       verdict.status, verdict.detail))


def _diverged(cb: Any, ctx: RunContext) -> None:
    node, why = monitors.first_nonfinite(ctx.inner, ctx.sample) if ctx.sample is not None else (None, "")
    ctx.diverged = Diverged(ctx.step, node, why)
    raise StopRun("diverged")


def _control(cb: Any, ctx: RunContext) -> None:
    if ctx.control.pause.is_set():
        flush_batches(ctx)  # a paused run shows its last batch
        while ctx.control.pause.is_set() and not ctx.control.stop.is_set():
            time.sleep(PAUSE_POLL)
    if ctx.control.stop.is_set():
        flush_batches(ctx)
        ctx.stopped = True
        raise StopRun("stopped")


def on_epoch(cb: Any, epoch: int, logs: dict[str, Any]) -> None:
    ctx: RunContext = cb.ctx
    if ctx.diverged is not None:
        return
    epoch_messages(cb, epoch, logs)
    checkpoint_epoch(ctx, cb.model.optimizer, epoch)


def epoch_messages(cb: Any, epoch: int, logs: dict[str, Any]) -> None:
    """The end of an epoch without the checkpoint: ``EpochEnd``, weight statistics, confusion matrix."""
    ctx: RunContext = cb.ctx
    m = ctx.config.monitors
    flush_batches(ctx)
    scalars = without_skipped_norm(ctx, floats(logs), ctx.step)  # an epoch's logs are its last step's
    ctx.history.epoch.add(epoch + 1, scalars)
    ctx.send(EpochEnd(epoch, scalars, time.perf_counter() - cb.epoch_started, ctx.config.epochs))
    if m.weight_histograms or m.update_ratios:
        current = monitors.weight_arrays(ctx.inner)
        hists, biases, norms, ratios = monitors.weight_stats(current, cb.previous)
        show = m.weight_histograms
        ctx.send(Weights(epoch, hists if show else {}, biases if show else {}, norms, ratios))
        cb.previous = current if m.update_ratios else None
    if m.confusion_matrix and ctx.classes and ctx.eval_x is not None and ctx.eval_y is not None:
        y = ctx.eval_y
        ids = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1).astype("int64")
        pred = monitors.predict_classes(ctx.inner, ctx.eval_x)
        ctx.send(Confusion(epoch, monitors.confusion(ids, pred, len(ctx.classes)), list(ctx.classes)))


def checkpoint_epoch(ctx: RunContext, optimizer: Any, epoch: int) -> None:
    """The end-of-epoch checkpoint through ``ctx.checkpoints``, unless one was written under
    ``checkpoint_seconds`` ago (then ``ctx.unsaved`` says the run's end must write it)."""
    ctx.epochs_done = epoch + 1
    now = time.perf_counter()
    if now - ctx.checkpointed_at < ctx.config.checkpoint_seconds and epoch + 1 < ctx.config.epochs:
        ctx.unsaved = True  # short epochs: saving each would cost more than it protects (see checkpoint_seconds)
        return
    ctx.checkpoints.save(optimizer, ctx.history, epoch + 1, ctx.step)
    ctx.checkpointed_at, ctx.unsaved = now, False
