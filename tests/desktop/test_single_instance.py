"""Single instance: a second launch's files reach the running app through a local socket (both sides here)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop import single_instance as si
from desktop.main_window import MainWindow


@pytest.fixture
def server() -> Any:
    srv = si.InstanceServer(f"layerbench-test-{uuid.uuid4().hex[:12]}")
    assert srv.listen()
    yield srv
    srv.close()


def test_server_name_is_per_user_and_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    a = si.server_name()
    monkeypatch.setenv("LAYERBENCH_SETTINGS", str(tmp_path / "other.ini"))
    assert si.server_name() != a
    assert si.server_name().startswith("layerbench-")


def test_client_hands_files_to_the_server(qtbot: QtBot, server: Any, tmp_path: Path) -> None:
    client = si.InstanceClient()
    path = str(tmp_path / "a.layerbench")
    with qtbot.waitSignal(server.files_received) as got, qtbot.waitSignal(client.answered) as answer:
        client.send([path], server.name)
    assert got.args == [[path]]
    assert answer.args == [True]


def test_blocking_send_from_a_second_launch(qtbot: QtBot, server: Any, tmp_path: Path) -> None:
    """A real second process (as a second `layerbench FILE` is) hands its file over and hears ``ok``."""
    received: list[list[str]] = []
    server.files_received.connect(received.append)
    path = str(tmp_path / "b.layerbench")
    code = ("import sys; from desktop.single_instance import send_to_running; "
            "sys.exit(0 if send_to_running(sys.argv[1:2], sys.argv[2]) else 3)")
    proc = subprocess.Popen([sys.executable, "-c", code, path, server.name])
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
    assert proc.returncode == 0
    assert received == [[path]]


def test_no_running_app_means_no_answer() -> None:
    assert si.send_to_running(["/x.layerbench"], f"layerbench-none-{uuid.uuid4().hex[:8]}", 300) is False


@pytest.mark.parametrize("line", [b"not json", b'{"open": "x"}', b'{"open": ["relative.layerbench"]}',
                                  b'{"run": ["/x"]}', b"\xff\xfe"])
def test_anything_but_a_list_of_absolute_paths_is_refused(line: bytes) -> None:
    assert si.decode(line) is None


def test_refused_message_gets_error_and_no_files(qtbot: QtBot, server: Any) -> None:
    from PySide6.QtNetwork import QLocalSocket

    received: list[Any] = []
    server.files_received.connect(received.append)
    sock = QLocalSocket()
    sock.connectToServer(server.name)
    qtbot.waitUntil(lambda: sock.state() == QLocalSocket.LocalSocketState.ConnectedState)
    sock.write(b'{"open": ["relative"]}\n')
    qtbot.waitUntil(lambda: sock.bytesAvailable() > 0)
    assert bytes(sock.readAll().data()) == si.ERROR
    assert received == []


def test_stale_socket_is_replaced(qtbot: QtBot) -> None:
    name = f"layerbench-stale-{uuid.uuid4().hex[:8]}"
    first = si.InstanceServer(name)
    assert first.listen()
    second = si.InstanceServer(name)
    assert second.listen()  # the first never answered through the new file: it counts as stale
    second.close()
    first.close()


@pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise")
def test_received_file_opens_in_a_new_window(qtbot: QtBot, tmp_path: Path) -> None:
    from core.project.project import Project
    from resources.examples import example_path

    path = tmp_path / "digits.layerbench"
    Project.load(example_path("cnn_digits")).save(path)
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        window = MainWindow()
        qtbot.addWidget(window)
        return window

    si.open_in_new_windows([str(path)], make, windows)
    assert len(windows) == 1
    assert windows[0].isVisible()
    assert len(windows[0].projects.document.graph) == 7


def test_second_launch_with_a_file_exits_after_handing_it_over(qtbot: QtBot, tmp_path: Path) -> None:
    """``layerbench FILE`` while the app runs: the new process hands the file over and exits with 0."""
    import os

    srv = si.InstanceServer()  # the name main() computes: same user, same settings file (env inherited)
    assert srv.listen()
    received: list[list[str]] = []
    srv.files_received.connect(received.append)
    path = tmp_path / "c.layerbench"
    path.write_bytes(b"not opened by the second process")
    code = "import sys; from desktop.app import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], env=env)
    try:
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
    finally:
        srv.close()
    assert proc.returncode == 0
    assert received == [[str(path)]]


@pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise")
def test_main_without_a_project_shows_welcome_learn_and_serves(qtbot: QtBot) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.app import main

    seen: dict[str, Any] = {}

    def check() -> None:
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        seen["welcome"] = window.welcome is not None and window.welcome.isVisible()
        seen["learn"] = "learn" in window.docks
        seen["running"] = si.is_running()
        window.close()
        QApplication.quit()

    QTimer.singleShot(0, check)
    assert main([]) == 0
    assert seen == {"welcome": True, "learn": True, "running": True}
