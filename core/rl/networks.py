"""Does a canvas graph fit an environment? Input shape against observations, output size against actions.

Pure Python (shape inference only), so the editor can check it on every edit. Errors name both numbers:
"the Q-network outputs 3 values but CartPole-v1 has 2 actions".
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from core.catalog.specs import Shape
from core.graph.model import Edge, Graph
from core.rl.envs import EnvError, EnvInfo
from core.translate.shapes import infer_graph

ROLES = {"dqn": "Q-network", "reinforce": "policy network"}


def _fmt(shape: Shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _observation_text(env: EnvInfo) -> str:
    obs = env.observation
    if obs.kind == "discrete":
        return f"{env.id} has {obs.n} states, given one-hot as shape {_fmt(obs.network_shape)}"
    return f"{env.id} observations have shape {_fmt(obs.shape)}"


def check_network(graph: Graph, env: EnvInfo, role: str = "Q-network") -> None:
    """Refuse a graph whose input does not take the observations or whose output size is not the action count."""
    info = infer_graph(graph)
    if info.errors:
        first = info.errors[0]
        raise EnvError(f"the {role} is not valid: {first.message}", first.node_id)
    if len(info.inputs) != 1 or len(info.outputs) != 1:
        raise EnvError(f"the {role} needs exactly one input and one output; it has {len(info.inputs)} inputs "
                       f"and {len(info.outputs)} outputs")
    in_id, out_id = info.inputs[0], info.outputs[0]
    in_shape = info.nodes[in_id].shape or ()
    want = env.observation.network_shape
    if tuple(in_shape) != want:
        raise EnvError(f"the {role} takes inputs of shape {_fmt(in_shape)} but {_observation_text(env)}", in_id)
    out_shape = info.nodes[out_id].shape or ()
    if len(out_shape) != 1:
        raise EnvError(f"the {role} must output a flat vector of {env.n_actions} values, not shape "
                       f"{_fmt(out_shape)}; add Flatten and a Dense({env.n_actions}) at the end", out_id)
    if out_shape[0] != env.n_actions:
        raise EnvError(f"the {role} outputs {out_shape[0]} values but {env.id} has {env.n_actions} actions", out_id)


def outputs_probabilities(graph: Graph) -> bool:
    """True when the network ends in a softmax (probabilities), False for raw scores (logits, Q-values)."""
    info = infer_graph(graph)
    if len(info.outputs) != 1:
        return False
    node = graph.node(info.outputs[0])
    if node.type == "Softmax":
        return True
    return node.params.get("activation") == "softmax"


def fit_to_env(graph_data: Mapping[str, Any], env: EnvInfo) -> dict[str, Any]:
    """A copy of a template graph with its Input shape and last Dense units set to the environment's sizes."""
    data = copy.deepcopy(dict(graph_data))
    graph = Graph.from_dict(data)
    info = infer_graph(graph)
    by_id = {n["id"]: n for n in data.get("nodes", [])}
    for nid in info.inputs:
        by_id[nid].setdefault("params", {})["shape"] = list(env.observation.network_shape)
    last = _last_dense(graph, info.outputs)
    if last is None:
        raise EnvError("the template has no Dense layer at its end to size to the action count")
    by_id[last].setdefault("params", {})["units"] = env.n_actions
    return data


def starter_graph(agent: str, env: EnvInfo) -> dict[str, Any]:
    """The network a new RL project starts with: the agent's template sized to the environment."""
    from core.catalog.templates import template_data
    from core.rl.envs import template_for

    return fit_to_env(template_data(template_for(agent)), env)


def _last_dense(graph: Graph, outputs: list[str]) -> str | None:
    """The Dense node that sets the output size, walking back through shape-keeping layers."""
    current = outputs[0] if len(outputs) == 1 else None
    while current is not None:
        node = graph.node(current)
        if node.type == "Dense":
            return current
        edges = graph.in_edges(current)
        current = edges[0].src if len(edges) == 1 else None
    return None


def mlp_graph(input_shape: tuple[int, ...], hidden: tuple[int, ...], outputs: int,
              output_activation: str = "linear") -> dict[str, Any]:
    """A plain multilayer perceptron as a graph dict: Input, hidden ReLU Dense layers, an output Dense."""
    graph = Graph()
    prev = graph.add_node(graph.make_node("Input", {"shape": list(input_shape)}, name="observation"))
    layers = [*({"units": h, "activation": "relu"} for h in hidden),
              {"units": outputs, "activation": output_activation}]
    for i, params in enumerate(layers):
        name = "output" if i == len(layers) - 1 else f"hidden_{i + 1}"
        node = graph.add_node(graph.make_node("Dense", params, x=0.0, y=100.0 * (i + 1), name=name))
        graph.add_edge(Edge(prev.id, node.id))
        prev = node
    return graph.to_dict()
