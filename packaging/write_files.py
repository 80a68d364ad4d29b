"""Writes the static copies of the desktop files in ``packaging/`` (for distribution packagers):
``python packaging/write_files.py``. ``layerbench install-shortcut`` writes the same text with a full path."""

from __future__ import annotations

from pathlib import Path

from core.desktop_entry.content import APP_ID, desktop_entry, info_plist, metainfo_xml, mime_xml
from core.project.schema import APP_VERSION

FOLDER = Path(__file__).resolve().parent


def files() -> dict[str, str]:
    return {f"{APP_ID}.desktop": desktop_entry(["layerbench"]), f"{APP_ID}.mime.xml": mime_xml(),
            f"{APP_ID}.metainfo.xml": metainfo_xml(APP_VERSION), "Info.plist": info_plist(APP_VERSION)}


if __name__ == "__main__":
    for name, text in files().items():
        (FOLDER / name).write_text(text, encoding="utf-8")
        print(f"wrote {FOLDER / name}")
