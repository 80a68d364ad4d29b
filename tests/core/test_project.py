"""Project files: round trip, runs and weights, migrations, and a corpus of broken files."""

from __future__ import annotations

import contextlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.graph.errors import GraphError
from core.graph.model import Graph
from core.project import Project, ProjectError
from core.project.io import PROJECT_JSON
from core.project.migrations import migrate, migrate_1_to_2
from core.project.schema import FORMAT_VERSION
from tests.conftest import add, link
from tests.core.data import corpus


def _project() -> Project:
    project = Project(name="demo")
    g = project.main
    link(g, add(g, "Input", shape=(8,)), add(g, "Dense", units=4, activation="relu"), add(g, "Dense", units=2))
    g.move_nodes({g.nodes[1].id: (120.0, 40.5)})
    project.data = {"dataset": "toy", "split": [0.8, 0.2]}
    project.training = {"epochs": 3, "optimizer": {"name": "adam", "lr": 0.001}}
    return project


def _weights(graph: Graph, seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = {}
    for node in graph.nodes:
        if node.type == "Dense":
            out[node.name] = [rng.normal(size=(3, 3)).astype("float32"), rng.normal(size=3).astype("float32")]
    return out


def test_round_trip_keeps_graph_positions_sections(tmp_path: Path) -> None:
    project = _project()
    path = project.save(tmp_path / "demo.layerbench")
    loaded = Project.load(path)
    assert loaded.main.to_dict() == project.main.to_dict()
    assert loaded.data == project.data
    assert loaded.training == project.training
    assert loaded.kind == "supervised"
    assert loaded.path == path
    assert loaded.main.nodes[1].x == 120.0
    assert loaded.main.nodes[1].y == 40.5


def test_file_is_a_zip_with_versioned_json(tmp_path: Path) -> None:
    path = _project().save(tmp_path / "demo.layerbench")
    with zipfile.ZipFile(path) as zf:
        data = json.loads(zf.read(PROJECT_JSON))
    assert data["format_version"] == FORMAT_VERSION
    assert data["app_version"]
    assert set(data) >= {"kind", "graphs", "data", "training", "runs"}


def test_runs_weights_history_and_checkpoints(tmp_path: Path) -> None:
    project = _project()
    weights = _weights(project.main)
    run = project.add_run(label="first")
    project.set_weights(run.id, weights)
    project.set_weights(run.id, _weights(project.main, seed=1), checkpoint="epoch-1")
    project.set_history(run.id, {"loss": np.linspace(1, 0, 50), "accuracy": np.linspace(0, 1, 50)})
    path = project.save(tmp_path / "w.layerbench")
    loaded = Project.load(path)
    assert [r.id for r in loaded.runs] == [run.id]
    got = loaded.weights(run.id)
    assert set(got) == set(weights)
    for name, arrays in weights.items():
        for a, b in zip(arrays, got[name]):
            np.testing.assert_array_equal(a, b)
    assert loaded.weights().keys() == weights.keys()  # latest run by default
    np.testing.assert_array_equal(loaded.history(run.id)["loss"], np.linspace(1, 0, 50))
    assert loaded.weights(run.id, checkpoint="epoch-1").keys() == weights.keys()
    # saved again (weights copied from the first file without decoding), then loaded again
    loaded.save(tmp_path / "w2.layerbench")
    again = Project.load(tmp_path / "w2.layerbench")
    np.testing.assert_array_equal(again.weights(run.id)[next(iter(weights))][0], next(iter(weights.values()))[0])


def test_latest_run_and_errors() -> None:
    project = _project()
    assert project.latest_run() is None
    with pytest.raises(ProjectError, match="no trained weights"):
        project.weights()
    first = project.add_run("a")
    project.set_weights(first.id, _weights(project.main))
    second = project.add_run("b")
    assert project.latest_run() is first  # b has no weights yet
    project.set_weights(second.id, _weights(project.main))
    assert project.latest_run() is second
    with pytest.raises(ProjectError, match="already exists"):
        project.add_run("a")
    with pytest.raises(ProjectError, match="no run"):
        project.weights("zzz")


def test_latest_run_prefers_finished_then_stopped_and_skips_failed() -> None:
    project = _project()

    def run(run_id: str, status: str, **info: object) -> object:
        made = project.add_run(run_id, status=status, info=info)
        project.set_weights(made.id, _weights(project.main))
        return made

    finished = run("done", "finished")
    stopped = run("halted", "stopped")
    interrupted = run("killed", "interrupted")
    diverged = run("nan", "failed", failure="diverged")  # its weights are a NaN checkpoint's
    assert project.latest_run() is finished  # older, but finished beats stopped, interrupted and failed
    assert project.weights().keys() == project.weights(finished.id).keys()
    project.remove_run(finished.id)
    assert project.latest_run() is stopped
    project.remove_run(stopped.id)
    assert project.latest_run() is interrupted
    project.remove_run(interrupted.id)
    assert project.latest_run() is None  # a failed run only when asked for
    with pytest.raises(ProjectError, match="no trained weights"):
        project.weights()
    assert project.latest_run(include_failed=True) is diverged
    imported = run("imported", "imported")
    assert project.latest_run(include_failed=True) is imported  # a complete model outranks a failed run
    newer = run("done2", "finished")
    assert project.latest_run() is newer  # among equals, the most recent


def test_removed_run_drops_its_members(tmp_path: Path) -> None:
    project = _project()
    run = project.add_run("gone")
    project.set_weights(run.id, _weights(project.main))
    project.remove_run(run.id)
    path = project.save(tmp_path / "r.layerbench")
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [PROJECT_JSON]


def test_gan_project_has_two_graphs(tmp_path: Path) -> None:
    project = Project("gan")
    assert set(project.graphs) == {"generator", "discriminator"}
    run = project.add_run()
    project.set_weights(run.id, {}, graph="discriminator")
    loaded = Project.load(project.save(tmp_path / "g.layerbench"))
    assert loaded.kind == "gan"
    assert set(loaded.graphs) == {"generator", "discriminator"}
    assert loaded.latest_run("discriminator") is not None
    assert loaded.latest_run("generator") is None
    with pytest.raises(ProjectError, match="unknown project kind"):
        Project("unsupervised")


def test_save_keeps_backup_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "b.layerbench"
    project = _project()
    project.save(path)
    first = path.read_bytes()
    project.name = "changed"
    project.save(path)
    assert (tmp_path / "b.layerbench.bak").read_bytes() == first
    assert Project.load(path).name == "changed"
    assert Project.load(tmp_path / "b.layerbench.bak").name == "demo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.layerbench", "b.layerbench.bak"]


