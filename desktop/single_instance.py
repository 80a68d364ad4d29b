"""One app per user: a second launch hands over to the running app over a local socket.

The running app listens on a ``QLocalServer`` named per user (and per settings file, so tests and portable
installs with their own settings never meet). A launch first tries to connect; when the running app answers
``ok`` the launch exits. A launch with a file sends one JSON line ``{"open": ["/abs/path", ...]}`` and the
running app opens each file in a new window; a launch without one (the start-menu entry clicked again) sends
``{"window": "new"}`` and the running app opens a new window on the welcome page, in front, as a fresh start
would. Anything else is answered ``error`` and ignored.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication

from desktop.settings import ENV as SETTINGS_ENV

MAX_MESSAGE = 256 * 1024
MAX_FILES = 64
OK, ERROR = b"ok\n", b"error\n"


def server_name() -> str:
    """``layerbench-<hash>``: one name per user and settings file (the socket lives in a shared temp folder)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    key = f"{user}\0{os.environ.get(SETTINGS_ENV, '')}"
    return "layerbench-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def encode(paths: list[str]) -> bytes:
    return json.dumps({"open": [str(Path(p).absolute()) for p in paths]}).encode() + b"\n"


NEW_WINDOW: dict[str, str] = {"window": "new"}


def encode_new_window() -> bytes:
    return json.dumps(NEW_WINDOW).encode() + b"\n"


def decode(line: bytes) -> list[str] | None:
    """The paths of a message, or None when it is not a message we send (nothing else is ever acted on)."""
    try:
        data: Any = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    paths = data.get("open") if isinstance(data, dict) else None
    if not isinstance(paths, list) or len(paths) > MAX_FILES:
        return None
    if not all(isinstance(p, str) and 0 < len(p) < 4096 and Path(p).is_absolute() for p in paths):
        return None
    return paths


def is_new_window(line: bytes) -> bool:
    try:
        return bool(json.loads(line.decode("utf-8")) == NEW_WINDOW)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False


def send_to_running(paths: list[str], name: str | None = None, timeout_ms: int = 1500) -> bool:
    """Blocking: hand ``paths`` (none: ask for a new window) to a running app; True when it answered ``ok``."""
    sock = QLocalSocket()
    sock.connectToServer(name or server_name())
    if not sock.waitForConnected(timeout_ms):
        return False
    sock.write(encode(paths) if paths else encode_new_window())
    sock.flush()
    sock.waitForBytesWritten(timeout_ms)
    answer = b""
    while not answer.endswith(b"\n") and sock.waitForReadyRead(timeout_ms):
        answer += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    return answer == OK


class InstanceClient(QObject):
    """Non-blocking sender (for a caller that has an event loop running): emits ``answered(bool)``."""

    answered = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.socket = QLocalSocket(self)
        self.buffer = b""
        self.socket.connected.connect(self._send)
        self.socket.readyRead.connect(self._read)
        self.socket.errorOccurred.connect(lambda _e: self.answered.emit(False))
        self._paths: list[str] = []

    def send(self, paths: list[str], name: str | None = None) -> None:
        """Hand ``paths`` over (an empty list asks for a new window)."""
        self._paths = list(paths)
        self.socket.connectToServer(name or server_name())

    def _send(self) -> None:
        self.socket.write(encode(self._paths) if self._paths else encode_new_window())

    def _read(self) -> None:
        self.buffer += bytes(self.socket.readAll().data())
        if self.buffer.endswith(b"\n"):
            self.answered.emit(self.buffer == OK)
            self.socket.disconnectFromServer()


class InstanceServer(QObject):
    """Listens for later launches: ``files_received(list[str])`` carries the paths one sent,
    ``window_requested`` says a launch without a file asked for a window."""

    files_received = Signal(list)
    window_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening; a socket file left by a crashed app is removed first (no one answered on it)."""
        if self.server.listen(self.name):
            return True
        if self.server.serverError() == QLocalSocket.LocalSocketError.AddressInUseError:
            QLocalServer.removeServer(self.name)
            return self.server.listen(self.name)
        return False

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._drop(s))
            if sock.bytesAvailable():  # the message came before readyRead was connected
                self._read(sock)

    def _read(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        self._buffers[sock] = data
        if b"\n" not in data and len(data) < MAX_MESSAGE:
            return
        line = data.split(b"\n", 1)[0] if len(data) <= MAX_MESSAGE else b""
        paths = decode(line) if line else None
        new_window = paths is None and is_new_window(line)
        sock.write(OK if paths or new_window else ERROR)
        sock.flush()
        self._buffers[sock] = b""
        if paths:
            self.files_received.emit(paths)
        elif new_window:
            self.window_requested.emit()

    def _drop(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()


def open_in_new_windows(paths: list[str], make_window: Callable[[], Any], keep: list[Any]) -> None:
    """Open each path in a window of its own (kept alive in ``keep``), raised to the front."""
    for path in paths:
        window = make_window()
        keep.append(window)
        window.show()
        window.projects.load_path(Path(path))
        window.raise_()
        window.activateWindow()


def is_running(name: str | None = None, timeout_ms: int = 300) -> bool:
    """Whether an app answers on the socket (a socket file alone may be left over from a crash)."""
    sock = QLocalSocket()
    sock.connectToServer(name or server_name())
    alive = sock.waitForConnected(timeout_ms)
    sock.abort()
    return alive


def open_new_window(make_window: Callable[[], Any], keep: list[Any]) -> Any:
    """A second launch without a file: a new window on the welcome page, raised to the front."""
    from desktop.welcome import show_welcome

    window = make_window()
    keep.append(window)
    window.show()
    show_welcome(window)
    window.raise_()
    window.activateWindow()
    return window


def hand_over(args: list[str]) -> bool:
    """At start-up: True when a running app took over this launch (its project file, or a new window when
    there is no argument), so this launch should exit. A path that is not a file is not handed over: this
    launch opens and reports it itself."""
    if args and not Path(args[0]).is_file():
        return False
    return send_to_running([str(Path(args[0]).absolute())] if args else [])


def serve(window: Any) -> InstanceServer | None:
    """Listen for later launches unless another app already does; their files (or, without a file, a fresh
    start) open in new windows. The server belongs to the application, so it outlives the first window."""
    if is_running():
        return None
    server = InstanceServer(parent=QApplication.instance())
    if not server.listen():
        return None
    keep: list[Any] = []

    def make() -> Any:
        from desktop.app import install_window_extras

        new = type(window)()
        install_window_extras(new)
        return new

    server.files_received.connect(lambda paths: open_in_new_windows(paths, make, keep))
    server.window_requested.connect(lambda: open_new_window(make, keep))
    window.instance_server = server
    return server
