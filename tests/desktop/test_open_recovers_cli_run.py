"""Opening a project in the window adopts the run a killed ``layerbench train`` left beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.training import orphans
from tests.core.test_training_cli_orphans import make_project, orphan


def test_opening_a_project_adopts_a_killed_cli_run(window: Any, tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=5)
    orphan(path, epochs_done=2)
    assert window.projects.load_path(path)
    [run] = window.document.project.runs
    assert run.status == "interrupted"
    assert run.info["checkpoint"]["epoch"] == 2
    log = window.log.toPlainText()
    assert f"recovered run {run.label} (interrupted at epoch 2/5)" in log
    assert "recovered run" in window.statusBar().currentMessage()
    assert not orphans.runs_root(path).exists()
    assert not window.document.is_modified()  # the run went into the file on disk, not only into the window


def test_opening_a_project_without_orphans_says_nothing_of_runs(window: Any, tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=5)
    assert window.projects.load_path(path)
    assert window.document.project.runs == []
    assert "recovered" not in window.log.toPlainText()
