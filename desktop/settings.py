"""Where the app keeps its settings (window layout, recent files, theme).

``LAYERBENCH_SETTINGS`` names an INI file to use instead of the platform's store: tests give each test its
own file (so parallel test workers never share one), and a portable install can keep settings beside it.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

ENV = "LAYERBENCH_SETTINGS"


def settings() -> QSettings:
    path = os.environ.get(ENV)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("Layerbench", "Layerbench")
