"""Hostile project files: hypothesis mutates a valid ``.layerbench`` file (zip bytes, ``project.json`` values,
``.npz`` members); every case must load as a valid project or end in a ``ProjectError`` — no other exception,
no hang (pytest-timeout), no code run.

Budget: 200 derandomized examples per fuzz test (reproducible in CI); ``-s`` prints the tally. Recorded on
2026-11-27: zip bytes 200 (170 refused, 30 loaded, 20 of them with a member refused on reading), project.json
values 200 (195 refused, 5 loaded), project.json text 200 (199 refused), npz members 200 (198 loaded with the
member refused on reading), layer params 200 (200 refused). No other exception, hang or code run. One find:
``units: 10**4000`` raised ``OverflowError`` from ``Project.load`` (fixed in ``core/catalog/specs.py``; the
cases are pinned in ``test_integers_beyond_float_range_are_refused``).
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.project import Project, ProjectError
from core.project.io import PROJECT_JSON
from core.translate.shapes import infer_graph
from tests.conftest import add, link
from tests.hardening.fuzzing import (
    FUZZ,
    HOSTILE,
    Tally,
    byte_ops,
    delete_path,
    json_paths,
    make_zip,
    mutate_bytes,
    set_path,
    zip_members,
)

pytestmark = pytest.mark.timeout(300)
TALLY = Tally()
WORK = Path(tempfile.mkdtemp(prefix="layerbench-fuzz-"))
atexit.register(shutil.rmtree, WORK, True)  # also in an xdist worker that only imported this module


def _valid_project_bytes() -> bytes:
    project = Project(name="fuzz")
    g = project.main
    nodes = [add(g, "Input", shape=(4,)), add(g, "Dense", units=3, activation="relu"), add(g, "Dense", units=2)]
    link(g, *nodes)
    project.data = {"dataset": "toy", "split": [0.8, 0.2]}
    project.training = {"epochs": 2, "optimizer": {"name": "adam", "lr": 0.001}}
    run = project.add_run(label="r1", status="finished")
    rng = np.random.default_rng(0)
    project.set_weights(run.id, {nodes[1].name: [rng.normal(size=(4, 3)).astype("float32"), np.zeros(3, "float32")],
                                 nodes[2].name: [rng.normal(size=(3, 2)).astype("float32"), np.zeros(2, "float32")]})
    project.set_history(run.id, {"loss": np.linspace(1, 0.1, 5)})
    path = project.save(WORK / "base.layerbench")
    return path.read_bytes()


BASE = _valid_project_bytes()
BASE_MEMBERS = zip_members(BASE)
BASE_JSON = json.loads(BASE_MEMBERS[PROJECT_JSON])


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    yield
    print("\nhostile project files:\n  " + "\n  ".join(TALLY.lines()))
    shutil.rmtree(WORK, ignore_errors=True)


def check(test: str, data: bytes) -> str:
    """Load ``data`` as a project file and read everything in it; returns the outcome."""
    path = WORK / f"{test}.layerbench"
    words = "-"
    path.write_bytes(data)
    try:
        project = Project.load(path)
        outcome = "loaded"
        for run in project.runs:
            for read in (lambda r=run: project.weights(r.id), lambda r=run: project.history(r.id)):
                try:
                    read()
                except ProjectError as exc:
                    words = exc.message
                    outcome = "loaded, a member refused on reading"
        project.main.to_dict()
        for graph in project.graphs.values():
            infer_graph(graph)  # what the window does next: problems are collected per node, never raised
    except ProjectError as exc:
        words = str(exc)
        outcome = "refused"
    assert words.strip(), "a ProjectError without words"
    TALLY.add(test, outcome)
    return outcome


def test_the_unmutated_file_loads() -> None:
    assert check("unmutated", BASE) == "loaded"


@FUZZ
@given(ops=byte_ops())
def test_flipped_truncated_and_inserted_zip_bytes(ops: list[tuple[str, float, bytes]]) -> None:
    check("zip-bytes", mutate_bytes(BASE, ops))


def _graph_edit(doc: dict[str, Any], kind: str, data: st.DataObject) -> None:
    """Structural edits: cycles, dangling edges, duplicate and wrong ids, unknown keys."""
    graph = doc["graphs"]["main"]
    ids = [n["id"] for n in graph["nodes"]]
    if kind == "cycle":
        graph["edges"].append({"id": "c" * 32, "src": ids[-1], "dst": ids[0], "src_port": "out", "dst_port": "in"})
    elif kind == "self-loop":
        graph["edges"].append({"id": "s" * 32, "src": ids[1], "dst": ids[1], "src_port": "out", "dst_port": "in"})
    elif kind == "dangling":
        graph["edges"][0][data.draw(st.sampled_from(["src", "dst"]))] = "f" * 32
    elif kind == "duplicate-id":
        graph["nodes"][1]["id"] = ids[0]
    elif kind == "duplicate-edge":
        graph["edges"].append(copy.deepcopy(graph["edges"][0]))
    elif kind == "unknown-key":
        target = data.draw(st.sampled_from([doc, graph, graph["nodes"][0], graph["edges"][0], doc["runs"][0]]))
        target[data.draw(st.text(min_size=1, max_size=10))] = data.draw(HOSTILE)
    elif kind == "deep":
        nested: Any = 0
        for _ in range(data.draw(st.integers(10, 3000))):
            nested = [nested]
        graph["nodes"][1]["params"]["units"] = nested
    elif kind == "version":
        doc["format_version"] = data.draw(st.one_of(st.integers(-5, 10**6), HOSTILE))
    elif kind == "member":
        doc["runs"][0]["weights"] = data.draw(st.sampled_from(["../evil.npz", "/etc/passwd", "project.json",
                                                               "runs/x/none.npz", ""]))


@FUZZ
@given(data=st.data(), edits=st.lists(st.sampled_from(
    ["replace", "delete", "cycle", "self-loop", "dangling", "duplicate-id", "duplicate-edge", "unknown-key", "deep",
     "version", "member"]), min_size=1, max_size=3))
def test_mutated_project_json_values(data: st.DataObject, edits: list[str]) -> None:
    doc = copy.deepcopy(BASE_JSON)
    for kind in edits:
        paths = list(json_paths(doc))
        if kind in ("replace", "delete") and paths:
            path = data.draw(st.sampled_from(paths))
            if kind == "replace":
                set_path(doc, path, data.draw(HOSTILE))
            else:
                delete_path(doc, path)
        elif kind not in ("replace", "delete"):
            with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
                _graph_edit(doc, kind, data)  # fails when an earlier edit removed what this one needs
    try:
        text = json.dumps(doc).encode()
    except (ValueError, RecursionError):
        return
    check("project-json", make_zip({**BASE_MEMBERS, PROJECT_JSON: text}))


@FUZZ
@given(raw=st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"[" * 100_000, b'{"a":' * 50_000, b"NaN", b"1e999999", b"9" * 5000, b'"\\ud800"',
                     b'{"format_version": Infinity}', b"\xff\xfe{}", b"null", b"[]", b"{}"]),
    st.builds(lambda a, b: a + b, st.just(json.dumps(BASE_JSON).encode()), st.binary(max_size=20)),
))
def test_raw_project_json_text(raw: bytes) -> None:
    check("json-text", make_zip({**BASE_MEMBERS, PROJECT_JSON: raw}))


NPZ = sorted(m for m in BASE_MEMBERS if m.endswith(".npz"))


@FUZZ
@given(member=st.sampled_from(NPZ), ops=byte_ops(), pickled=st.booleans())
def test_mutated_npz_members(member: str, ops: list[tuple[str, float, bytes]], pickled: bool) -> None:
    blob = mutate_bytes(BASE_MEMBERS[member], ops)
    if pickled:  # an object array (pickled inside) in place of the member: must never be unpickled
        import io

        buffer = io.BytesIO()
        np.savez(buffer, **{"x#0": np.array([object()], dtype=object)})
        blob = buffer.getvalue()
    check("npz-member", make_zip({**BASE_MEMBERS, member: blob}))


@FUZZ
@given(data=st.data(), n=st.integers(1, 3))
def test_mutated_layer_params(data: st.DataObject, n: int) -> None:
    """Only the layers' params change (types, huge numbers, nesting): the file loads or is refused, and shape
    inference on what loads collects problems per node instead of raising."""
    doc = copy.deepcopy(BASE_JSON)
    nodes = doc["graphs"]["main"]["nodes"]
    for _ in range(n):
        node = data.draw(st.sampled_from(nodes))
        keys = [*node["params"], "units", "shape", "activation", "use_bias", "unknown"]
        node["params"][data.draw(st.sampled_from(keys))] = data.draw(HOSTILE)
    check("layer-params", make_zip({**BASE_MEMBERS, PROJECT_JSON: json.dumps(doc).encode()}))


@pytest.mark.parametrize(("node", "key", "value"), [
    (1, "units", 10**4000), (1, "units", -(10**4000)), (1, "kernel_regularizer", {"l1": 10**4000, "l2": 0.0}),
    (0, "shape", [10**4000]), (1, "units", 1e308),
])
def test_integers_beyond_float_range_are_refused(node: int, key: str, value: Any) -> None:
    """Found by the fuzzer: ``units: 10**4000`` raised OverflowError from Project.load (fixed in ParamSpec)."""
    doc = copy.deepcopy(BASE_JSON)
    doc["graphs"]["main"]["nodes"][node]["params"][key] = value
    assert check("huge-ints", make_zip({**BASE_MEMBERS, PROJECT_JSON: json.dumps(doc).encode()})) == "refused"
