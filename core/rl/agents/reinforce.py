"""REINFORCE (Monte-Carlo policy gradient) with a policy network drawn on the canvas.

The network outputs one score per action: logits, or probabilities when it ends in a softmax (detected from
the graph). Loss: ``-mean(log pi(a|s) * A) - beta * mean(entropy)`` where ``A`` is the discounted return,
minus its batch mean (``mean``) or standardised (``normalize``) when a baseline is chosen.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.rl.agents.base import Agent, Transition
from core.rl.agents.fast_forward import numpy_forward
from core.rl.agents.keras_tools import global_norm, layer_groups, make_optimizer, network_from_config, per_layer
from core.rl.config import ReinforceConfig, RLConfig
from core.rl.envs import EnvError, EnvInfo
from core.rl.messages import GradientNorms, RLMessage
from core.rl.networks import outputs_probabilities

LOG_FLOOR = 1e-8


def discounted_returns(rewards: list[float], gamma: float) -> NDArray[np.float32]:
    """``G_t = r_t + gamma G_{t+1}`` for every step of one episode."""
    out = np.zeros(len(rewards), dtype=np.float32)
    running = 0.0
    for i in range(len(rewards) - 1, -1, -1):
        running = rewards[i] + gamma * running
        out[i] = running
    return out


def advantages(returns: NDArray[np.float32], baseline: str) -> NDArray[np.float32]:
    """The returns, minus their mean or standardised, as the chosen baseline says."""
    if baseline == "none" or len(returns) == 0:
        return np.asarray(returns, dtype=np.float32)
    centred = returns - returns.mean()
    if baseline == "mean":
        return np.asarray(centred, dtype=np.float32)
    return np.asarray(centred / (returns.std() + 1e-8), dtype=np.float32)


class ReinforceAgent(Agent):
    """Samples actions from the policy while training, takes the most likely one when greedy."""

    def __init__(self, config: RLConfig, env: EnvInfo) -> None:
        super().__init__(config, env)
        if not isinstance(config.agent, ReinforceConfig):
            raise EnvError("ReinforceAgent needs a reinforce agent config")
        self.hp = config.agent
        self.graph, self.model, _ = network_from_config(config, env, "policy network")
        self.probabilities = outputs_probabilities(self.graph)
        self.optimizer = make_optimizer(self.hp.optimizer)
        self.optimizer.build(self.model.trainable_variables)
        self.layer_names = layer_groups(self.model)
        self._log_probs_of, self._train_step = self._compile()
        self._fast = numpy_forward(self.graph, self.model)
        self._episode: tuple[list[Any], list[int], list[float]] = ([], [], [])
        self._batch: list[tuple[list[Any], list[int], NDArray[np.float32]]] = []
        self.updates = 0
        self._stats: dict[str, float] = {}

    @property
    def max_episodes(self) -> int | None:
        return self.hp.episodes

    @property
    def max_steps(self) -> int | None:
        return None

    def _compile(self) -> tuple[Any, Any]:
        import tensorflow as tf

        model, variables, optimizer = self.model, self.model.trainable_variables, self.optimizer
        shape = list(self.env.observation.network_shape)
        beta, probabilities = self.hp.entropy_coef, self.probabilities

        def log_policy(out: Any) -> Any:
            if probabilities:
                return tf.math.log(tf.clip_by_value(out, LOG_FLOOR, 1.0))
            return tf.nn.log_softmax(out, axis=-1)

        def log_probs_of(x: Any) -> Any:
            return log_policy(model(x, training=False))[0]

        spec = [tf.TensorSpec([None, *shape], tf.float32), tf.TensorSpec([None], tf.int32),
                tf.TensorSpec([None], tf.float32)]

        def train_step(obs: Any, act: Any, adv: Any) -> Any:
            with tf.GradientTape() as tape:
                logp = log_policy(model(obs, training=True))
                chosen = tf.gather(logp, act, batch_dims=1)
                entropy = -tf.reduce_sum(tf.exp(logp) * logp, axis=1)
                loss = -tf.reduce_mean(chosen * adv) - beta * tf.reduce_mean(entropy)
            grads = tape.gradient(loss, variables)
            optimizer.apply(grads, variables)
            return loss, tf.reduce_mean(entropy), tf.stack([tf.norm(g) for g in grads])

        return (tf.function(log_probs_of, input_signature=[tf.TensorSpec([1, *shape], tf.float32)]),
                tf.function(train_step, input_signature=spec))

    def probabilities_of(self, obs: Any) -> NDArray[np.float64]:
        """The policy's action probabilities for one raw observation."""
        if self._fast is not None:
            out = self._fast(self.encode(obs)).astype(np.float64)
            if self.probabilities:
                return np.asarray(out / out.sum(), dtype=np.float64)
            logp = out
        else:
            logp = np.asarray(self._log_probs_of(self.encode(obs)[None]), dtype=np.float64)
        p = np.exp(logp - logp.max())
        return np.asarray(p / p.sum(), dtype=np.float64)

    def select(self, obs: Any, explore: bool) -> int:
        p = self.probabilities_of(obs)
        if not explore:
            return int(np.argmax(p))
        return int(min(np.searchsorted(np.cumsum(p), self.rng.random() * p.sum()), len(p) - 1))

    def observe(self, t: Transition, total_steps: int) -> Iterator[RLMessage]:
        obs, acts, rews = self._episode
        obs.append(self.encode(t.obs))
        acts.append(t.action)
        rews.append(t.reward)
        return iter(())

    def episode_done(self, episode: int, total_steps: int) -> Iterator[RLMessage]:
        obs, acts, rews = self._episode
        self._batch.append((obs, acts, discounted_returns(rews, self.hp.gamma)))
        self._episode = ([], [], [])
        if len(self._batch) < self.hp.episodes_per_update:
            return
        obs_all = np.stack([o for ep in self._batch for o in ep[0]])
        act_all = np.asarray([a for ep in self._batch for a in ep[1]], dtype=np.int32)
        adv = advantages(np.concatenate([ep[2] for ep in self._batch]), self.hp.baseline)
        self._batch = []
        loss, entropy, norms = self._train_step(obs_all, act_all, adv)
        self.updates += 1
        if self._fast is not None:
            self._fast.mark_stale()
        self._stats = {"loss": float(loss), "entropy": float(entropy)}
        if self.updates % self.hp.grad_every == 0:
            layer_norms = per_layer(self.layer_names, np.asarray(norms).tolist())
            yield GradientNorms(self.updates, total_steps, layer_norms, global_norm(layer_norms))

    def episode_stats(self) -> dict[str, float]:
        stats, self._stats = self._stats, {}
        return stats

    def get_state(self) -> Any:
        return [w.copy() for w in self.model.get_weights()]

    def set_state(self, state: Any) -> None:
        self.model.set_weights(state)
        if self._fast is not None:
            self._fast.mark_stale()
