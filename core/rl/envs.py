"""The environment catalog: which gymnasium environments Layerbench offers, their options and spaces.

Everything here is plain data a GUI can show. ``describe`` makes the environment once (gymnasium is imported
lazily, never at module level) and returns its observation and action spaces as ``SpaceInfo``; ``make_env``
is the one place an environment is constructed, so options are checked the same way everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from core.graph.errors import GraphError

FROZEN_LAKE_MAPS = ("4x4", "8x8")
MAP_LETTERS = frozenset("SFHG")
MAX_MAP_SIDE = 16


class EnvError(GraphError):
    """An unknown environment, a bad option or a network that does not fit the environment."""


@dataclass(frozen=True)
class SpaceInfo:
    """A gymnasium space as plain data: ``discrete`` (``n`` values) or ``box`` (``shape``, ``low``, ``high``)."""

    kind: str
    shape: tuple[int, ...] = ()
    n: int = 0
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()

    @property
    def network_shape(self) -> tuple[int, ...]:
        """The shape a network sees: a discrete value arrives one-hot, a box as it is."""
        return (self.n,) if self.kind == "discrete" else self.shape


@dataclass(frozen=True)
class EnvEntry:
    """One catalog entry: id, title, a short explanation and the options it accepts with their defaults."""

    id: str
    title: str
    doc: str
    tabular: bool
    grid: bool
    options: Mapping[str, Any] = field(default_factory=dict)
    action_names: tuple[str, ...] = ()
    reward_threshold: float | None = None
    max_steps: int | None = None
    """A step limit where gymnasium registers none (an episode must end for the agents to learn)."""


@dataclass(frozen=True)
class EnvInfo:
    """An entry with its options resolved and its spaces read from gymnasium."""

    entry: EnvEntry
    options: Mapping[str, Any]
    observation: SpaceInfo
    actions: SpaceInfo
    max_episode_steps: int | None

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def n_actions(self) -> int:
        return self.actions.n

    @property
    def label(self) -> str:
        """The id plus the options that differ from the defaults, e.g. ``FrozenLake-v1 (8x8, not slippery)``."""
        parts = [f"{k}={v}" for k, v in self.options.items() if self.entry.options.get(k) != v and k != "desc"]
        if self.options.get("desc"):
            parts.insert(0, "custom map")
        return f"{self.id} ({', '.join(parts)})" if parts else self.id


CATALOG: tuple[EnvEntry, ...] = (
    EnvEntry("CartPole-v1", "Cart-pole", "Balance a pole on a cart by pushing it left or right. +1 per step the "
             "pole stays up, at most 500.", False, False, action_names=("left", "right"), reward_threshold=475.0),
    EnvEntry("MountainCar-v0", "Mountain car", "Drive an underpowered car up a hill by rocking back and forth. "
             "-1 per step until the flag, at most 200 steps.", False, False,
             action_names=("left", "none", "right"), reward_threshold=-110.0),
    EnvEntry("Acrobot-v1", "Acrobot", "Swing a two-link arm so its tip rises above a line. -1 per step, at most "
             "500.", False, False, action_names=("torque -1", "torque 0", "torque +1"), reward_threshold=-100.0),
    EnvEntry("FrozenLake-v1", "Frozen lake", "Walk from S to G over ice without falling into a hole (H). On "
             "slippery ice a move goes sideways two times in three. Reward 1 at the goal.", True, True,
             {"map_name": "4x4", "is_slippery": True, "desc": None},
             ("left", "down", "right", "up"), 0.70),
    EnvEntry("Taxi-v4", "Taxi", "Pick up a passenger and drop them at their destination on a 5x5 grid. -1 per "
             "step, +20 for a delivery, -10 for a wrong pick-up or drop-off.", True, True,
             {"is_rainy": False, "fickle_passenger": False},
             ("south", "north", "east", "west", "pick up", "drop off"), 8.0),
    EnvEntry("CliffWalking-v1", "Cliff walking", "Walk along a cliff from the bottom left to the bottom right "
             "corner. -1 per step, -100 and back to the start for a fall.", True, True,
             {"is_slippery": False}, ("up", "right", "down", "left"), max_steps=500),
)

_BY_ID = {e.id: e for e in CATALOG}


def entry(env_id: str) -> EnvEntry:
    """The catalog entry of ``env_id`` or ``EnvError`` listing the ones offered."""
    try:
        return _BY_ID[env_id]
    except KeyError:
        offered = ", ".join(_BY_ID)
        raise EnvError(f"unknown environment {env_id!r}; choose one of {offered}") from None


def check_map(desc: Any) -> list[str]:
    """A custom FrozenLake map as rows of S/F/H/G with exactly one start and at least one goal."""
    if not isinstance(desc, list | tuple) or not desc or not all(isinstance(r, str) for r in desc):
        raise EnvError("a FrozenLake map is a list of rows of text, e.g. ['SF', 'HG']")
    rows = [r.strip().upper() for r in desc]
    width = len(rows[0])
    if any(len(r) != width for r in rows) or width == 0:
        raise EnvError("every row of the FrozenLake map must have the same length")
    if len(rows) > MAX_MAP_SIDE or width > MAX_MAP_SIDE:
        raise EnvError(f"a FrozenLake map can be at most {MAX_MAP_SIDE}x{MAX_MAP_SIDE}")
    bad = sorted({ch for r in rows for ch in r} - MAP_LETTERS)
    if bad:
        raise EnvError(f"the FrozenLake map has {bad[0]!r}; use S (start), F (ice), H (hole), G (goal)")
    text = "".join(rows)
    if text.count("S") != 1 or "G" not in text:
        raise EnvError("the FrozenLake map needs exactly one S (start) and at least one G (goal)")
    return rows


def resolve_options(env_id: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults overlaid with ``options``; an unknown option or a wrong type is refused by name."""
    ent = entry(env_id)
    options = dict(options or {})
    unknown = sorted(set(options) - set(ent.options))
    if unknown:
        allowed = ", ".join(ent.options) or "none"
        raise EnvError(f"{env_id} has no option {unknown[0]!r} (options: {allowed})")
    out = {**ent.options, **options}
    for key, default in ent.options.items():
        if isinstance(default, bool) and not isinstance(out[key], bool):
            raise EnvError(f"{env_id} option {key} must be true or false, not {out[key]!r}")
    if "map_name" in out and out["map_name"] not in FROZEN_LAKE_MAPS:
        raise EnvError(f"FrozenLake-v1 map_name must be 4x4 or 8x8, not {out['map_name']!r}")
    if out.get("desc") is not None:
        out["desc"] = check_map(out["desc"])
    return out


