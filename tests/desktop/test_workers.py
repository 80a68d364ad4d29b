"""Child-process jobs: the CLI runs in a QProcess; export and Keras import never load TensorFlow here."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.main_window import MainWindow
from desktop.worker import CliJob


def test_cli_job_runs_in_child_and_reports(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    results: list[tuple[bool, str]] = []
    job = CliJob(window, "Listing", ["templates"], lambda ok, out: results.append((ok, out)))
    job.start()
    qtbot.waitUntil(lambda: bool(results), timeout=60_000)
    ok, out = results[0]
    assert ok
    assert "lenet_cnn" in out


def test_cli_job_failure_is_reported(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    results: list[tuple[bool, str]] = []
    job = CliJob(window, "Info", ["info", "/no/such/file.layerbench"], lambda ok, out: results.append((ok, out)))
    job.start()
    qtbot.waitUntil(lambda: bool(results), timeout=60_000)
    assert results[0][0] is False
    assert "no such file" in results[0][1].lower() or "error" in results[0][1].lower()


def test_export_refused_while_graph_has_problems(empty_window: MainWindow,
                                                 dialogs: list[tuple[str, str]]) -> None:
    empty_window.editor.add_node("Dense", 0, 0)
    empty_window.document.refresh()
    assert not empty_window.exports.start("python", Path("/tmp/never.py"))
    assert dialogs[-1][0] == "warning"
    assert "Fix the problems first" in dialogs[-1][1]


@pytest.mark.tf
@pytest.mark.slow
def test_export_keras_then_import_it(window: MainWindow, qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                     dialogs: list[tuple[str, str]], tf_guard) -> None:
    graph = window.document.graph
    window.editor.add_after("Flatten", graph.nodes[2].id)
    window.editor.add_after("Dense", graph.nodes[3].id)
    window.document.refresh()
    target = tmp_path / "model.keras"
    assert window.exports.start("keras", target)
    qtbot.waitUntil(lambda: any(k == "information" for k, _ in dialogs) or any(k == "warning" for k, _ in dialogs),
                    timeout=280_000)
    assert dialogs[-1][0] == "information", dialogs[-1]
    assert target.is_file()
    tf_guard()
    types = [n.type for n in graph.nodes]
    assert window.projects.load_path(target)
    qtbot.waitUntil(lambda: window.document.path is None and len(window.document.graph) == len(types),
                    timeout=280_000)
    assert [n.type for n in window.document.graph.nodes] == types
    assert window.isWindowModified()
