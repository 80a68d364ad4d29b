"""What an RL run is: environment, agent with its hyper-parameters, budgets and the network graph (pydantic).

The agent part is a tagged union on ``kind`` (``qlearning``, ``dqn``, ``reinforce``), so a saved project
section like ``{"kind": "dqn", "gamma": 0.99, ...}`` validates into the right class with each field checked.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnvConfig(_Strict):
    """The environment: a catalog id, its options and an optional episode step limit."""

    id: str = "CartPole-v1"
    options: dict[str, Any] = Field(default_factory=dict)
    max_episode_steps: int | None = Field(default=None, ge=1)


class OptimizerConfig(_Strict):
    """Any Keras optimizer by class name with its keyword arguments, e.g. ``Adam`` with ``learning_rate``."""

    name: str = "Adam"
    params: dict[str, Any] = Field(default_factory=lambda: {"learning_rate": 1e-3})


class QLearningConfig(_Strict):
    """Tabular Q-learning: ``Q += alpha (r + gamma max Q' - Q)``, epsilon decaying linearly over episodes."""

    kind: Literal["qlearning"] = "qlearning"
    alpha: float = Field(default=0.1, gt=0, le=1)
    alpha_end: float | None = Field(default=None, gt=0, le=1, description="decay alpha linearly to this")
    gamma: float = Field(default=0.99, ge=0, le=1)
    epsilon_start: float = Field(default=1.0, ge=0, le=1)
    epsilon_end: float = Field(default=0.05, ge=0, le=1)
    epsilon_decay_episodes: int = Field(default=1_000, ge=1)
    episodes: int = Field(default=5_000, ge=1)
    snapshot_every: int = Field(default=100, ge=1, description="Q-table snapshot and gap to the exact solution")


class DQNConfig(_Strict):
    """Deep Q-learning: replay buffer, target network, epsilon-greedy, Huber loss."""

    kind: Literal["dqn"] = "dqn"
    gamma: float = Field(default=0.99, ge=0, le=1)
    optimizer: OptimizerConfig = Field(default_factory=lambda: OptimizerConfig())
    buffer_size: int = Field(default=50_000, ge=1)
    batch_size: int = Field(default=64, ge=1)
    learning_starts: int = Field(default=1_000, ge=0)
    train_every: int = Field(default=1, ge=1, description="env steps per gradient update")
    target_update_every: int = Field(default=500, ge=1, description="env steps between target network copies")
    tau: float = Field(default=1.0, gt=0, le=1, description="1 copies the weights; below 1 blends them (soft update)")
    double: bool = True
    huber_delta: float = Field(default=1.0, gt=0)
    epsilon_start: float = Field(default=1.0, ge=0, le=1)
    epsilon_end: float = Field(default=0.05, ge=0, le=1)
    epsilon_decay_steps: int = Field(default=10_000, ge=1)
    total_steps: int = Field(default=100_000, ge=1)
    grad_every: int = Field(default=100, ge=1, description="per-layer gradient norms every this many updates")


class ReinforceConfig(_Strict):
    """REINFORCE: discounted returns, an optional baseline, an entropy bonus."""

    kind: Literal["reinforce"] = "reinforce"
    gamma: float = Field(default=0.99, ge=0, le=1)
    optimizer: OptimizerConfig = Field(default_factory=lambda: OptimizerConfig(params={"learning_rate": 1e-2}))
    baseline: Literal["none", "mean", "normalize"] = "normalize"
    entropy_coef: float = Field(default=0.0, ge=0)
    episodes_per_update: int = Field(default=1, ge=1)
    episodes: int = Field(default=1_000, ge=1)
    grad_every: int = Field(default=10, ge=1)


AgentConfig = Annotated[QLearningConfig | DQNConfig | ReinforceConfig, Field(discriminator="kind")]


class EvalConfig(_Strict):
    """Greedy evaluation while training; with ``keep_best`` the best evaluated weights are kept at the end."""

    every_episodes: int = Field(default=0, ge=0, description="0: never during training")
    episodes: int = Field(default=10, ge=1)
    keep_best: bool = False
    stop_at: float | None = Field(default=None, description="stop training once an evaluation reaches this mean return")


class RLConfig(_Strict):
    """One RL run."""

    env: EnvConfig = Field(default_factory=lambda: EnvConfig())
    agent: AgentConfig = Field(default_factory=lambda: DQNConfig())
    graph: dict[str, Any] | None = None
    seed: int = 0
    threads: int = Field(default=0, ge=0, le=256, description="TensorFlow threads in the worker (0: its default)")
    frame_fps: float = Field(default=0.0, ge=0, le=30, description="training frames per second sent (0: none)")
    evaluation: EvalConfig = Field(default_factory=lambda: EvalConfig())
