"""Tabular Q-learning in NumPy: epsilon-greedy behaviour, ``Q[s, a] += alpha (target - Q[s, a])``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from core.rl.agents.base import Agent, Transition, linear
from core.rl.config import QLearningConfig, RLConfig
from core.rl.envs import EnvError, EnvInfo
from core.rl.mdp import Solution, TabularMDP, gap, load_mdp, value_iteration
from core.rl.messages import QTableSnapshot, RLMessage


class QLearningAgent(Agent):
    """A Q-table per state and action; snapshots with the gap to the exact solution every few episodes."""

    def __init__(self, config: RLConfig, env: EnvInfo) -> None:
        super().__init__(config, env)
        if not isinstance(config.agent, QLearningConfig):
            raise EnvError("QLearningAgent needs a qlearning agent config")
        if env.observation.kind != "discrete":
            raise EnvError(f"tabular Q-learning needs discrete states; {env.id} observations are continuous "
                           f"(shape {env.observation.shape}): use DQN")
        self.hp = config.agent
        self.q = np.zeros((env.observation.n, env.n_actions))
        self.epsilon = self.hp.epsilon_start
        self.alpha = self.hp.alpha
        self._td_sum, self._td_count = 0.0, 0
        self._mdp: TabularMDP | None = None
        self._exact: Solution | None = None

    @property
    def max_episodes(self) -> int | None:
        return self.hp.episodes

    @property
    def max_steps(self) -> int | None:
        return None

    def select(self, obs: Any, explore: bool) -> int:
        if explore and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.env.n_actions))
        row = self.q[int(obs)]
        # break ties at random while exploring so an all-zero table does not always pick action 0
        best = np.flatnonzero(row == row.max())
        return int(self.rng.choice(best)) if explore and len(best) > 1 else int(best[0])

    def observe(self, t: Transition, total_steps: int) -> Iterator[RLMessage]:
        s, a, s2 = int(t.obs), t.action, int(t.next_obs)
        target = t.reward if t.terminated else t.reward + self.hp.gamma * float(self.q[s2].max())
        error = target - self.q[s, a]
        self.q[s, a] += self.alpha * error
        self._td_sum += abs(error)
        self._td_count += 1
        return iter(())

    def episode_done(self, episode: int, total_steps: int) -> Iterator[RLMessage]:
        hp = self.hp
        self.epsilon = linear(hp.epsilon_start, hp.epsilon_end, hp.epsilon_decay_episodes, episode)
        if hp.alpha_end is not None:
            self.alpha = linear(hp.alpha, hp.alpha_end, hp.episodes, episode)
        if episode % hp.snapshot_every == 0 or episode == hp.episodes:
            yield self.snapshot(episode)

    def snapshot(self, episode: int) -> QTableSnapshot:
        """The Q-table now, with its gap to value iteration's solution (same gamma)."""
        mdp, exact = self.exact()
        value_gap, match = gap(mdp, self.q, exact)
        return QTableSnapshot(episode, self.q.copy(), value_gap, match)

    def exact(self) -> tuple[TabularMDP, Solution]:
        """The environment's MDP and its exact solution, computed once."""
        if self._mdp is None or self._exact is None:
            self._mdp = load_mdp(self.env.id, self.env.options)
            self._exact = value_iteration(self._mdp, self.hp.gamma)
        return self._mdp, self._exact

    def episode_stats(self) -> dict[str, float]:
        """Epsilon, the mean absolute TD error of the episode as ``loss``, the mean greedy value as ``mean_q``."""
        loss = self._td_sum / self._td_count if self._td_count else float("nan")
        self._td_sum, self._td_count = 0.0, 0
        return {"epsilon": self.epsilon, "loss": loss, "mean_q": float(self.q.max(axis=1).mean())}

    def get_state(self) -> Any:
        return self.q.copy()

    def set_state(self, state: Any) -> None:
        self.q = np.array(state, dtype=np.float64)
