"""Projects in the GUI: save and reopen, the modified star, the close prompt, autosave and recovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.project import Project
from desktop.document import Document
from desktop.main_window import MainWindow
from desktop.projects import recent_files


def _save_dialog(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def test_save_close_reopen_gives_equal_graph(window: MainWindow, qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    window.editor.add_after("Flatten", window.document.graph.nodes[2].id)
    assert window.isWindowModified()
    assert window.windowTitle().startswith("Untitled")
    target = tmp_path / "net"  # the suffix is added
    _save_dialog(monkeypatch, target)
    window.actions_by_id["file.save"].trigger()
    saved = tmp_path / "net.layerbench"
    assert saved.is_file()
    assert not window.isWindowModified()
    assert window.windowTitle().startswith("net")
    assert recent_files()[0] == str(saved)
    expected = window.document.graph.to_dict()
    assert window.close()

    other = MainWindow()
    qtbot.addWidget(other)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(saved), ""))
    other.actions_by_id["file.open"].trigger()
    assert other.document.graph.to_dict() == expected
    assert other.document.path == saved
    assert not other.isWindowModified()
    assert len(other.scene.node_items()) == 4
    assert Project.load(saved).main.to_dict() == expected


def test_modified_star_follows_undo_stack(window: MainWindow) -> None:
    assert not window.isWindowModified()
    window.editor.set_params(window.document.graph.nodes[1].id, {"filters": 12})
    assert window.isWindowModified()
    window.document.stack.undo()
    assert not window.isWindowModified()


def test_close_with_unsaved_changes_asks(window: MainWindow, monkeypatch: pytest.MonkeyPatch,
                                         dialogs: list[tuple[str, str]]) -> None:
    window.editor.set_params(window.document.graph.nodes[1].id, {"filters": 12})
    answers = [QMessageBox.StandardButton.Cancel]

    def ask(*args: object, **kwargs: object) -> QMessageBox.StandardButton:
        dialogs.append(("question", str(args[2])))
        return answers[-1]

    monkeypatch.setattr(QMessageBox, "question", ask)
    assert not window.close()
    assert window.isVisible()
    assert dialogs
    assert "Save the changes" in dialogs[-1][1]
    answers.append(QMessageBox.StandardButton.Discard)
    assert window.close()


def test_close_prompt_save_writes_file(window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window.editor.set_params(window.document.graph.nodes[1].id, {"filters": 12})
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)
    _save_dialog(monkeypatch, tmp_path / "kept.layerbench")
    assert window.close()
    assert Project.load(tmp_path / "kept.layerbench").main.nodes[1].params["filters"] == 12


def test_open_bad_file_reports_error(window: MainWindow, tmp_path: Path, dialogs: list[tuple[str, str]]) -> None:
    bad = tmp_path / "bad.layerbench"
    bad.write_text("not a zip")
    before = window.document
    assert not window.projects.load_path(bad)
    assert window.document is before
    assert dialogs[-1][0] == "warning"
    assert "bad.layerbench" in dialogs[-1][1]


@pytest.fixture
def answer_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


@pytest.mark.usefixtures("answer_yes")
def test_autosave_and_recovery(window: MainWindow, qtbot, dialogs: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    from core.project.autosave import list_recoverable

    window.editor.add_after("Flatten", window.document.graph.nodes[2].id)
    window.projects.autosave_now()
    expected = window.document.graph.to_dict()
    live = list_recoverable(include_running=True)
    assert len(live) == 1
    # a later session finds it once the process that wrote it is gone
    import json

    meta = live[0].path.with_suffix(".json")
    data = json.loads(meta.read_text())
    data["pid"] = 999_999_999
    meta.write_text(json.dumps(data))
    window.projects.autosave_key = ""  # as if this window had crashed
    other = MainWindow()
    qtbot.addWidget(other)
    assert other.projects.offer_recovery()
    assert other.document.graph.to_dict() == expected
    assert other.isWindowModified()
    assert list_recoverable(include_running=True) == []
    other.document.mark_saved()


def test_new_from_template_gallery(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.dialogs import templates

    chosen: list[str] = []

    def pick_first(dialog: templates.TemplateGallery) -> int:
        chosen.append(dialog.selected_name())
        return 1

    monkeypatch.setattr(templates.TemplateGallery, "exec", pick_first)
    window.actions_by_id["file.new"].trigger()
    expected = templates.load(chosen[0]).to_dict()
    got = window.document.graph.to_dict()
    assert [n["type"] for n in got["nodes"]] == [n["type"] for n in expected["nodes"]]
    assert not window.isWindowModified()


def test_replacing_document_detaches_old_graph(window: MainWindow) -> None:
    old_graph = window.document.graph
    window.set_document(Document())
    old_graph.add_node(old_graph.make_node("Dense", {}, 0, 0))
    assert window.scene.node_items() == []


def test_gan_template_gives_two_graphs_to_switch_between(window: MainWindow, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.dialogs import templates

    def pick_gan(dialog: templates.TemplateGallery) -> int:
        names = [dialog.list.item(i).data(templates.NAME_ROLE) for i in range(dialog.list.count())]
        dialog.list.setCurrentRow(names.index("dcgan_digits_generator"))
        return 1

    monkeypatch.setattr(templates.TemplateGallery, "exec", pick_gan)
    window.actions_by_id["file.new"].trigger()
    doc = window.document
    assert doc.project.kind == "gan"
    assert doc.graph_name == "generator"
    assert window.graph_box_action.isVisible()
    assert [window.graph_box.itemText(i) for i in range(window.graph_box.count())] == ["generator", "discriminator"]
    window.editor.set_params(doc.graph.nodes[-1].id, {"activation": "sigmoid"})
    window.graph_box.activated.emit(1)
    assert window.document.graph_name == "discriminator"
    assert window.document.graph is doc.project.graphs["discriminator"]
    assert window.isWindowModified()
    assert "(discriminator)" in window.windowTitle()
    path = tmp_path / "gan.layerbench"
    assert window.projects.write(path)
    loaded = Project.load(path)
    assert set(loaded.graphs) == {"generator", "discriminator"}
    assert loaded.graphs["generator"].nodes[-1].params["activation"] == "sigmoid"
