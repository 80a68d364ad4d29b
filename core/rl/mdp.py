"""Exact solutions of tabular environments: the MDP read from ``env.unwrapped.P``, value and policy iteration.

``P[s][a]`` in gymnasium's toy-text environments lists ``(probability, next_state, reward, terminated)``.
We keep it as two NumPy arrays: ``cont[s, a, s']``, the probability of moving to ``s'`` *and going on*, and
``reward[s, a]``, the expected immediate reward. Then ``Q = reward + gamma * cont @ V`` for every state at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.rl.envs import EnvError, make_env

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
TIE = 1e-9


@dataclass(frozen=True)
class TabularMDP:
    """States, actions, transition probabilities and expected rewards of a tabular environment."""

    env_id: str
    cont: FloatArray
    reward: FloatArray
    terminal: NDArray[np.bool_]
    """States entered only by ending the episode (holes and goals, the taxi after a delivery)."""
    initial: FloatArray

    @property
    def n_states(self) -> int:
        return int(self.reward.shape[0])

    @property
    def n_actions(self) -> int:
        return int(self.reward.shape[1])

    def q_values(self, values: FloatArray, gamma: float) -> FloatArray:
        """One Bellman backup: ``Q[s, a]`` for the state values ``values``."""
        return self.reward + gamma * (self.cont @ values)


@dataclass(frozen=True)
class Solution:
    """Optimal state values, action values and a greedy policy, with the iterations it took."""

    values: FloatArray
    q: FloatArray
    policy: IntArray
    iterations: int


def from_env(env: Any, env_id: str = "") -> TabularMDP:
    """Read the transition table of a gymnasium toy-text environment."""
    base = env.unwrapped
    table = getattr(base, "P", None)
    if table is None:
        raise EnvError(f"{env_id or type(base).__name__} has no transition table; it is not tabular")
    n_s, n_a = int(env.observation_space.n), int(env.action_space.n)
    cont = np.zeros((n_s, n_a, n_s))
    reward = np.zeros((n_s, n_a))
    terminal = np.zeros(n_s, dtype=bool)
    for s in range(n_s):
        for a in range(n_a):
            for p, nxt, r, done in table[s][a]:
                reward[s, a] += p * r
                if done:
                    terminal[nxt] = True
                else:
                    cont[s, a, nxt] += p
    initial = np.asarray(getattr(base, "initial_state_distrib", np.full(n_s, 1.0 / n_s)), dtype=np.float64)
    return TabularMDP(env_id, cont, reward, terminal, initial)


def load_mdp(env_id: str, options: Mapping[str, Any] | None = None) -> TabularMDP:
    """The MDP of a catalog environment with ``options`` (FrozenLake, Taxi, CliffWalking)."""
    env = make_env(env_id, options)
    try:
        return from_env(env, env_id)
    finally:
        env.close()


def greedy(q: FloatArray) -> IntArray:
    """The greedy policy of ``q``; ties go to the lowest action index."""
    return np.asarray(np.argmax(q, axis=1), dtype=np.int64)


def _check_gamma(gamma: float, strict: bool) -> None:
    if not 0.0 <= gamma <= 1.0 or (strict and gamma >= 1.0):
        bound = "below 1" if strict else "at most 1"
        raise EnvError(f"the discount gamma must be at least 0 and {bound}, not {gamma:g}")


def value_iteration(mdp: TabularMDP, gamma: float = 0.99, tol: float = 1e-10,
                    max_iterations: int = 100_000) -> Solution:
    """Repeat the Bellman optimality backup until values move less than ``tol``."""
    _check_gamma(gamma, strict=False)
    values = np.zeros(mdp.n_states)
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        new = mdp.q_values(values, gamma).max(axis=1)
        delta = float(np.max(np.abs(new - values)))
        values = new
        if delta < tol:
            break
    q = mdp.q_values(values, gamma)
    return Solution(values, q, greedy(q), iterations)


def evaluate_policy(mdp: TabularMDP, policy: IntArray, gamma: float) -> FloatArray:
    """Exact values of a deterministic policy: solve ``(I - gamma P_pi) V = R_pi``."""
    _check_gamma(gamma, strict=True)
    idx = np.arange(mdp.n_states)
    p_pi = mdp.cont[idx, policy]
    r_pi = mdp.reward[idx, policy]
    return np.asarray(np.linalg.solve(np.eye(mdp.n_states) - gamma * p_pi, r_pi), dtype=np.float64)


def policy_iteration(mdp: TabularMDP, gamma: float = 0.99, max_iterations: int = 1_000) -> Solution:
    """Evaluate the policy exactly, improve it greedily, stop when it no longer changes (gamma below 1)."""
    policy = np.zeros(mdp.n_states, dtype=np.int64)
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        values = evaluate_policy(mdp, policy, gamma)
        q = mdp.q_values(values, gamma)
        best = q.max(axis=1, keepdims=True)
        # keep the current action when it is still (nearly) best, so ties cannot make the loop cycle
        keep = q[np.arange(mdp.n_states), policy] >= best[:, 0] - TIE
        new = np.where(keep, policy, greedy(q))
        if np.array_equal(new, policy):
            break
        policy = new
    values = evaluate_policy(mdp, policy, gamma)
    q = mdp.q_values(values, gamma)
    return Solution(values, q, policy, iterations)


def policy_return(mdp: TabularMDP, policy: IntArray, gamma: float) -> float:
    """Expected discounted return of ``policy`` from the start distribution."""
    return float(mdp.initial @ evaluate_policy(mdp, policy, gamma))


def gap(mdp: TabularMDP, q: FloatArray, exact: Solution) -> tuple[float, float]:
    """How far a learned Q-table is from the exact solution: the largest state-value error over non-terminal
    states, and the share of those states where the greedy action of ``q`` is optimal."""
    live = ~mdp.terminal
    if not live.any():
        return 0.0, 1.0
    value_err = float(np.max(np.abs(q.max(axis=1) - exact.values)[live]))
    chosen = greedy(q)
    best = exact.q.max(axis=1)
    optimal = exact.q[np.arange(mdp.n_states), chosen] >= best - 1e-6
    return value_err, float(np.mean(optimal[live]))
