"""A fixed-size replay buffer in NumPy: a ring of preallocated arrays, uniform sampling."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Batch = tuple[NDArray[np.float32], NDArray[np.int32], NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]


class ReplayBuffer:
    """Holds the last ``capacity`` transitions (encoded observations); ``sample`` draws a batch uniformly."""

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], rng: np.random.Generator) -> None:
        self.capacity = capacity
        self.rng = rng
        self.obs = np.zeros((capacity, *obs_shape), dtype=np.float32)
        self.next_obs = np.zeros((capacity, *obs_shape), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int32)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.done = np.zeros(capacity, dtype=np.float32)
        self._next = 0
        self.size = 0

    def add(self, obs: NDArray[np.float32], action: int, reward: float, next_obs: NDArray[np.float32],
            terminated: bool) -> None:
        i = self._next
        self.obs[i], self.actions[i], self.rewards[i] = obs, action, reward
        self.next_obs[i], self.done[i] = next_obs, float(terminated)
        self._next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int) -> Batch:
        idx = self.rng.integers(0, self.size, size=batch_size)
        return self.obs[idx], self.actions[idx], self.rewards[idx], self.next_obs[idx], self.done[idx]

    def __len__(self) -> int:
        return self.size