def make_env(env_id: str, options: Mapping[str, Any] | None = None, render_mode: str | None = None,
             max_episode_steps: int | None = None) -> Any:
    """A gymnasium environment for a catalog entry (``render_mode='rgb_array'`` for frames)."""
    import gymnasium as gym

    kwargs = resolve_options(env_id, options)
    max_episode_steps = max_episode_steps or entry(env_id).max_steps
    if kwargs.get("desc") is None:
        kwargs.pop("desc", None)
    extra: dict[str, Any] = {} if max_episode_steps is None else {"max_episode_steps": max_episode_steps}
    return gym.make(env_id, render_mode=render_mode, **kwargs, **extra)


def space_info(space: Any) -> SpaceInfo:
    """A gymnasium ``Discrete`` or ``Box`` space as ``SpaceInfo``; other spaces are refused."""
    import gymnasium as gym

    if isinstance(space, gym.spaces.Discrete):
        return SpaceInfo("discrete", (), int(space.n))
    if isinstance(space, gym.spaces.Box):
        return SpaceInfo("box", tuple(int(d) for d in space.shape), 0,
                         tuple(float(v) for v in space.low.ravel()), tuple(float(v) for v in space.high.ravel()))
    raise EnvError(f"spaces of type {type(space).__name__} are not supported")


@lru_cache(maxsize=64)
def _describe(env_id: str, options_json: str) -> EnvInfo:
    options = json.loads(options_json)
    env = make_env(env_id, options)
    try:
        steps = env.spec.max_episode_steps if env.spec is not None else None
        return EnvInfo(entry(env_id), options, space_info(env.observation_space), space_info(env.action_space),
                       steps)
    finally:
        env.close()


def describe(env_id: str, options: Mapping[str, Any] | None = None) -> EnvInfo:
    """Spaces and limits of ``env_id`` with ``options`` (cached; the environment is made once)."""
    resolved = resolve_options(env_id, options)
    return _describe(env_id, json.dumps(resolved, sort_keys=True))


TEMPLATES = {"dqn": "dqn_qnetwork", "qlearning": "dqn_qnetwork", "reinforce": "policy_network"}


def template_for(agent: str) -> str:
    """The name of the network template a new RL project starts from for ``agent``."""
    try:
        return TEMPLATES[agent]
    except KeyError:
        raise EnvError(f"unknown agent {agent!r}; choose one of {', '.join(TEMPLATES)}") from None
