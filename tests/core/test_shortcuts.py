"""Start-menu entry and file type: content checked as text and XML, installed into a temporary data dir."""

from __future__ import annotations

import configparser
import plistlib
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core.cli import main
from core.desktop_entry import content, linux, other

MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
COMMAND = ["/opt/Layer bench/layerbench"]


def entry(text: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser["Desktop Entry"]


def test_desktop_entry_names_categories_mime_and_file_argument() -> None:
    e = entry(content.desktop_entry(COMMAND))
    assert e["Categories"] == "Education;Science;Development;"
    assert e["MimeType"] == "application/x-layerbench;"
    assert e["Exec"] == '"/opt/Layer bench/layerbench" %f'
    assert e["Icon"] == content.APP_ID
    assert e["Type"] == "Application"


def test_exec_quoting_escapes_reserved_characters() -> None:
    assert content._exec_quote("/usr/bin/layerbench") == "/usr/bin/layerbench"
    assert content._exec_quote('/a "b"/$x') == '"/a \\"b\\"/\\$x"'


def test_mime_xml_is_well_formed_and_names_the_glob() -> None:
    root = ET.fromstring(content.mime_xml())
    mime = root.find(f"{MIME_NS}mime-type")
    assert mime is not None
    assert mime.get("type") == "application/x-layerbench"
    assert [g.get("pattern") for g in mime.iter(f"{MIME_NS}glob")] == ["*.layerbench"]


def test_metainfo_names_the_desktop_file_and_media_type() -> None:
    root = ET.fromstring(content.metainfo_xml("1.2.3"))
    assert root.findtext("id") == content.APP_ID
    assert root.findtext("launchable") == f"{content.APP_ID}.desktop"
    assert root.findtext("provides/mediatype") == "application/x-layerbench"
    assert root.find("releases/release").get("version") == "1.2.3"  # type: ignore[union-attr]


def test_info_plist_declares_the_document_type() -> None:
    plist = plistlib.loads(content.info_plist("0.1.0").encode())
    assert plist["CFBundleIdentifier"] == content.APP_ID
    doc = plist["CFBundleDocumentTypes"][0]
    assert doc["CFBundleTypeExtensions"] == ["layerbench"]
    assert plist["UTExportedTypeDeclarations"][0]["UTTypeTagSpecification"]["public.mime-type"] == content.MIME_TYPE


def test_windows_registry_file_associates_the_suffix() -> None:
    text = content.windows_registry(["C:\\Program Files\\Layerbench\\layerbench.exe"], "C:\\icon.png")
    assert text.startswith("Windows Registry Editor Version 5.00")
    assert "[HKEY_CURRENT_USER\\Software\\Classes\\.layerbench]\r\n@=\"Layerbench.Project\"" in text
    assert '@="\\"C:\\\\Program Files\\\\Layerbench\\\\layerbench.exe\\" \\"%1\\""' in text


def test_data_home_honours_xdg_data_home_when_absolute(tmp_path: Path) -> None:
    assert linux.data_home({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path
    assert linux.data_home({"XDG_DATA_HOME": "relative"}) == Path.home() / ".local" / "share"


def test_install_then_uninstall_leaves_nothing(tmp_path: Path) -> None:
    report = linux.install(COMMAND, "0.1.0", tmp_path, run_tools=False)
    assert sorted(report.files) == sorted(linux.planned_files(tmp_path))
    assert (tmp_path / "icons/hicolor/48x48/apps/org.layerbench.Layerbench.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "icons/hicolor/scalable/mimetypes/application-x-layerbench.svg").is_file()
    removed = linux.uninstall(tmp_path, run_tools=False)
    assert sorted(removed.files) == sorted(report.files)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_cli_install_uses_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["install-shortcut", "--no-refresh"]) == 0
    assert (tmp_path / "applications" / f"{content.APP_ID}.desktop").is_file()
    assert main(["uninstall-shortcut", "--no-refresh"]) == 0
    assert "removed" in capsys.readouterr().out
    assert not (tmp_path / "applications" / f"{content.APP_ID}.desktop").exists()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_installed_entry_passes_desktop_file_validate(tmp_path: Path) -> None:
    linux.install(COMMAND, "0.1.0", tmp_path, run_tools=False)
    desktop = tmp_path / "applications" / f"{content.APP_ID}.desktop"
    result = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.lower()


@pytest.mark.skipif(shutil.which("update-mime-database") is None, reason="shared-mime-info not installed")
def test_mime_database_learns_and_forgets_the_glob(tmp_path: Path) -> None:
    report = linux.install(COMMAND, "0.1.0", tmp_path)
    assert "update-mime-database" in report.tools
    assert "application/x-layerbench:*.layerbench" in (tmp_path / "mime" / "globs2").read_text()
    linux.uninstall(tmp_path)
    assert "layerbench" not in (tmp_path / "mime" / "globs2").read_text()


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_passes_appstreamcli(tmp_path: Path) -> None:
    path = tmp_path / f"{content.APP_ID}.metainfo.xml"
    path.write_text(content.metainfo_xml("0.1.0"), encoding="utf-8")
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(path)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_macos_bundle_is_written_and_removed(tmp_path: Path) -> None:
    report = other.install_macos(["/usr/bin/layerbench"], "0.1.0", tmp_path)
    app = tmp_path / "Layerbench.app" / "Contents"
    assert plistlib.loads((app / "Info.plist").read_bytes())["CFBundleExecutable"] == "layerbench"
    assert (app / "MacOS" / "layerbench").read_text().startswith("#!/bin/sh\nexec /usr/bin/layerbench")
    assert app / "Info.plist" in report.files
    other.uninstall_macos(tmp_path)
    assert not (tmp_path / "Layerbench.app").exists()


def test_windows_install_without_running_tools_says_what_to_run(tmp_path: Path) -> None:
    report = other.install_windows(["C:\\lb.exe"], "0.1.0", tmp_path, run_tools=False, appdata=tmp_path)
    reg = tmp_path / "layerbench-filetype.reg"
    assert reg.read_text(encoding="utf-16").startswith("Windows Registry Editor")
    assert not report.tools  # nothing was run
    assert any("reg import" in n and "powershell" in n and ".lnk" in n for n in report.notes)
    other.uninstall_windows(tmp_path, run_tools=False)
    assert not reg.exists()


def test_static_copies_in_packaging_match_the_generator() -> None:
    folder = Path(__file__).resolve().parents[2] / "packaging"
    entry_text = (folder / f"{content.APP_ID}.desktop").read_text(encoding="utf-8")
    assert entry_text == content.desktop_entry(["layerbench"])
    assert (folder / f"{content.APP_ID}.mime.xml").read_text(encoding="utf-8") == content.mime_xml()


def test_versions_command_is_registered() -> None:
    from core.cli import COMMANDS, build_parser

    build_parser()
    assert {"install-shortcut", "uninstall-shortcut", "versions"} <= {c.name for c in COMMANDS}
