"""Autosave to a recovery folder in the user data dir, and the recovery API the GUI uses after a crash.

Each open project gets a key; ``autosave`` writes ``KEY.layerbench`` (atomically) and ``KEY.json`` (which
file it belongs to, when, by which process) under ``<data dir>/recovery``. After a normal save or close the
GUI calls ``discard``; what is left after a crash is offered by ``list_recoverable``. ``LAYERBENCH_DATA_DIR``
overrides the data dir (tests use it).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

from core.project.archive import Blob, ZipRef
from core.project.errors import ProjectError
from core.project.io import parse_json, project_json, save_project
from core.project.project import Project

ENV_DATA_DIR = "LAYERBENCH_DATA_DIR"


def data_dir() -> Path:
    """The user data folder (``LAYERBENCH_DATA_DIR`` if set, else the platform's)."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("layerbench", appauthor=False))


def recovery_dir() -> Path:
    folder = data_dir() / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Recovery:
    """An autosaved project left behind: ``original`` is the file it belongs to (None if never saved)."""

    key: str
    path: Path
    original: Path | None
    name: str
    saved_at: str
    pid: int


def new_key() -> str:
    return uuid.uuid4().hex


_LAST: dict[str, tuple[object, ...]] = {}
"""Per key, a fingerprint of what was autosaved last (the JSON and every member's content or source)."""


def _blob_print(blob: Blob) -> object:
    if isinstance(blob, ZipRef):
        try:
            return (str(blob.path), blob.member, blob.path.stat().st_mtime_ns)
        except OSError:
            return None
    return (len(blob), zlib.crc32(blob))


def _fingerprint(project: Project) -> tuple[object, ...]:
    digest = hashlib.sha256(project_json(project)).hexdigest()
    return (digest, *((name, _blob_print(blob)) for name, blob in project.members()))


def autosave(project: Project, key: str) -> Path:
    """Write the recovery copy of ``project`` under ``key`` (skipped when nothing changed since the last one);
    the project's own path is left unchanged."""
    if not key.isalnum():
        raise ProjectError(f"invalid autosave key {key!r}")
    folder = recovery_dir()
    target = folder / f"{key}.layerbench"
    original = project.path
    fingerprint = _fingerprint(project)
    if _LAST.get(key) == fingerprint and target.is_file() and (folder / f"{key}.json").is_file():
        return target
    save_project(project, target, backup=False, adopt=False)
    _LAST[key] = fingerprint
    meta = {
        "original": str(original.resolve()) if original else None,
        "name": project.name or (original.stem if original else "untitled"),
        "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "pid": os.getpid(),
    }
    tmp = folder / f".{key}.json.tmp"
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, folder / f"{key}.json")
    return target


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _read_meta(meta_path: Path) -> Recovery | None:
    key = meta_path.stem
    project_path = meta_path.with_suffix(".layerbench")
    if not project_path.is_file():
        return None
    try:
        meta = parse_json(meta_path.read_bytes(), str(meta_path))
        original = meta.get("original")
        return Recovery(key, project_path, Path(original) if original else None, str(meta.get("name", "")),
                        str(meta.get("saved_at", "")), int(meta.get("pid", 0)))
    except (ProjectError, OSError, AttributeError, TypeError, ValueError):
        return None


def list_recoverable(include_running: bool = False) -> list[Recovery]:
    """Autosaves whose process is gone (or all, with ``include_running``), newest first."""
    found = [r for p in sorted(recovery_dir().glob("*.json")) if (r := _read_meta(p)) is not None]
    if not include_running:
        found = [r for r in found if not _alive(r.pid)]
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def restore(key: str) -> Project:
    """Load an autosave; the project's path is set back to its original file so Save writes there."""
    meta = recovery_dir() / f"{key}.json"
    recovery = _read_meta(meta)
    if recovery is None:
        raise ProjectError(f"no recoverable project with key {key!r}")
    project = Project.load(recovery.path)
    project.path = recovery.original
    return project


def discard(key: str) -> None:
    """Delete an autosave (after a normal save or close, or when the user declines to recover it)."""
    _LAST.pop(key, None)
    folder = recovery_dir()
    for name in (f"{key}.layerbench", f"{key}.json"):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