def test_save_into_missing_folder_is_a_project_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="folder does not exist"):
        _project().save(tmp_path / "nope" / "x.layerbench")


def test_migration_from_version_1(tmp_path: Path) -> None:
    old = corpus.good_json()
    graph = old.pop("graphs")["main"]
    positions = {n["id"]: [n["ui"]["x"] + 5, 7.0] for n in graph["nodes"]}
    for n in graph["nodes"]:
        n.pop("ui")
    old.update(format_version=1, graph=graph, positions=positions)
    old.pop("kind")
    path = tmp_path / "old.layerbench"
    path.write_bytes(corpus.with_json(old))
    project = Project.load(path)
    assert [n.name for n in project.main.nodes] == ["input_1", "dense_1"]
    assert (project.main.nodes[1].x, project.main.nodes[1].y) == (205.0, 7.0)
    assert migrate_1_to_2({"format_version": 1})["graphs"] == {"main": {"nodes": [], "edges": []}}


def test_newer_version_names_both_versions() -> None:
    with pytest.raises(ProjectError) as info:
        migrate({"format_version": FORMAT_VERSION + 1}, "f.layerbench", "9.9")
    text = str(info.value)
    assert f"format_version {FORMAT_VERSION + 1}" in text
    assert f"format_version {FORMAT_VERSION}" in text


@pytest.mark.parametrize("name", sorted(corpus.BROKEN))
def test_broken_files_give_clear_errors(tmp_path: Path, name: str) -> None:
    path = corpus.write(tmp_path, name)
    with pytest.raises(ProjectError) as info:
        Project.load(path)
    message = str(info.value)
    assert corpus.BROKEN[name][1] in message
    assert str(path) in message  # every message says which file
    assert "Traceback" not in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="no such file"):
        Project.load(tmp_path / "absent.layerbench")


def test_pickled_weights_are_refused(tmp_path: Path) -> None:
    project = _project()
    run = project.add_run("r")
    project.set_weights(run.id, _weights(project.main))
    path = project.save(tmp_path / "p.layerbench")
    # replace the weights with an object array (needs pickle to load)
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **{"dense_1:0": np.array([{"x": 1}], dtype=object)})
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["runs/r/weights-main.npz"] = buffer.getvalue()
    path.write_bytes(corpus.zip_bytes(members))
    loaded = Project.load(path)
    with pytest.raises(ProjectError, match="cannot be read as arrays"):
        loaded.weights("r")


def test_member_count_and_total_size_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.project import archive

    path = tmp_path / "many.layerbench"
    members = {PROJECT_JSON: json.dumps(corpus.good_json()).encode()}
    members.update({f"extra/{i}.bin": b"x" * 100 for i in range(20)})
    path.write_bytes(corpus.zip_bytes(members))
    monkeypatch.setattr(archive, "MAX_MEMBERS", 10)
    with pytest.raises(ProjectError, match="holds 21 members; at most 10"):
        Project.load(path)
    monkeypatch.setattr(archive, "MAX_MEMBERS", 100)
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 1000)
    with pytest.raises(ProjectError, match=r"unpacks to .* over the limit of 1,000"):
        Project.load(path)


def test_every_layer_type_round_trips_through_a_file(tmp_path: Path) -> None:
    """Each registered node type, with its default and its fuzz parameters, comes back equal after a save."""
    from core.catalog.registry import all_specs

    project = Project()
    g = project.main
    for spec in all_specs():
        g.add_node(g.make_node(spec.id, spec.defaults(), x=1.5, y=-2.0))
        fuzzed = {p.name: p.fuzz[-1] for p in spec.params if p.fuzz}
        with contextlib.suppress(GraphError):  # a fuzz value may need partner values; defaults cover the type
            g.add_node(g.make_node(spec.id, fuzzed))
    loaded = Project.load(project.save(tmp_path / "all.layerbench"))
    assert loaded.main.to_dict() == g.to_dict()
    assert {n.params == m.params for n, m in zip(loaded.main.nodes, g.nodes)} == {True}


def test_a_damaged_file_points_to_its_backup(tmp_path: Path) -> None:
    path = _project().save(tmp_path / "d.layerbench")
    _project().save(path)
    path.write_bytes(path.read_bytes()[:100])  # damaged after the save, e.g. by a full disk elsewhere
    with pytest.raises(ProjectError, match=r"previous version is kept in d\.layerbench\.bak"):
        Project.load(path)
    assert Project.load(tmp_path / "d.layerbench.bak").name == "demo"
