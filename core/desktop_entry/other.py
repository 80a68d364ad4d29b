"""Windows and macOS: the file association and the application bundle, written as text.

A Windows start-menu shortcut is a binary ``.lnk`` file that needs a library to write; with ``pyshortcuts``
installed we use it, otherwise we register the file type only (a ``.reg`` file imported with ``reg``).
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path

from core.desktop_entry.content import NAME, info_plist, mac_launcher_script, windows_registry
from core.desktop_entry.linux import Report, icons_folder


def install_macos(command: list[str], version: str, applications: Path | None = None) -> Report:
    """``~/Applications/Layerbench.app`` with an ``Info.plist`` declaring the ``.layerbench`` document type."""
    report = Report()
    app = (applications or Path.home() / "Applications") / f"{NAME}.app"
    contents = app / "Contents"
    (contents / "MacOS").mkdir(parents=True, exist_ok=True)
    (contents / "Info.plist").write_text(info_plist(version), encoding="utf-8")
    script = contents / "MacOS" / "layerbench"
    script.write_text(mac_launcher_script(command), encoding="utf-8")
    script.chmod(0o755)
    report.files += [contents / "Info.plist", script]
    icons = icons_folder()
    if icons is not None:
        (contents / "Resources").mkdir(exist_ok=True)
        shutil.copyfile(icons / "layerbench-256.png", contents / "Resources" / "layerbench.png")
        report.files.append(contents / "Resources" / "layerbench.png")
    return report


def uninstall_macos(applications: Path | None = None) -> Report:
    app = (applications or Path.home() / "Applications") / f"{NAME}.app"
    report = Report()
    if app.is_dir():
        shutil.rmtree(app)
        report.files.append(app)
    return report


def _appdata() -> Path:
    return Path(os.environ.get("APPDATA", str(Path.home()))) / NAME


def install_windows(command: list[str], version: str, folder: Path | None = None, run_tools: bool = True) -> Report:
    """The file association as a ``.reg`` file (imported with ``reg import``), a menu shortcut via pyshortcuts."""
    report = Report()
    folder = folder or _appdata()
    folder.mkdir(parents=True, exist_ok=True)
    icons = icons_folder()
    icon = str(icons / "layerbench-256.png") if icons else command[0]
    reg = folder / "layerbench-filetype.reg"
    reg.write_text(windows_registry(command, icon), encoding="utf-16")
    report.files.append(reg)
    if run_tools and shutil.which("reg"):
        subprocess.run(["reg", "import", str(reg)], capture_output=True, timeout=60, check=False)
        report.tools.append("reg import")
    try:
        pyshortcuts = importlib.import_module("pyshortcuts")
    except ModuleNotFoundError:
        report.notes.append("no start-menu shortcut: writing a .lnk needs the pyshortcuts package "
                            "(pip install pyshortcuts); the .layerbench file type is registered")
        return report
    if run_tools:
        pyshortcuts.make_shortcut(" ".join(command), name=NAME, terminal=False, desktop=False, startmenu=True)
        report.tools.append("pyshortcuts")
    return report


def uninstall_windows(folder: Path | None = None, run_tools: bool = True) -> Report:
    report = Report()
    reg = (folder or _appdata()) / "layerbench-filetype.reg"
    if reg.is_file():
        reg.unlink()
        report.files.append(reg)
    if run_tools and shutil.which("reg"):
        for key in ("HKCU\\Software\\Classes\\.layerbench", "HKCU\\Software\\Classes\\Layerbench.Project"):
            subprocess.run(["reg", "delete", key, "/f"], capture_output=True, timeout=60, check=False)
        report.tools.append("reg delete")
    return report
