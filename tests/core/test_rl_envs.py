"""The environment catalog and the check of a network against an environment."""

from __future__ import annotations

import pytest

from core.catalog.templates import template_data
from core.graph.model import Graph
from core.rl.envs import CATALOG, EnvError, describe, make_env, resolve_options, template_for
from core.rl.networks import check_network, fit_to_env, mlp_graph, outputs_probabilities

pytestmark = pytest.mark.gym

EXPECTED = {
    "CartPole-v1": ("box", (4,), 2),
    "MountainCar-v0": ("box", (2,), 3),
    "Acrobot-v1": ("box", (6,), 3),
    "FrozenLake-v1": ("discrete", (16,), 4),
    "Taxi-v4": ("discrete", (500,), 6),
    "CliffWalking-v1": ("discrete", (48,), 4),
}


@pytest.mark.parametrize("env_id", sorted(EXPECTED))
def test_every_catalog_entry_describes_its_spaces(env_id: str) -> None:
    info = describe(env_id)
    kind, shape, actions = EXPECTED[env_id]
    assert info.observation.kind == kind
    assert info.observation.network_shape == shape
    assert info.n_actions == actions
    assert len(info.entry.action_names) == actions


def test_catalog_is_exactly_the_offline_environments() -> None:
    assert {e.id for e in CATALOG} == set(EXPECTED)


def test_box_bounds_are_plain_numbers() -> None:
    obs = describe("MountainCar-v0").observation
    assert obs.low == pytest.approx((-1.2, -0.07))
    assert obs.high == pytest.approx((0.6, 0.07))


def test_frozen_lake_variants() -> None:
    assert describe("FrozenLake-v1", {"map_name": "8x8"}).observation.n == 64
    custom = describe("FrozenLake-v1", {"desc": ["SFF", "FHG"], "is_slippery": False})
    assert custom.observation.n == 6
    assert custom.label == "FrozenLake-v1 (custom map, is_slippery=False)"


@pytest.mark.parametrize(("options", "needle"), [
    ({"desc": ["SF", "FFF"]}, "same length"),
    ({"desc": ["SX", "FG"]}, "'X'"),
    ({"desc": ["FF", "FG"]}, "exactly one S"),
    ({"map_name": "5x5"}, "4x4 or 8x8"),
    ({"is_slippery": "yes"}, "true or false"),
    ({"colour": 1}, "no option 'colour'"),
])
def test_bad_options_are_refused_by_name(options: dict[str, object], needle: str) -> None:
    with pytest.raises(EnvError, match=needle):
        resolve_options("FrozenLake-v1", options)


def test_deprecated_and_unknown_ids_are_refused() -> None:
    with pytest.raises(EnvError, match="unknown environment 'Taxi-v3'"):
        describe("Taxi-v3")


def test_cliff_walking_gets_a_step_limit() -> None:
    env = make_env("CliffWalking-v1")
    assert env.spec.max_episode_steps == 500
    env.close()


def test_output_size_mismatch_names_both_numbers() -> None:
    graph = Graph.from_dict(mlp_graph((4,), (8,), 3))
    with pytest.raises(EnvError, match="the Q-network outputs 3 values but CartPole-v1 has 2 actions") as exc:
        check_network(graph, describe("CartPole-v1"))
    assert exc.value.node_id == graph.node_by_name("output").id  # type: ignore[union-attr]


def test_input_mismatch_names_both_shapes() -> None:
    graph = Graph.from_dict(mlp_graph((4,), (8,), 4))
    with pytest.raises(EnvError, match=r"takes inputs of shape \(4,\) but FrozenLake-v1 has 16 states"):
        check_network(graph, describe("FrozenLake-v1"), "policy network")


def test_matching_network_passes() -> None:
    check_network(Graph.from_dict(mlp_graph((6,), (8,), 3)), describe("Acrobot-v1"))


@pytest.mark.parametrize(("agent", "template"), [("dqn", "dqn_qnetwork"), ("reinforce", "policy_network")])
def test_templates_fit_to_any_environment(agent: str, template: str) -> None:
    assert template_for(agent) == template
    env = describe("Acrobot-v1")
    graph = Graph.from_dict(fit_to_env(template_data(template), env))
    check_network(graph, env)
    assert outputs_probabilities(graph) == (agent == "reinforce")
