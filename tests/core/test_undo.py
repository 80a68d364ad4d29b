"""Every command's redo/undo, and the undo stack: merging, macros, clean state, signals, re-entrancy."""

from __future__ import annotations

import pytest

from core.catalog.registry import all_specs
from core.graph.commands import (
    AddEdge,
    AddNode,
    AddSubgraph,
    InsertNodeOnEdge,
    MoveNodes,
    RemoveEdge,
    RemoveNode,
    RenameNode,
    SetParams,
    remove_nodes,
)
from core.graph.errors import PortOccupiedError
from core.graph.model import Edge, Graph, Node
from core.graph.undo import Command, Macro, UndoStack, UndoStackError
from tests.conftest import Recorder, add, link

MERGE = next((s.id for s in all_specs() if any(p.multiple for p in s.inputs)), None)


@pytest.fixture
def stack() -> UndoStack:
    return UndoStack()


def _state(graph: Graph) -> dict[str, object]:
    return graph.to_dict()


def _round_trip(stack: UndoStack, graph: Graph, command: Command) -> tuple[object, object]:
    """Push, undo, redo; the graph must match the state before and after at each step."""
    before = _state(graph)
    stack.push(command)
    after = _state(graph)
    stack.undo()
    assert _state(graph) == before
    stack.redo()
    assert _state(graph) == after
    return before, after


def _three_inputs_into(graph: Graph, type_id: str | None) -> tuple[list[Node], Node]:
    if type_id is None:
        pytest.skip("no merge layer in the catalog yet")
    sources = [add(graph, "Input", shape=[4]) for _ in range(3)]
    dst = add(graph, type_id)
    for s in sources:
        graph.add_edge(Edge(s.id, dst.id))
    return sources, dst


# ---- commands ---------------------------------------------------------------------------------------


def test_add_node(graph: Graph, stack: UndoStack) -> None:
    node = graph.make_node("Dense")
    _round_trip(stack, graph, AddNode(graph, node))
    assert graph.node(node.id) is node


def test_add_and_remove_edge(graph: Graph, stack: UndoStack) -> None:
    a, b = add(graph, "Input", shape=[4]), add(graph, "Dense")
    edge = Edge(a.id, b.id)
    _round_trip(stack, graph, AddEdge(graph, edge))
    assert graph.edges == [edge]
    _round_trip(stack, graph, RemoveEdge(graph, edge.id))
    assert graph.edges == []


def test_add_edge_refused_is_not_pushed(graph: Graph, stack: UndoStack) -> None:
    a, b, c = add(graph, "Input", shape=[4]), add(graph, "Input", shape=[4]), add(graph, "Dense")
    stack.push(AddEdge(graph, Edge(a.id, c.id)))
    with pytest.raises(PortOccupiedError):
        stack.push(AddEdge(graph, Edge(b.id, c.id)))
    assert len(stack) == 1
    assert len(graph.edges) == 1


def test_remove_edge_undo_restores_its_merge_position(graph: Graph, stack: UndoStack) -> None:
    _three_inputs_into(graph, MERGE)
    order = [e.id for e in graph.edges]
    stack.push(RemoveEdge(graph, order[1]))
    stack.undo()
    assert [e.id for e in graph.edges] == order


def test_remove_node_restores_edges_in_their_original_positions(graph: Graph, stack: UndoStack) -> None:
    # the middle source of a merge: its edge must come back between the other two
    sources, dst = _three_inputs_into(graph, MERGE)
    tail = add(graph, "Dense")
    link(graph, dst, tail)
    edge_order = [e.id for e in graph.edges]
    _round_trip(stack, graph, RemoveNode(graph, sources[1].id))
    assert not graph.has_node(sources[1].id)
    stack.undo()
    assert [e.id for e in graph.edges] == edge_order
    assert [e.src for e in graph.in_edges(dst.id)] == [s.id for s in sources]
    # removing the merge node itself takes its inputs and its output edge
    _round_trip(stack, graph, RemoveNode(graph, dst.id))
    assert graph.edges == []
    stack.undo()
    assert [e.id for e in graph.edges] == edge_order


