"""Shared fixtures: an empty graph, a signal recorder and a one-line way to wire nodes."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from core.graph.model import Edge, Graph, Node
from core.graph.validation import check_connect

pytest_plugins = ["tests.run_policy"]  # a crashed worker or a hung test fails the run (see there)


@pytest.fixture
def graph() -> Graph:
    return Graph()


def add(graph: Graph, type_id: str, **params: Any) -> Node:
    """Make and add a node of ``type_id`` with ``params``."""
    return graph.add_node(graph.make_node(type_id, params))


def link(graph: Graph, *nodes: Node, dst_port: str = "in") -> list[Edge]:
    """Connect ``nodes`` in a chain (each edge checked as the editor would)."""
    edges = []
    for src, dst in itertools.pairwise(nodes):
        edge = Edge(src.id, dst.id, dst_port=dst_port)
        check_connect(graph, edge)
        edges.append(graph.add_edge(edge))
    return edges


class Recorder:
    """Collects ``(signal name, args)`` of every signal it is connected to, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def watch(self, obj: Any, *names: str) -> Recorder:
        for name in names:
            getattr(obj, name).connect(self._slot(name))
        return self

    def _slot(self, name: str) -> Callable[..., None]:
        def slot(*args: Any) -> None:
            self.calls.append((name, args))

        return slot

    def names(self) -> list[str]:
        return [n for n, _ in self.calls]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
