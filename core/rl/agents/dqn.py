"""DQN with a Q-network drawn on the canvas: replay buffer, target network, epsilon-greedy, Huber loss.

The gradient step is one ``tf.function`` traced once for the fixed batch shape (never ``fit``/``predict``
per step, which costs milliseconds each). Double DQN is on by default: the online network picks the next
action, the target network values it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from core.rl.agents.base import Agent, Transition, linear
from core.rl.agents.fast_forward import numpy_forward
from core.rl.agents.keras_tools import global_norm, layer_groups, make_optimizer, network_from_config, per_layer
from core.rl.agents.replay import ReplayBuffer
from core.rl.config import DQNConfig, RLConfig
from core.rl.envs import EnvError, EnvInfo
from core.rl.messages import GradientNorms, RLMessage


class DQNAgent(Agent):
    """Deep Q-learning; ``model`` is the online Q-network (a ``keras.Model`` named after the graph's nodes)."""

    def __init__(self, config: RLConfig, env: EnvInfo) -> None:
        super().__init__(config, env)
        if not isinstance(config.agent, DQNConfig):
            raise EnvError("DQNAgent needs a dqn agent config")
        self.hp = config.agent
        self.graph, self.model, self.target = network_from_config(config, env, "Q-network")
        self.optimizer = make_optimizer(self.hp.optimizer)
        self.optimizer.build(self.model.trainable_variables)
        self.buffer = ReplayBuffer(self.hp.buffer_size, env.observation.network_shape, self.rng)
        self.layer_names = layer_groups(self.model)
        self._q_of, self._train_step, self._soft_update = self._compile()
        self._fast = numpy_forward(self.graph, self.model)
        self.epsilon = self.hp.epsilon_start
        self.updates = 0
        self._losses: list[float] = []
        self._qs: list[float] = []

    @property
    def max_episodes(self) -> int | None:
        return None

    @property
    def max_steps(self) -> int | None:
        return self.hp.total_steps

    def _compile(self) -> tuple[Any, Any, Any]:
        import tensorflow as tf

        hp, online, target = self.hp, self.model, self.target
        shape = list(self.env.observation.network_shape)
        variables = online.trainable_variables
        optimizer, delta, gamma = self.optimizer, hp.huber_delta, hp.gamma

        def q_of(x: Any) -> Any:
            return online(x, training=False)[0]

        batch = [tf.TensorSpec([hp.batch_size, *shape], tf.float32), tf.TensorSpec([hp.batch_size], tf.int32),
                 tf.TensorSpec([hp.batch_size], tf.float32), tf.TensorSpec([hp.batch_size, *shape], tf.float32),
                 tf.TensorSpec([hp.batch_size], tf.float32)]

        def train_step(obs: Any, act: Any, rew: Any, nxt: Any, done: Any) -> Any:
            q_next_all = target(nxt, training=False)
            if hp.double:
                best = tf.argmax(online(nxt, training=False), axis=1, output_type=tf.int32)
                q_next = tf.gather(q_next_all, best, batch_dims=1)
            else:
                q_next = tf.reduce_max(q_next_all, axis=1)
            y = tf.stop_gradient(rew + gamma * (1.0 - done) * q_next)
            with tf.GradientTape() as tape:
                q = online(obs, training=True)
                err = tf.abs(y - tf.gather(q, act, batch_dims=1))
                quad = tf.minimum(err, delta)
                loss = tf.reduce_mean(0.5 * quad * quad + delta * (err - quad))
            grads = tape.gradient(loss, variables)
            optimizer.apply(grads, variables)
            return loss, tf.reduce_mean(q), tf.stack([tf.norm(g) for g in grads])

        def soft_update() -> None:
            for t, o in zip(target.trainable_variables, online.trainable_variables):
                t.assign(hp.tau * o + (1.0 - hp.tau) * t)

        return (tf.function(q_of, input_signature=[tf.TensorSpec([1, *shape], tf.float32)]),
                tf.function(train_step, input_signature=batch), tf.function(soft_update))

    def q_values(self, obs: Any) -> np.ndarray[Any, Any]:
        """The Q-network's values for one raw observation."""
        if self._fast is not None:
            return self._fast(self.encode(obs))
        return np.asarray(self._q_of(self.encode(obs)[None]))

    def select(self, obs: Any, explore: bool) -> int:
        if explore and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.env.n_actions))
        return int(np.argmax(self.q_values(obs)))

    def observe(self, t: Transition, total_steps: int) -> Iterator[RLMessage]:
        hp = self.hp
        self.buffer.add(self.encode(t.obs), t.action, t.reward, self.encode(t.next_obs), t.terminated)
        self.epsilon = linear(hp.epsilon_start, hp.epsilon_end, hp.epsilon_decay_steps, total_steps)
        if total_steps % hp.target_update_every == 0:
            self._update_target()
        if total_steps < hp.learning_starts or total_steps % hp.train_every or len(self.buffer) < hp.batch_size:
            return
        loss, mean_q, norms = self._train_step(*self.buffer.sample(hp.batch_size))
        self.updates += 1
        if self._fast is not None:
            self._fast.mark_stale()
        self._losses.append(float(loss))
        self._qs.append(float(mean_q))
        if self.updates % hp.grad_every == 0:
            layer_norms = per_layer(self.layer_names, np.asarray(norms).tolist())
            yield GradientNorms(self.updates, total_steps, layer_norms, global_norm(layer_norms))

    def _update_target(self) -> None:
        if self.hp.tau >= 1.0:
            self.target.set_weights(self.model.get_weights())
        else:
            self._soft_update()

    def episode_stats(self) -> dict[str, float]:
        stats = {"epsilon": self.epsilon, "loss": float(np.mean(self._losses)) if self._losses else float("nan"),
                 "mean_q": float(np.mean(self._qs)) if self._qs else float("nan")}
        self._losses.clear()
        self._qs.clear()
        return stats

    def get_state(self) -> Any:
        return [w.copy() for w in self.model.get_weights()]

    def set_state(self, state: Any) -> None:
        self.model.set_weights(state)
        self.target.set_weights(state)
        if self._fast is not None:
            self._fast.mark_stale()
