"""Keras objects from a ``TrainingConfig``: device setup, optimizer (with schedule and clipping), loss, metrics.

Runs in the worker process; TensorFlow and Keras are imported inside the functions.
"""

from __future__ import annotations

from typing import Any

from core.training.config import Optimizer, TrainingConfig


def setup_device(device: str, mixed_precision: bool = False, virtual_cpus: int = 0) -> str:
    """Choose the device before TensorFlow initialises its runtime; returns the policy/device note.

    GPUs get memory growth (take memory as needed, give it back when the process ends). ``virtual_cpus``
    splits the CPU into that many logical devices (for testing ``MirroredStrategy`` without GPUs).
    """
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    try:
        gpus = _choose(tf, device, gpus)
        if virtual_cpus > 1:
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * virtual_cpus)
    except RuntimeError:
        pass  # the runtime is already initialised (a second run in one process): keep its devices
    policy = "float32"
    if mixed_precision:
        policy = "mixed_float16" if gpus else "mixed_bfloat16"
    keras.mixed_precision.set_global_policy(policy)
    return policy


def _choose(tf: Any, device: str, gpus: list[Any]) -> list[Any]:
    if device == "cpu":
        tf.config.set_visible_devices([], "GPU")
        return []
    if device.startswith("gpu"):
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= len(gpus):
            raise ValueError(f"device {device} was asked for, but this machine has {len(gpus)} GPU(s)")
        tf.config.set_visible_devices([gpus[index]], "GPU")
        gpus = [gpus[index]]
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)
    return gpus


def learning_rate(opt: Optimizer) -> Any:
    import keras

    s = opt.schedule
    if s.kind == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(opt.learning_rate, s.decay_steps, s.decay_rate)
    if s.kind == "cosine":
        return keras.optimizers.schedules.CosineDecay(opt.learning_rate, s.decay_steps, alpha=s.alpha)
    return opt.learning_rate


def make_optimizer(opt: Optimizer) -> Any:
    """The Keras optimizer for ``opt``; ``gd`` is plain SGD (the engine feeds it the whole set as one batch)."""
    import keras

    o = keras.optimizers
    lr = learning_rate(opt)
    clip = {k: v for k, v in (("clipnorm", opt.clipnorm), ("clipvalue", opt.clipvalue)) if v is not None}
    adam = {"beta_1": opt.beta_1, "beta_2": opt.beta_2, "epsilon": opt.epsilon}
    if opt.name in ("gd", "sgd"):
        return o.SGD(lr, **clip)
    if opt.name in ("momentum", "nesterov"):
        return o.SGD(lr, momentum=opt.momentum, nesterov=opt.name == "nesterov", **clip)
    if opt.name == "adagrad":
        return o.Adagrad(lr, epsilon=opt.epsilon, **clip)
    if opt.name == "rmsprop":
        return o.RMSprop(lr, rho=opt.rho, epsilon=opt.epsilon, **clip)
    if opt.name == "adamw":
        return o.AdamW(lr, weight_decay=opt.weight_decay, **adam, **clip)
    return o.Adam(lr, **adam, **clip)


def make_loss(name: str) -> Any:
    import keras

    return keras.losses.Huber() if name == "huber" else name


def make_metrics(config: TrainingConfig) -> list[Any]:
    """Metric names as Keras takes them; ``accuracy`` is left out for regression losses (it means nothing there)."""
    return [m for m in config.metrics if config.is_classifier or m != "accuracy"]


def strategy_for(config: TrainingConfig) -> Any:
    """The ``tf.distribute`` strategy for ``mirrored`` (all visible GPUs, or the logical CPUs), else the default."""
    import tensorflow as tf

    if config.strategy == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    return tf.distribute.get_strategy()


def device_of(model: Any) -> str:
    """The device the model's first trainable variable lives on (the device actually used)."""
    try:
        variable = model.trainable_variables[0]
        return str(getattr(variable, "value", variable).device) or "unknown"
    except (AttributeError, IndexError):
        return "unknown"
