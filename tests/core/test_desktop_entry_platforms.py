"""Windows and macOS start-menu files, checked by content on any system: the ``.ico`` / ``.icns`` icons, the
``.reg`` file association, the PowerShell script that makes Windows write the ``.lnk`` (target, arguments,
icon), and the ``Layerbench.app`` bundle (Info.plist, launcher script, icon)."""

from __future__ import annotations

import os
import plistlib
import re
import struct
import subprocess
from pathlib import Path

import pytest

from core.desktop_entry import content, icon_files, other
from core.desktop_entry.linux import icons_folder

ICONS = icons_folder()
EXE = "C:\\Program Files\\Layer bench\\layerbench.exe"


def _png(size: int) -> bytes:
    assert ICONS is not None
    return (ICONS / f"layerbench-{size}.png").read_bytes()


def _ico_entries(data: bytes) -> list[tuple[int, bytes]]:
    """(width, image bytes) per ICONDIRENTRY, read back as Windows does."""
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    out = []
    for i in range(count):
        w, _h, _colours, _r, planes, bpp, size, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i: 22 + 16 * i])
        assert (planes, bpp) == (1, 32)
        out.append((w or 256, data[offset: offset + size]))
    return out


def _icns_elements(data: bytes) -> dict[bytes, bytes]:
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    out, pos = {}, 8
    while pos < len(data):
        kind, length = data[pos: pos + 4], struct.unpack(">I", data[pos + 4: pos + 8])[0]
        out[kind] = data[pos + 8: pos + length]
        pos += length
    assert pos == len(data)
    return out


def _ps_assignments(script: str) -> dict[str, str]:
    """``$name = '…'`` and ``$shortcut.Prop = '…'`` lines, with PowerShell's single-quote rule undone."""
    found = re.findall(r"^\$(\w+(?:\.\w+)?) = '((?:[^']|'')*)'\r$", script, flags=re.M)
    return {name: value.replace("''", "'") for name, value in found}


def _reg_values(text: str) -> dict[tuple[str, str], str]:
    """``[key]`` sections with ``@="…"`` / ``"name"="…"`` values, the .reg escapes undone."""
    values, key = {}, ""
    for line in text.split("\r\n"):
        if line.startswith("["):
            key = line[1:-1]
        elif "=" in line:
            name, _, raw = line.partition("=")
            assert raw.startswith('"') and raw.endswith('"'), line
            values[(key, name.strip('"'))] = re.sub(r"\\(.)", r"\1", raw[1:-1])
    return values


def test_ico_holds_every_shipped_png_unchanged() -> None:
    pngs = icon_files.pngs_in(ICONS, icon_files.ICO_SIZES)  # type: ignore[arg-type]
    entries = _ico_entries(icon_files.ico_bytes(pngs))
    assert [w for w, _ in entries] == list(icon_files.ICO_SIZES)
    for width, image in entries:
        assert image == _png(width)


def test_icns_holds_png_elements_of_the_apple_types() -> None:
    pngs = icon_files.pngs_in(ICONS, tuple(icon_files.ICNS_TYPES))  # type: ignore[arg-type]
    elements = _icns_elements(icon_files.icns_bytes(pngs))
    assert elements == {b"icp4": _png(16), b"icp5": _png(32), b"icp6": _png(64), b"ic07": _png(128),
                        b"ic08": _png(256)}


def test_icon_writers_refuse_what_the_formats_cannot_hold() -> None:
    with pytest.raises(ValueError, match="ICNS"):
        icon_files.icns_bytes([_png(24)])
    with pytest.raises(ValueError, match="PNG"):
        icon_files.ico_bytes([b"GIF89a"])


