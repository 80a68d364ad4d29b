"""Install and remove the start-menu entry, icons, MIME type and AppStream file under ``$XDG_DATA_HOME``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from core.desktop_entry.content import (
    APP_ID,
    MIME_ICON,
    desktop_entry,
    metainfo_xml,
    mime_xml,
)

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
TOOLS = (("update-desktop-database", "applications"), ("update-mime-database", "mime"))


@dataclass
class Report:
    """What an install or uninstall did: files written or removed, tools run, notes for the user."""

    files: list[Path] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def data_home(env: dict[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME`` when set to an absolute path (as the spec says), else ``~/.local/share``."""
    value = (env if env is not None else os.environ).get("XDG_DATA_HOME", "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / ".local" / "share"


def icons_folder() -> Path | None:
    """Where the shipped SVG and PNG icons are: inside a bundle, or the source tree's ``packaging/icons``."""
    roots = [Path(getattr(sys, "_MEIPASS", "")) / "packaging"] if hasattr(sys, "_MEIPASS") else []
    roots.append(Path(__file__).resolve().parents[2] / "packaging")
    for root in roots:
        if (root / "icons" / "layerbench.svg").is_file():
            return root / "icons"
    return None


def planned_files(home: Path) -> list[Path]:
    """Every file ``install`` writes under ``home`` (uninstall removes exactly these)."""
    out = [home / "applications" / f"{APP_ID}.desktop", home / "mime" / "packages" / f"{APP_ID}.xml",
           home / "metainfo" / f"{APP_ID}.metainfo.xml"]
    hicolor = home / "icons" / "hicolor"
    for name, kind in ((APP_ID, "apps"), (MIME_ICON, "mimetypes")):
        out += [hicolor / f"{s}x{s}" / kind / f"{name}.png" for s in ICON_SIZES]
        out.append(hicolor / "scalable" / kind / f"{name}.svg")
    return out


def _write(path: Path, text: str | bytes, report: Report) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    report.files.append(path)


def _install_icons(home: Path, report: Report) -> None:
    source = icons_folder()
    if source is None:
        report.notes.append("the icon files were not found; the menu entry will show a generic icon")
        return
    for path in planned_files(home)[3:]:
        name = "layerbench.svg" if path.suffix == ".svg" else f"layerbench-{path.parent.parent.name.split('x')[0]}.png"
        if (source / name).is_file():
            _write(path, (source / name).read_bytes(), report)


def refresh(home: Path, report: Report) -> None:
    """Run the desktop's cache updaters where they are installed (they are optional)."""
    for tool, sub in TOOLS:
        exe = shutil.which(tool)
        if exe is None or not (home / sub).is_dir():
            continue
        result = subprocess.run([exe, str(home / sub)], capture_output=True, text=True, timeout=60, check=False)
        report.tools.append(tool)
        if result.returncode != 0:
            report.notes.append(f"{tool} failed: {result.stderr.strip()[:200]}")
    icon_cache = shutil.which("gtk-update-icon-cache")
    theme = home / "icons" / "hicolor"
    if icon_cache and (theme / "index.theme").is_file():
        subprocess.run([icon_cache, "-q", "-t", "-f", str(theme)], capture_output=True, timeout=60, check=False)
        report.tools.append("gtk-update-icon-cache")


def install(command: list[str], version: str, home: Path | None = None, run_tools: bool = True) -> Report:
    """Write the menu entry, MIME package, AppStream file and icons; refresh the desktop's caches."""
    home = home or data_home()
    report = Report()
    files = planned_files(home)
    _write(files[0], desktop_entry(command), report)
    _write(files[1], mime_xml(), report)
    _write(files[2], metainfo_xml(version), report)
    _install_icons(home, report)
    if run_tools:
        refresh(home, report)
    return report


def uninstall(home: Path | None = None, run_tools: bool = True) -> Report:
    """Remove every file ``install`` wrote (and nothing else); refresh the caches."""
    home = home or data_home()
    report = Report()
    for path in planned_files(home):
        if path.is_file():
            path.unlink()
            report.files.append(path)
    if run_tools:
        refresh(home, report)
    return report
