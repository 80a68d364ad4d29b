"""Data for a grid view of a tabular solution: a value per cell and a policy arrow per cell.

FrozenLake and CliffWalking states are cells (row-major). Taxi's 500 states are (taxi row, taxi column,
passenger location, destination); its grid shows the 5x5 taxi positions for one passenger location and
destination. Arrows are ``(d_row, d_col)`` steps; ``None`` marks a cell without an arrow (terminal, cliff,
or a Taxi pick-up/drop-off, which ``labels`` names instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.rl.envs import EnvError, resolve_options
from core.rl.mdp import TabularMDP

Step = tuple[int, int] | None

ARROWS: dict[str, tuple[Step, ...]] = {
    "FrozenLake-v1": ((0, -1), (1, 0), (0, 1), (-1, 0)),
    "CliffWalking-v1": ((-1, 0), (0, 1), (1, 0), (0, -1)),
    "Taxi-v4": ((1, 0), (-1, 0), (0, 1), (0, -1), None, None),
}
TAXI_ACTION_LABELS = {4: "pick up", 5: "drop off"}
TAXI_SIDE = 5
TAXI_PLACES = 5  # four coloured stands plus "in the taxi"
TAXI_STANDS = 4


@dataclass(frozen=True)
class GridView:
    """Per cell: the value, the arrow of the chosen action, a letter (S/F/H/G, C for cliff) and a label."""

    rows: int
    cols: int
    values: NDArray[np.float64]
    arrows: tuple[tuple[Step, ...], ...]
    letters: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]


def _frozen_lake_letters(options: Mapping[str, Any]) -> list[str]:
    from gymnasium.envs.toy_text.frozen_lake import MAPS

    desc = options.get("desc")
    return list(desc) if desc else list(MAPS[options["map_name"]])


def _cell_view(env_id: str, mdp: TabularMDP, values: NDArray[np.float64], policy: NDArray[np.int64],
               letters: list[str]) -> GridView:
    rows, cols = len(letters), len(letters[0])
    flat = "".join(letters)
    arrows, labels = [], []
    for r in range(rows):
        arrow_row: list[Step] = []
        for c in range(cols):
            s = r * cols + c
            no_arrow = mdp.terminal[s] or flat[s] in "HGC"
            arrow_row.append(None if no_arrow else ARROWS[env_id][int(policy[s])])
        arrows.append(tuple(arrow_row))
        labels.append(("",) * cols)
    return GridView(rows, cols, values.reshape(rows, cols).copy(), tuple(arrows), tuple(letters), tuple(labels))


def _cliff_letters() -> list[str]:
    return ["F" * 12, "F" * 12, "F" * 12, "S" + "C" * 10 + "G"]


def _taxi_view(mdp: TabularMDP, values: NDArray[np.float64], policy: NDArray[np.int64], passenger: int,
               destination: int) -> GridView:
    if not (0 <= passenger < TAXI_PLACES and 0 <= destination < TAXI_STANDS):
        raise EnvError("the Taxi passenger place is 0-4 (4 = in the taxi) and the destination 0-3")
    grid = np.zeros((TAXI_SIDE, TAXI_SIDE))
    arrows, labels = [], []
    for r in range(TAXI_SIDE):
        arrow_row: list[Step] = []
        label_row: list[str] = []
        for c in range(TAXI_SIDE):
            s = ((r * TAXI_SIDE + c) * TAXI_PLACES + passenger) * TAXI_STANDS + destination
            grid[r, c] = values[s]
            action = int(policy[s])
            arrow_row.append(ARROWS["Taxi-v4"][action])
            label_row.append(TAXI_ACTION_LABELS.get(action, ""))
        arrows.append(tuple(arrow_row))
        labels.append(tuple(label_row))
    letters = tuple("F" * TAXI_SIDE for _ in range(TAXI_SIDE))
    return GridView(TAXI_SIDE, TAXI_SIDE, grid, tuple(arrows), letters, tuple(labels))


def grid_view(env_id: str, mdp: TabularMDP, values: NDArray[np.float64], policy: NDArray[np.int64],
              options: Mapping[str, Any] | None = None, passenger: int = 0, destination: int = 1) -> GridView:
    """The grid of ``values`` and ``policy`` for FrozenLake, CliffWalking or Taxi (one passenger/destination)."""
    resolved = resolve_options(env_id, options)
    if env_id == "FrozenLake-v1":
        return _cell_view(env_id, mdp, values, policy, _frozen_lake_letters(resolved))
    if env_id == "CliffWalking-v1":
        return _cell_view(env_id, mdp, values, policy, _cliff_letters())
    if env_id == "Taxi-v4":
        return _taxi_view(mdp, values, policy, passenger, destination)
    raise EnvError(f"{env_id} has no grid view")