def test_windows_install_writes_icon_association_and_shortcut_script(tmp_path: Path) -> None:
    folder, appdata = tmp_path / "Layerbench", tmp_path / "Roaming"
    command = [EXE, "open"]
    report = other.install_windows(command, "0.1.0", folder, run_tools=False, appdata=appdata)
    ico, reg, ps1 = folder / "layerbench.ico", folder / "layerbench-filetype.reg", folder / "layerbench-shortcut.ps1"
    assert {ico, reg, ps1} <= set(report.files)
    assert [w for w, _ in _ico_entries(ico.read_bytes())] == list(icon_files.ICO_SIZES)

    values = _reg_values(reg.read_bytes().decode("utf-16"))
    classes = "HKEY_CURRENT_USER\\Software\\Classes"
    assert values[(f"{classes}\\.layerbench", "@")] == "Layerbench.Project"
    assert values[(f"{classes}\\Layerbench.Project\\DefaultIcon", "@")] == str(ico)
    assert values[(f"{classes}\\Layerbench.Project\\shell\\open\\command", "@")] == f'"{EXE}" "open" "%1"'

    script = ps1.read_bytes().decode("utf-8-sig")  # the CRLF line ends kept
    assert "CreateShortcut($link)" in script and script.rstrip().endswith("$shortcut.Save()")
    ps = _ps_assignments(script)
    assert ps["link"] == str(appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Layerbench.lnk")
    assert ps["shortcut.TargetPath"] == EXE
    assert ps["shortcut.Arguments"] == "open"
    assert ps["shortcut.IconLocation"] == f"{ico},0"
    assert ps["shortcut.Description"] == content.SUMMARY
    assert any("powershell" in n and str(ps1) in n for n in report.notes)

    removed = other.uninstall_windows(folder, run_tools=False, appdata=appdata)
    assert {ico, reg, ps1} <= set(removed.files)
    assert not any(folder.iterdir())


def test_shortcut_arguments_survive_spaces_and_quotes() -> None:
    """Arguments are one Windows command line: the C runtime's rules split it back into the same list."""
    script = content.windows_shortcut_script(["C:\\Python\\pythonw.exe", "-m", "core.cli", "C:\\My Projects\\a\"b"],
                                             "C:\\o'brien\\lb.ico", "C:\\Start\\Layerbench.lnk", "C:\\Users\\o'brien")
    ps = _ps_assignments(script)
    assert ps["shortcut.Arguments"] == '-m core.cli "C:\\My Projects\\a\\"b"'
    assert ps["shortcut.IconLocation"] == "C:\\o'brien\\lb.ico,0"
    assert ps["shortcut.WorkingDirectory"] == "C:\\Users\\o'brien"


def test_macos_app_bundle_plist_icon_and_launcher(tmp_path: Path) -> None:
    report = other.install_macos(["/bin/echo", "from layer bench"], "1.2.3", tmp_path)
    contents = tmp_path / "Layerbench.app" / "Contents"
    plist = plistlib.loads((contents / "Info.plist").read_bytes())
    launcher = contents / "MacOS" / plist["CFBundleExecutable"]
    icns = contents / "Resources" / plist["CFBundleIconFile"]
    assert {contents / "Info.plist", launcher, icns} <= set(report.files)
    assert plist["CFBundleIdentifier"] == content.APP_ID and plist["CFBundleShortVersionString"] == "1.2.3"
    doc = plist["CFBundleDocumentTypes"][0]
    assert doc["CFBundleTypeExtensions"] == ["layerbench"] and doc["CFBundleTypeIconFile"] == icns.name
    assert b"ic08" in _icns_elements(icns.read_bytes())
    assert os.access(launcher, os.X_OK)
    # Finder runs the launcher with the opened documents as arguments: they reach the command unchanged
    out = subprocess.run([str(launcher), "/tmp/a b.layerbench"], capture_output=True, text=True, check=True)
    assert out.stdout == "from layer bench /tmp/a b.layerbench\n"
    other.uninstall_macos(tmp_path)
    assert not (tmp_path / "Layerbench.app").exists()


def test_gpus_are_named_with_their_model_when_the_driver_tells() -> None:
    from types import SimpleNamespace

    from core.desktop_entry.cli import gpu_name

    details = {"/physical_device:GPU:0": {"device_name": "NVIDIA A100-SXM4-40GB"}, "/physical_device:GPU:1": {}}
    tf = SimpleNamespace(config=SimpleNamespace(experimental=SimpleNamespace(
        get_device_details=lambda d: details[d.name])))
    assert gpu_name(tf, SimpleNamespace(name="/physical_device:GPU:0")) == "GPU:0 (NVIDIA A100-SXM4-40GB)"
    assert gpu_name(tf, SimpleNamespace(name="/physical_device:GPU:1")) == "GPU:1"