def test_remove_several_nodes_is_one_step(graph: Graph, stack: UndoStack) -> None:
    a, b, c = add(graph, "Input", shape=[4]), add(graph, "Dense"), add(graph, "Dense")
    link(graph, a, b, c)
    _round_trip(stack, graph, remove_nodes(graph, [b.id, c.id]))
    assert [n.id for n in graph.nodes] == [a.id]
    assert len(stack) == 1


def test_insert_node_on_edge_keeps_merge_position(graph: Graph, stack: UndoStack) -> None:
    sources, dst = _three_inputs_into(graph, MERGE)
    middle = graph.in_edges(dst.id)[1]
    node = graph.make_node("Activation")
    _round_trip(stack, graph, InsertNodeOnEdge(graph, node, middle.id))
    into_dst = graph.in_edges(dst.id)
    assert [e.src for e in into_dst] == [sources[0].id, node.id, sources[2].id]
    assert [e.src for e in graph.in_edges(node.id)] == [sources[1].id]
    stack.undo()
    assert graph.in_edges(dst.id)[1] == middle
    assert not graph.has_node(node.id)


def test_add_subgraph_is_one_step(graph: Graph, stack: UndoStack) -> None:
    a, b = graph.make_node("Input", {"shape": [3]}), graph.make_node("Dense")
    _round_trip(stack, graph, AddSubgraph(graph, [a, b], [Edge(a.id, b.id)]))
    assert len(graph) == 2
    assert len(stack) == 1


def test_failing_macro_rolls_back_what_it_applied(graph: Graph, stack: UndoStack) -> None:
    a, c = add(graph, "Input", shape=[4]), add(graph, "Dense")
    link(graph, a, c)
    before = _state(graph)
    b = graph.make_node("Input", {"shape": [4]})
    with pytest.raises(PortOccupiedError):
        stack.push(AddSubgraph(graph, [b], [Edge(b.id, c.id)]))
    assert _state(graph) == before
    assert len(stack) == 0


def test_rename(graph: Graph, stack: UndoStack) -> None:
    node = add(graph, "Dense")
    _round_trip(stack, graph, RenameNode(graph, node.id, "head"))
    assert node.name == "head"


def test_move_several_nodes_is_one_step(graph: Graph, stack: UndoStack, recorder: Recorder) -> None:
    a, b = add(graph, "Dense"), add(graph, "Dense")
    recorder.watch(graph, "nodes_moved")
    old = {a.id: (0.0, 0.0), b.id: (0.0, 0.0)}
    new = {a.id: (100.0, 5.0), b.id: (220.0, -5.0)}
    _round_trip(stack, graph, MoveNodes(graph, old, new))
    assert len(stack) == 1
    assert len(recorder.calls) == 3  # push, undo, redo: one signal each
    stack.undo()
    assert (a.x, a.y, b.x, b.y) == (0.0, 0.0, 0.0, 0.0)


# ---- SetParams merging ------------------------------------------------------------------------------


def _type(stack: UndoStack, graph: Graph, node: Node, *values: int) -> None:
    for v in values:
        stack.push(SetParams(graph, node.id, {"units": v}))


def test_typing_burst_merges_into_one_step(graph: Graph, stack: UndoStack) -> None:
    node = add(graph, "Dense", units=1)
    _type(stack, graph, node, 12, 128)
    assert len(stack) == 1
    assert node.params["units"] == 128
    stack.undo()
    assert node.params["units"] == 1
    stack.redo()
    assert node.params["units"] == 128


def test_different_fields_or_nodes_do_not_merge(graph: Graph, stack: UndoStack) -> None:
    a, b = add(graph, "Dense"), add(graph, "Dense")
    _type(stack, graph, a, 3)
    stack.push(SetParams(graph, a.id, {"activation": "relu"}))
    _type(stack, graph, b, 4)
    assert len(stack) == 3


def test_no_merge_across_set_clean(graph: Graph, stack: UndoStack) -> None:
    node = add(graph, "Dense", units=1)
    _type(stack, graph, node, 2)
    stack.set_clean()
    _type(stack, graph, node, 3)
    assert len(stack) == 2
    assert not stack.is_clean()
    stack.undo()
    assert stack.is_clean()
    assert node.params["units"] == 2


