"""Typed graph errors; each carries the id of the node it concerns."""

from __future__ import annotations


class GraphError(Exception):
    """Base of every error about the graph; ``node_id`` names the offending node."""

    def __init__(self, message: str, node_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node_id = node_id

    def __str__(self) -> str:
        return self.message


class UnknownNodeError(GraphError):
    """A node id that the graph does not hold."""


class UnknownPortError(GraphError):
    """A port name that the node's spec does not declare."""


class UnknownLayerTypeError(GraphError):
    """A node type that is not in the catalog."""


class SelfLoopError(GraphError):
    """An edge from a node to itself."""


class CycleError(GraphError):
    """An edge that would close a cycle."""


class PortOccupiedError(GraphError):
    """A single input port that already has an edge."""


class DuplicateEdgeError(GraphError):
    """The same connection twice."""


class ParamError(GraphError):
    """A parameter value outside its spec (wrong type, range or choice)."""

    def __init__(self, message: str, node_id: str | None = None, param: str | None = None) -> None:
        super().__init__(message, node_id)
        self.param = param


class ShapeError(GraphError):
    """A node whose inputs it cannot accept; the message says why and, where obvious, the fix."""


class TranslationError(GraphError):
    """A node that cannot be turned into a Keras layer."""
