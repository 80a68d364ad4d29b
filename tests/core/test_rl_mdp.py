"""Exact solutions of tabular environments and the grid view built from them."""

from __future__ import annotations

import numpy as np
import pytest

from core.rl.envs import EnvError
from core.rl.grid import grid_view
from core.rl.mdp import gap, load_mdp, policy_iteration, policy_return, value_iteration

pytestmark = pytest.mark.gym

LEFT, DOWN, RIGHT, UP = range(4)


def test_value_iteration_matches_a_hand_computed_slippery_value() -> None:
    # "SG" on slippery ice: moving right (or down) reaches G with 1/3, otherwise stays on S.
    # V = 1/3 + (2/3) γ V  =>  V = 1 / (3 - 2γ)
    gamma = 0.9
    mdp = load_mdp("FrozenLake-v1", {"desc": ["SG"]})
    solution = value_iteration(mdp, gamma)
    assert solution.values[0] == pytest.approx(1 / (3 - 2 * gamma), abs=1e-8)
    assert solution.values[1] == 0.0  # the goal is terminal
    assert solution.policy[0] in (DOWN, RIGHT)


def test_value_iteration_on_a_deterministic_two_by_two_map() -> None:
    # S F / H G: S -> F (0) -> G (1): V(S) = γ, V(F) = 1; down from S falls in the hole.
    mdp = load_mdp("FrozenLake-v1", {"desc": ["SF", "HG"], "is_slippery": False})
    solution = value_iteration(mdp, 0.9)
    assert solution.values[:2] == pytest.approx([0.9, 1.0])
    assert solution.q[0, DOWN] == 0.0
    assert list(solution.policy[:2]) == [RIGHT, DOWN]
    assert mdp.terminal.tolist() == [False, False, True, True]


def test_policy_iteration_agrees_with_value_iteration_on_frozen_lake() -> None:
    mdp = load_mdp("FrozenLake-v1")
    vi, pi = value_iteration(mdp, 0.99), policy_iteration(mdp, 0.99)
    assert np.allclose(vi.values, pi.values, atol=1e-6)
    assert policy_return(mdp, pi.policy, 0.99) == pytest.approx(vi.values[0], abs=1e-6)
    assert pi.iterations < 20


def test_undiscounted_success_probability_of_slippery_four_by_four() -> None:
    # Without the 100-step limit the best policy reaches the goal with probability 14/17 (the often quoted
    # 0.74 is with the limit); undiscounted values are success probabilities.
    solution = value_iteration(load_mdp("FrozenLake-v1"), 1.0, max_iterations=20_000, tol=1e-12)
    assert solution.values[0] == pytest.approx(14 / 17, abs=1e-6)


def test_gap_is_zero_for_the_exact_q_table() -> None:
    mdp = load_mdp("FrozenLake-v1")
    exact = value_iteration(mdp, 0.99)
    assert gap(mdp, exact.q, exact) == (pytest.approx(0.0, abs=1e-9), 1.0)
    value_err, match = gap(mdp, np.zeros_like(exact.q), exact)
    assert value_err == pytest.approx(exact.values[~mdp.terminal].max())
    assert match < 1.0


def test_policy_iteration_refuses_gamma_one() -> None:
    with pytest.raises(EnvError, match="below 1"):
        policy_iteration(load_mdp("FrozenLake-v1", {"desc": ["SG"]}), 1.0)


def test_cliff_walking_grid_shows_the_path_along_the_cliff() -> None:
    mdp = load_mdp("CliffWalking-v1")
    solution = value_iteration(mdp, 0.99)
    view = grid_view("CliffWalking-v1", mdp, solution.values, solution.policy)
    assert (view.rows, view.cols) == (4, 12)
    assert view.arrows[3][0] == (-1, 0)  # up from the start
    assert all(view.arrows[2][c] == (0, 1) for c in range(11))  # then right along the cliff edge
    assert view.arrows[2][11] == (1, 0)  # and down into the goal
    assert view.letters[3] == "S" + "C" * 10 + "G"
    assert view.arrows[3][5] is None  # no arrow on the cliff


def test_frozen_lake_grid_has_no_arrows_on_holes_and_goal() -> None:
    mdp = load_mdp("FrozenLake-v1")
    solution = value_iteration(mdp, 0.99)
    view = grid_view("FrozenLake-v1", mdp, solution.values, solution.policy)
    assert view.values.shape == (4, 4)
    assert view.values[0, 0] == pytest.approx(solution.values[0])
    holes = [(r, c) for r in range(4) for c in range(4) if view.letters[r][c] in "HG"]
    assert len(holes) == 5
    assert all(view.arrows[r][c] is None for r, c in holes)
    assert view.arrows[0][0] == (0, -1)  # the known optimum: push left along the wall


def test_taxi_grid_for_one_passenger_and_destination() -> None:
    mdp = load_mdp("Taxi-v4")
    solution = value_iteration(mdp, 0.99)
    view = grid_view("Taxi-v4", mdp, solution.values, solution.policy, passenger=0, destination=1)
    assert view.values.shape == (5, 5)
    assert view.labels[0][0] == "pick up"  # the passenger waits at stand 0, top left
    assert view.arrows[0][0] is None
    with pytest.raises(EnvError, match="0-4"):
        grid_view("Taxi-v4", mdp, solution.values, solution.policy, passenger=7)


def test_continuous_environments_have_no_mdp() -> None:
    with pytest.raises(EnvError, match="not tabular"):
        load_mdp("CartPole-v1")
