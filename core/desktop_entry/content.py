"""The text of every file that tells a desktop about Layerbench, for Linux, Windows and macOS.

Pure functions of the launch command: the tests check the text; ``linux.py`` and ``other.py`` write it.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

APP_ID = "org.layerbench.Layerbench"
MIME_TYPE = "application/x-layerbench"
MIME_ICON = "application-x-layerbench"
SUFFIX = ".layerbench"
NAME = "Layerbench"
SUMMARY = "Build, train and understand neural networks"
DESCRIPTION = (
    "Layerbench is a desktop workbench for deep learning with TensorFlow and Keras: drag layers onto a canvas, "
    "see shapes and parameter counts while you edit, train on your CPU or GPU and watch loss, gradients, "
    "feature maps, GAN samples and reinforcement-learning rewards live."
)
CATEGORIES = ("Education", "Science", "Development")
KEYWORDS = ("neural network", "deep learning", "keras", "tensorflow", "machine learning")


def launcher() -> list[str]:
    """The command that starts the app: the bundle, the ``layerbench`` script, or ``python -m core.cli``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    beside = Path(sys.executable).with_name("layerbench")
    found = shutil.which("layerbench")
    if beside.is_file():
        return [str(beside)]
    if found:
        return [found]
    return [sys.executable, "-m", "core.cli"]


