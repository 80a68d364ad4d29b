"""Autosave to the recovery folder and the recovery API (list, restore, discard)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.project import Project, ProjectError
from core.project import autosave as rec
from tests.conftest import add, link


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv(rec.ENV_DATA_DIR, str(folder))
    return folder


def _project() -> Project:
    project = Project(name="unsaved work")
    g = project.main
    link(g, add(g, "Input", shape=(4,)), add(g, "Dense", units=3))
    return project


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _pretend_crashed(key: str) -> None:
    meta = rec.recovery_dir() / f"{key}.json"
    data = json.loads(meta.read_text())
    data["pid"] = _dead_pid()
    meta.write_text(json.dumps(data))


def test_data_dir_override(data_dir: Path) -> None:
    assert rec.data_dir() == data_dir
    assert rec.recovery_dir() == data_dir / "recovery"
    assert rec.recovery_dir().is_dir()


def test_autosave_then_recover_after_crash(tmp_path: Path) -> None:
    project = _project()
    original = tmp_path / "work.layerbench"
    project.save(original)
    project.main.set_params(project.main.nodes[1].id, {"units": 9})  # an unsaved edit
    key = rec.new_key()
    rec.autosave(project, key)
    assert project.path == original  # autosave does not move the project
    assert rec.list_recoverable() == []  # our own process is alive: nothing to recover
    assert [r.key for r in rec.list_recoverable(include_running=True)] == [key]
    _pretend_crashed(key)
    (found,) = rec.list_recoverable()
    assert found.original == original
    assert found.name == "unsaved work"
    restored = rec.restore(key)
    assert restored.path == original  # Save writes back to the user's file
    assert restored.main.nodes[1].params["units"] == 9
    assert Project.load(original).main.nodes[1].params["units"] == 3
    rec.discard(key)
    assert rec.list_recoverable(include_running=True) == []


def test_autosave_of_a_never_saved_project_with_weights() -> None:
    project = _project()
    run = project.add_run("r")
    project.set_weights(run.id, {"dense_1": [np.ones((4, 3), "float32"), np.zeros(3, "float32")]})
    key = rec.new_key()
    rec.autosave(project, key)
    rec.autosave(project, key)  # again: replaces the previous autosave
    _pretend_crashed(key)
    (found,) = rec.list_recoverable()
    assert found.original is None
    restored = rec.restore(key)
    assert restored.path is None
    np.testing.assert_array_equal(restored.weights("r")["dense_1"][0], np.ones((4, 3)))
    rec.discard(key)
    # the project itself still has its weights after the recovery copy is gone
    np.testing.assert_array_equal(project.weights("r")["dense_1"][0], np.ones((4, 3)))


def test_damaged_recovery_metadata_is_skipped() -> None:
    key = rec.new_key()
    rec.autosave(_project(), key)
    (rec.recovery_dir() / f"{key}.json").write_text("{not json")
    assert rec.list_recoverable(include_running=True) == []
    with pytest.raises(ProjectError, match="no recoverable project"):
        rec.restore(key)


def test_invalid_key_refused() -> None:
    with pytest.raises(ProjectError, match="invalid autosave key"):
        rec.autosave(_project(), "../x")


def test_unchanged_project_is_not_written_again() -> None:
    project = _project()
    run = project.add_run("r")
    project.set_weights(run.id, {"dense_1": [np.ones((4, 3), "float32")]})
    key = rec.new_key()
    target = rec.autosave(project, key)
    target.touch()
    os_time = target.stat().st_mtime_ns
    assert rec.autosave(project, key) == target
    assert target.stat().st_mtime_ns == os_time  # skipped: nothing changed
    project.set_weights(run.id, {"dense_1": [np.zeros((4, 3), "float32")]})  # same size, new values
    rec.autosave(project, key)
    assert target.stat().st_mtime_ns != os_time
    np.testing.assert_array_equal(Project.load(target).weights("r")["dense_1"][0], np.zeros((4, 3)))
    project.name = "renamed"
    rec.autosave(project, key)
    assert Project.load(target).name == "renamed"
