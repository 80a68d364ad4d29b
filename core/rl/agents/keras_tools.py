"""Keras helpers for the network agents: the network from a graph, optimizers by name, per-layer norms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.graph.model import Graph
from core.rl.config import OptimizerConfig, RLConfig
from core.rl.envs import EnvError, EnvInfo
from core.rl.networks import check_network
from core.translate.to_keras import build_model


def network_from_config(config: RLConfig, env: EnvInfo, role: str) -> tuple[Graph, Any, Any]:
    """The checked graph and two models built from it (online and target/spare), seeded."""
    if config.graph is None:
        raise EnvError(f"the {role} has no graph: draw one on the canvas or start from a template")
    graph = Graph.from_dict(config.graph)
    check_network(graph, env, role)  # before importing Keras: a mismatch is reported at once
    import keras

    keras.utils.set_random_seed(config.seed)
    online = build_model(graph, name="online")
    other = build_model(graph, name="target")
    other.set_weights(online.get_weights())
    return graph, online, other


def set_threads(threads: int) -> bool:
    """Limit TensorFlow to ``threads`` threads (0: its default); False when its runtime already started.

    Offered for small networks on busy machines; on our loaded 2-core machine one thread and the default
    stepped DQN equally fast (150-180 steps/s either way), so the default is left alone.
    """
    import tensorflow as tf

    if threads <= 0:
        return True
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        return False
    return True


def make_optimizer(cfg: OptimizerConfig) -> Any:
    """A Keras optimizer by class name (``Adam``, ``SGD``, ``RMSprop``, ...) with its keyword arguments."""
    import keras

    classes = {name.lower(): obj for name, obj in vars(keras.optimizers).items()
               if isinstance(obj, type) and issubclass(obj, keras.optimizers.Optimizer)}
    cls = classes.get(cfg.name.lower())  # "adam" and "Adam" alike, as the training settings spell them
    if cls is None or cls is keras.optimizers.Optimizer:
        raise EnvError(f"unknown optimizer {cfg.name!r}; use a Keras optimizer such as Adam, SGD or RMSprop")
    try:
        return cls(**cfg.params)
    except (TypeError, ValueError) as exc:
        raise EnvError(f"optimizer {cfg.name}: {exc}") from None


def layer_groups(model: Any) -> list[str]:
    """For each of ``model.trainable_variables``, the name of the layer (= canvas node) it belongs to."""
    owner = {id(v): layer.name for layer in model.layers for v in layer.trainable_variables}
    return [owner.get(id(v), str(v.path).split("/")[0]) for v in model.trainable_variables]


def per_layer(names: Sequence[str], norms: Sequence[float]) -> dict[str, float]:
    """Combine per-variable gradient norms into one norm per layer: the root of the summed squares."""
    total: dict[str, float] = {}
    for name, norm in zip(names, norms):
        total[name] = total.get(name, 0.0) + float(norm) ** 2
    return {k: v**0.5 for k, v in total.items()}


def global_norm(norms: Mapping[str, float]) -> float:
    return float(sum(v * v for v in norms.values()) ** 0.5)