def test_no_merge_after_undo(graph: Graph, stack: UndoStack) -> None:
    node = add(graph, "Dense", units=1)
    _type(stack, graph, node, 2, 3)
    stack.undo()
    _type(stack, graph, node, 4)
    _type(stack, graph, node, 5)
    assert len(stack) == 1  # the undone step was dropped; 4 and 5 merged into a new one
    stack.undo()
    assert node.params["units"] == 1


def test_no_merge_after_undo_then_redo(graph: Graph, stack: UndoStack) -> None:
    node = add(graph, "Dense", units=1)
    _type(stack, graph, node, 2)
    stack.undo()
    stack.redo()
    _type(stack, graph, node, 3)
    assert len(stack) == 2


# ---- the stack ---------------------------------------------------------------------------------------


def test_clean_state_and_signals(graph: Graph, stack: UndoStack, recorder: Recorder) -> None:
    recorder.watch(stack, "can_undo_changed", "can_redo_changed", "clean_changed")
    assert stack.is_clean()
    assert not stack.can_undo()
    stack.push(AddNode(graph, graph.make_node("Dense")))
    assert recorder.calls == [("can_undo_changed", (True,)), ("clean_changed", (False,))]
    recorder.calls.clear()
    stack.undo()
    assert recorder.calls == [
        ("can_undo_changed", (False,)), ("can_redo_changed", (True,)), ("clean_changed", (True,)),
    ]
    recorder.calls.clear()
    stack.redo()
    stack.set_clean()
    assert recorder.names() == ["can_undo_changed", "can_redo_changed", "clean_changed", "clean_changed"]
    assert stack.is_clean()
    assert stack.undo_text() == "Add dense_1"


def test_clean_state_is_lost_when_its_branch_is_dropped(graph: Graph, stack: UndoStack) -> None:
    stack.push(AddNode(graph, graph.make_node("Dense")))
    stack.set_clean()
    stack.undo()
    stack.push(AddNode(graph, graph.make_node("Dense")))
    assert not stack.is_clean()
    stack.undo()
    assert not stack.is_clean()


def test_undo_and_redo_at_the_ends_do_nothing(graph: Graph, stack: UndoStack, recorder: Recorder) -> None:
    recorder.watch(stack, "index_changed")
    stack.undo()
    stack.redo()
    assert recorder.calls == []
    assert stack.undo_text() == stack.redo_text() == ""


def test_macro_is_one_step_and_nests(graph: Graph, stack: UndoStack) -> None:
    stack.begin_macro("Build")
    a = graph.make_node("Input", {"shape": [2]})
    stack.push(AddNode(graph, a))
    assert not stack.can_undo()  # not while a macro is open
    stack.begin_macro("Inner")
    b = graph.make_node("Dense")
    stack.push(AddNode(graph, b))
    stack.push(AddEdge(graph, Edge(a.id, b.id)))
    stack.end_macro()
    stack.end_macro()
    assert len(stack) == 1
    assert stack.undo_text() == "Build"
    stack.undo()
    assert len(graph) == 0
    stack.redo()
    assert len(graph.edges) == 1


def test_empty_macro_records_nothing_and_unbalanced_end_is_refused(stack: UndoStack) -> None:
    stack.begin_macro("Nothing")
    stack.end_macro()
    assert len(stack) == 0
    with pytest.raises(UndoStackError):
        stack.end_macro()


class _Reentrant(Command):
    """A command whose undo or redo pushes another command (what a careless signal handler would do)."""

    def __init__(self, stack: UndoStack, when: str) -> None:
        self.stack, self.when, self.first = stack, when, True

    def redo(self) -> None:
        if self.when == "redo" and not self.first:
            self.stack.push(Macro("inner"))
        self.first = False

    def undo(self) -> None:
        if self.when == "undo":
            self.stack.push(Macro("inner"))


@pytest.mark.parametrize("when", ["undo", "redo"])
def test_push_during_undo_or_redo_is_refused(stack: UndoStack, when: str) -> None:
    stack.push(_Reentrant(stack, when))
    if when == "redo":
        stack.undo()
    with pytest.raises(UndoStackError):
        stack.undo() if when == "undo" else stack.redo()
    assert len(stack) == 1


def test_push_from_inside_a_push_is_refused(stack: UndoStack) -> None:
    class Nested(Command):
        def redo(self) -> None:
            stack.push(Macro("inner"))

    with pytest.raises(UndoStackError):
        stack.push(Nested())
    assert len(stack) == 0