def _exec_quote(arg: str) -> str:
    """Quoting rules of the Desktop Entry spec's Exec key (a reserved character means double quotes)."""
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`%'):
        return arg
    return '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg).replace("%", "%%") + '"'


def desktop_entry(command: list[str]) -> str:
    """A freedesktop ``.desktop`` file: opens the app, or the project files it is given (``%f``)."""
    exec_line = " ".join(_exec_quote(a) for a in command) + " %f"
    lines = [
        "[Desktop Entry]", "Type=Application", f"Name={NAME}", "GenericName=Neural network workbench",
        f"Comment={SUMMARY}", f"Exec={exec_line}", f"TryExec={command[0]}", f"Icon={APP_ID}", "Terminal=false",
        f"Categories={';'.join(CATEGORIES)};", f"MimeType={MIME_TYPE};", f"Keywords={';'.join(KEYWORDS)};",
        "StartupNotify=true", f"StartupWMClass={NAME}",
    ]
    return "\n".join(lines) + "\n"


def mime_xml() -> str:
    """A shared-mime-info package: ``*.layerbench`` files are ``application/x-layerbench`` (a zip inside)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="{MIME_TYPE}">
    <comment>Layerbench project</comment>
    <sub-class-of type="application/zip"/>
    <glob pattern="*{SUFFIX}"/>
    <icon name="{MIME_ICON}"/>
  </mime-type>
</mime-info>
"""


def metainfo_xml(version: str) -> str:
    """An AppStream metainfo file so software centres can list the app."""
    keywords = "".join(f"\n      <keyword>{escape(k)}</keyword>" for k in KEYWORDS)
    categories = "".join(f"\n    <category>{c}</category>" for c in CATEGORIES)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<component type="desktop-application">
  <id>{APP_ID}</id>
  <metadata_license>CC0-1.0</metadata_license>
  <project_license>MIT</project_license>
  <name>{NAME}</name>
  <summary>{escape(SUMMARY)}</summary>
  <description>
    <p>{escape(DESCRIPTION)}</p>
  </description>
  <launchable type="desktop-id">{APP_ID}.desktop</launchable>
  <url type="homepage">https://github.com/layerbench/layerbench</url>
  <developer id="org.layerbench">
    <name>Layerbench developers</name>
  </developer>
  <categories>{categories}
  </categories>
  <keywords>{keywords}
  </keywords>
  <provides>
    <mediatype>{MIME_TYPE}</mediatype>
  </provides>
  <content_rating type="oars-1.1"/>
  <releases>
    <release version="{escape(version)}" date="2026-11-27"/>
  </releases>
</component>
"""


def info_plist(version: str, executable: str = "layerbench", icon: str = "layerbench.icns") -> str:
    """A macOS ``Info.plist`` for ``Layerbench.app``: the bundle and the ``.layerbench`` document type."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>CFBundleName</key><string>{NAME}</string>
  <key>CFBundleDisplayName</key><string>{NAME}</string>
  <key>CFBundleIdentifier</key><string>{APP_ID}</string>
  <key>CFBundleVersion</key><string>{escape(version)}</string>
  <key>CFBundleShortVersionString</key><string>{escape(version)}</string>
  <key>CFBundlePackageType</key><string>APPL</string>
  <key>CFBundleExecutable</key><string>{escape(executable)}</string>
  <key>CFBundleIconFile</key><string>{escape(icon)}</string>
  <key>LSApplicationCategoryType</key><string>public.app-category.education</string>
  <key>NSHighResolutionCapable</key><true/>
  <key>CFBundleDocumentTypes</key>
  <array>
    <dict>
      <key>CFBundleTypeName</key><string>Layerbench project</string>
      <key>CFBundleTypeRole</key><string>Editor</string>
      <key>CFBundleTypeIconFile</key><string>{escape(icon)}</string>
      <key>LSHandlerRank</key><string>Owner</string>
      <key>LSItemContentTypes</key><array><string>{APP_ID}.project</string></array>
      <key>CFBundleTypeExtensions</key><array><string>{SUFFIX[1:]}</string></array>
    </dict>
  </array>
  <key>UTExportedTypeDeclarations</key>
  <array>
    <dict>
      <key>UTTypeIdentifier</key><string>{APP_ID}.project</string>
      <key>UTTypeDescription</key><string>Layerbench project</string>
      <key>UTTypeConformsTo</key><array><string>public.zip-archive</string></array>
      <key>UTTypeTagSpecification</key>
      <dict>
        <key>public.filename-extension</key><array><string>{SUFFIX[1:]}</string></array>
        <key>public.mime-type</key><string>{MIME_TYPE}</string>
      </dict>
    </dict>
  </array>
</dict>
</plist>
"""


def mac_launcher_script(command: list[str]) -> str:
    """``Contents/MacOS/layerbench``: runs the real command with the files Finder passes."""
    return "#!/bin/sh\nexec " + " ".join(shlex.quote(a) for a in command) + ' "$@"\n'


def windows_registry(command: list[str], icon: str) -> str:
    """A ``.reg`` file (current user only) that associates ``.layerbench`` with the app."""
    def reg(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '\\"')

    cmd = " ".join(f'"{a}"' for a in command) + ' "%1"'
    prog = "Layerbench.Project"
    return "\r\n".join([
        "Windows Registry Editor Version 5.00", "",
        f"[HKEY_CURRENT_USER\\Software\\Classes\\{SUFFIX}]", f'@="{prog}"', f'"Content Type"="{MIME_TYPE}"', "",
        f"[HKEY_CURRENT_USER\\Software\\Classes\\{prog}]", '@="Layerbench project"', "",
        f"[HKEY_CURRENT_USER\\Software\\Classes\\{prog}\\DefaultIcon]", f'@="{reg(icon)}"', "",
        f"[HKEY_CURRENT_USER\\Software\\Classes\\{prog}\\shell\\open\\command]", f'@="{reg(cmd)}"', "",
    ])


def _ps_quote(s: str) -> str:
    """A PowerShell single-quoted string: nothing inside is expanded; a quote is written twice."""
    return "'" + s.replace("'", "''") + "'"


def windows_arguments(args: list[str]) -> str:
    """A Windows command line from ``args`` (the quoting ``CommandLineToArgvW`` and the C runtime undo)."""
    return subprocess.list2cmdline(args)


def windows_shortcut_script(command: list[str], icon: str, link: str, working_dir: str) -> str:
    """A PowerShell script that writes the start-menu ``.lnk`` through the documented ``WScript.Shell``
    ``CreateShortcut`` COM object (the API pyshortcuts drives through pywin32), so Windows writes the binary."""
    lines = [
        "# Layerbench start-menu shortcut: run with powershell -NoProfile -ExecutionPolicy Bypass -File <this>",
        "$ErrorActionPreference = 'Stop'",
        f"$link = {_ps_quote(link)}",
        "New-Item -ItemType Directory -Force -Path (Split-Path -Parent $link) | Out-Null",
        "$shortcut = (New-Object -ComObject WScript.Shell).CreateShortcut($link)",
        f"$shortcut.TargetPath = {_ps_quote(command[0])}",
        f"$shortcut.Arguments = {_ps_quote(windows_arguments(command[1:]))}",
        f"$shortcut.WorkingDirectory = {_ps_quote(working_dir)}",
        f"$shortcut.IconLocation = {_ps_quote(icon + ',0')}",
        f"$shortcut.Description = {_ps_quote(SUMMARY)}",
        "$shortcut.WindowStyle = 1",
        "$shortcut.Save()",
    ]
    return "\r\n".join(lines) + "\r\n"
