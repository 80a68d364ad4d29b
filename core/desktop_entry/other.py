"""Windows and macOS: the start-menu shortcut, the file association and the application bundle, as files.

Everything is written as text or bytes we generate and test on any system (``content.py``,
``icon_files.py``); only the last step runs a Windows tool: ``powershell`` runs the generated script that asks
Windows's own ``WScript.Shell`` COM object to write the ``.lnk``, and ``reg import`` reads the ``.reg`` file.
(pyshortcuts, the usual library for this, imports pywin32 at module level so it cannot produce a Windows
shortcut elsewhere, and its macOS writer makes either a Terminal-opening AppleScript or an Automator app
copied from macOS itself, neither with a document type; so we do not depend on it.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from core.desktop_entry.content import (
    NAME,
    info_plist,
    mac_launcher_script,
    windows_registry,
    windows_shortcut_script,
)
from core.desktop_entry.icon_files import ICNS_TYPES, ICO_SIZES, icns_bytes, ico_bytes, pngs_in
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
    pngs = pngs_in(icons, tuple(ICNS_TYPES)) if icons is not None else []
    if pngs:
        (contents / "Resources").mkdir(exist_ok=True)
        icns = contents / "Resources" / "layerbench.icns"
        icns.write_bytes(icns_bytes(pngs))
        report.files.append(icns)
    return report


def uninstall_macos(applications: Path | None = None) -> Report:
    app = (applications or Path.home() / "Applications") / f"{NAME}.app"
    report = Report()
    if app.is_dir():
        shutil.rmtree(app)
        report.files.append(app)
    return report


def _appdata() -> Path:
    return Path(os.environ.get("APPDATA", str(Path.home() / "AppData" / "Roaming")))


def start_menu_link(appdata: Path | None = None) -> Path:
    """``%APPDATA%\\Microsoft\\Windows\\Start Menu\\Programs\\Layerbench.lnk`` (the current user's menu)."""
    return (appdata or _appdata()) / "Microsoft" / "Windows" / "Start Menu" / "Programs" / f"{NAME}.lnk"


def install_windows(command: list[str], version: str, folder: Path | None = None, run_tools: bool = True,
                    appdata: Path | None = None) -> Report:
    """In ``folder`` (``%APPDATA%\\Layerbench``): the icon, the file-type ``.reg`` and the shortcut script; then
    (``run_tools``) ``reg import`` and ``powershell`` make Windows register the type and write the ``.lnk``."""
    report = Report()
    folder = folder or _appdata() / NAME
    folder.mkdir(parents=True, exist_ok=True)
    icons = icons_folder()
    pngs = pngs_in(icons, ICO_SIZES) if icons is not None else []
    icon = str(folder / "layerbench.ico") if pngs else command[0]
    if pngs:
        (folder / "layerbench.ico").write_bytes(ico_bytes(pngs))
        report.files.append(folder / "layerbench.ico")
    reg = folder / "layerbench-filetype.reg"
    reg.write_text(windows_registry(command, icon), encoding="utf-16")
    script = folder / "layerbench-shortcut.ps1"
    link = start_menu_link(appdata)
    script.write_text(windows_shortcut_script(command, icon, str(link), str(Path.home())), encoding="utf-8-sig")
    report.files += [reg, script]
    if not run_tools:
        report.notes.append(f"not run: reg import {reg}; powershell -File {script} (writes {link})")
        return report
    if shutil.which("reg"):
        subprocess.run(["reg", "import", str(reg)], capture_output=True, timeout=60, check=False)
        report.tools.append("reg import")
    shell = shutil.which("powershell") or shutil.which("pwsh")
    if shell:
        done = subprocess.run([shell, "-NoProfile", "-ExecutionPolicy", "Bypass", "-File", str(script)],
                              capture_output=True, text=True, timeout=120, check=False)
        report.tools.append("powershell (WScript.Shell CreateShortcut)")
        if done.returncode == 0 and link.is_file():
            report.files.append(link)
        else:
            report.notes.append(f"the start-menu shortcut was not written: {done.stderr.strip()[-300:]}")
    else:
        report.notes.append(f"no PowerShell found: run {script} to add the start-menu shortcut")
    return report


def uninstall_windows(folder: Path | None = None, run_tools: bool = True, appdata: Path | None = None) -> Report:
    report = Report()
    folder = folder or _appdata() / NAME
    for path in (start_menu_link(appdata), *(folder / n for n in (
            "layerbench-filetype.reg", "layerbench-shortcut.ps1", "layerbench.ico"))):
        if path.is_file():
            path.unlink()
            report.files.append(path)
    if run_tools and shutil.which("reg"):
        for key in ("HKCU\\Software\\Classes\\.layerbench", "HKCU\\Software\\Classes\\Layerbench.Project"):
            subprocess.run(["reg", "delete", key, "/f"], capture_output=True, timeout=60, check=False)
        report.tools.append("reg delete")
    return report
