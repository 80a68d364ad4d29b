"""What every agent shares: observation encoding, schedules, frames, and the interface the loop drives.

An agent chooses actions (``select``), learns from each transition (``observe``) and from each finished
episode (``episode_done``); the loop in ``core.rl.agents.loop`` steps the environment, honours the stop
flag, streams messages and evaluates. Agents never touch the environment themselves.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.rl.config import RLConfig
from core.rl.envs import EnvInfo, SpaceInfo
from core.rl.messages import Frame, RLMessage

ShouldStop = Callable[[], bool]
MAX_FRAME_SIDE = 320


def linear(start: float, end: float, duration: int, t: int) -> float:
    """``start`` moving linearly to ``end`` over ``duration`` steps, then held."""
    frac = min(max(t, 0) / max(duration, 1), 1.0)
    return start + frac * (end - start)


class ObsEncoder:
    """Observations as the network sees them: a discrete state one-hot, a box as float32."""

    def __init__(self, space: SpaceInfo) -> None:
        self.space = space
        self._eye = np.eye(space.n, dtype=np.float32) if space.kind == "discrete" else None

    def __call__(self, obs: Any) -> NDArray[np.float32]:
        if self._eye is not None:
            return np.asarray(self._eye[int(obs)], dtype=np.float32)
        return np.asarray(obs, dtype=np.float32).reshape(self.space.shape)


@dataclass(frozen=True)
class Transition:
    """One environment step. ``terminated`` ends the task (no bootstrap); ``truncated`` is a time limit."""

    obs: Any
    action: int
    reward: float
    next_obs: Any
    terminated: bool
    truncated: bool


class FrameSource:
    """Hands out an rgb_array frame of ``env`` at most ``fps`` times a second, shrunk to at most 320 px."""

    def __init__(self, env: Any, fps: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.env = env
        self.period = 1.0 / fps if fps > 0 else 0.0
        self.clock = clock
        self._next = 0.0
        self.enabled = fps > 0 and getattr(env, "render_mode", None) == "rgb_array"

    def maybe(self, episode: int, step: int) -> Frame | None:
        if not self.enabled:
            return None
        now = self.clock()
        if now < self._next:
            return None
        self._next = now + self.period
        image = render_frame(self.env)
        return None if image is None else Frame(episode, step, image)


def render_frame(env: Any, max_side: int = MAX_FRAME_SIDE) -> NDArray[np.uint8] | None:
    """The environment's current rgb_array frame, subsampled by a whole factor so its longer side fits."""
    image = env.render()
    if image is None:
        return None
    image = np.asarray(image, dtype=np.uint8)
    factor = -(-max(image.shape[:2]) // max_side)
    return image[::factor, ::factor].copy() if factor > 1 else image


class Agent(ABC):
    """An agent the training loop drives. ``model`` is its Keras network, or None for a tabular agent."""

    def __init__(self, config: RLConfig, env: EnvInfo) -> None:
        self.config = config
        self.env = env
        self.encode = ObsEncoder(env.observation)
        self.rng = np.random.default_rng(config.seed)

    model: Any = None

    @property
    @abstractmethod
    def max_episodes(self) -> int | None:
        """Episode budget, or None when the budget is in steps."""

    @property
    @abstractmethod
    def max_steps(self) -> int | None:
        """Environment step budget, or None when the budget is in episodes."""

    @abstractmethod
    def select(self, obs: Any, explore: bool) -> int:
        """The action for ``obs``: exploring while training, greedy (or the policy's mode) otherwise."""

    def observe(self, t: Transition, total_steps: int) -> Iterator[RLMessage]:
        """Learn from one transition; may yield messages (gradient norms)."""
        return iter(())

    def episode_done(self, episode: int, total_steps: int) -> Iterator[RLMessage]:
        """Learn at the end of an episode; may yield messages (snapshots, gradient norms)."""
        return iter(())

    def episode_stats(self) -> dict[str, float]:
        """Fields for ``EpisodeEnded`` (epsilon, loss, mean_q, entropy), reset for the next episode."""
        return {}

    @abstractmethod
    def get_state(self) -> Any:
        """A copy of what the agent has learned (Q-table or network weights)."""

    @abstractmethod
    def set_state(self, state: Any) -> None:
        """Restore what ``get_state`` returned."""
