"""What the fit path (``worker``) and the multi-worker loop (``distributed``) share around training: resuming
from a checkpoint, the heartbeat's tick callback, download progress as messages, and the ``Device`` message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.data.download import Download
from core.training.build import device_of
from core.training.callbacks import RunContext
from core.training.checkpoint import RunFolder, load_optimizer, restore_checkpoint_weights
from core.training.heartbeat import tick_callback
from core.training.history import History
from core.training.messages import Device, Log, Message, Phase


def resume_from_checkpoint(resume: bool, folder: RunFolder, model: Any, inner: Any, ctx: RunContext) -> int:
    """With ``resume`` and a checkpoint in ``folder``: its weights into ``inner``, its optimizer slots into
    ``model.optimizer``, its history and step into ``ctx``; returns the epochs already done (0 without)."""
    if not (resume and folder.has_checkpoint()):
        return 0
    state = folder.state()
    restore_checkpoint_weights(inner, folder)  # the checkpoint .npz (or the .h5 of an older run folder)
    if not load_optimizer(model.optimizer, folder.optimizer):
        ctx.send(Log("warning", "optimizer state did not match; it starts afresh"))
    if folder.history.exists():
        ctx.history = History.from_npz(folder.history)
    ctx.step = int(state.get("step", 0))
    ctx.send(Log("info", f"resumed after epoch {state['epoch']}"))
    return int(state["epoch"])


def tick_callbacks(ctx: RunContext) -> list[Any]:
    """The heartbeat's progress callback when ``send`` is a ``Pulse`` (in the worker process), else none."""
    tick = getattr(ctx.send, "tick", None)
    return [tick_callback(tick)] if tick is not None else []


def download_reporter(send: Callable[[Message], None]) -> Callable[[Download], None]:
    """Turns a dataset download's progress into ``Phase("downloading", text, fraction)`` messages, and its end
    into ``Phase("loading data")`` again (the data is read next)."""

    def report(progress: Download) -> None:
        send(Phase("downloading", progress.text, progress.fraction))
        if progress.finished and progress.part == progress.parts:
            send(Phase("loading data", f"reading {progress.title}"))

    return report


def device_message(model: Any, strategy: Any = None) -> Device:
    """The device the built model's weights live on, the GPU's name when it is one, and the strategy."""
    import tensorflow as tf

    device = device_of(model)
    short, name = device.rsplit("device:", 1)[-1], ""
    if short.upper().startswith("GPU:"):
        try:
            gpu = tf.config.get_visible_devices("GPU")[int(short.split(":")[1])]
            name = str(tf.config.experimental.get_device_details(gpu).get("device_name", ""))
        except (IndexError, ValueError, RuntimeError):
            name = ""
    if strategy is None:
        return Device(device, name)
    return Device(device, name, type(strategy).__name__, int(strategy.num_replicas_in_sync))
