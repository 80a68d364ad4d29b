"""Zip containers read safely and written atomically.

Reading checks every member before anything is extracted: no absolute or ``..`` paths, no links, no
duplicates, and caps on the member count and the declared sizes. Writing goes to a temporary file in the
same folder, is flushed and fsynced, the previous file is kept as ``NAME.bak`` and ``os.replace`` puts the
new one in place, so at every instant the path holds a complete file, old or new.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from core.project.errors import ProjectError

MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 8 * 1024**3
MAX_MEMBER_BYTES = 4 * 1024**3
MAX_JSON_BYTES = 64 * 1024**2
STALE_TEMP_SECONDS = 600
_CHUNK = 1 << 20


def check_member_name(name: str, where: str) -> None:
    """Refuse a member path that could land outside the folder it is extracted to."""
    if not name or "\x00" in name or "\\" in name:
        raise ProjectError(f"member {name!r} has an invalid name", where)
    if name.startswith("/") or (len(name) > 1 and name[0].isalpha() and name[1] == ":"):
        raise ProjectError(f"member {name!r} has an absolute path", where)
    if any(part == ".." for part in name.split("/")):
        raise ProjectError(f"member {name!r} points outside the archive ('..')", where)


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def check_members(zf: zipfile.ZipFile, where: str, max_total: int | None = None) -> dict[str, zipfile.ZipInfo]:
    """Every member of ``zf`` by name, once each was found harmless; ``ProjectError`` otherwise."""
    max_total = MAX_TOTAL_BYTES if max_total is None else max_total
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ProjectError(f"holds {len(infos)} members; at most {MAX_MEMBERS} are allowed", where)
    out: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        check_member_name(info.filename, where)
        if _is_link(info):
            raise ProjectError(f"member {info.filename!r} is a symbolic link, which is not allowed", where)
        if info.filename in out:
            raise ProjectError(f"member {info.filename!r} appears twice", where)
        if info.file_size > MAX_MEMBER_BYTES:
            raise ProjectError(f"member {info.filename!r} declares {info.file_size:,} bytes, over the limit "
                               f"of {MAX_MEMBER_BYTES:,}", where)
        total += info.file_size
        out[info.filename] = info
    if total > max_total:
        raise ProjectError(f"unpacks to {total:,} bytes, over the limit of {max_total:,}", where)
    return out


@contextlib.contextmanager
def open_zip(path: Path) -> Iterator[tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]]:
    """Open and check a zip; errors name ``path``."""
    where = str(path)
    if not path.is_file():
        raise ProjectError("no such file" if not path.exists() else "is not a file", where)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ProjectError("is not a Layerbench project: not a zip archive, or a truncated one", where) from None
    except OSError as exc:
        raise ProjectError(f"cannot be read: {exc.strerror or exc}", where) from None
    with zf:
        yield zf, check_members(zf, where)


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limit: int = MAX_MEMBER_BYTES) -> bytes:
    """A member's bytes, at most ``limit``; damage (CRC, truncation) becomes a ``ProjectError``."""
    member_where = f"{where}:{info.filename}"
    if info.file_size > limit:
        raise ProjectError(f"declares {info.file_size:,} bytes, over the limit of {limit:,}", member_where)
    try:
        with zf.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise ProjectError(f"is damaged: {exc}", member_where) from None
    except Exception as exc:  # zlib.error and friends: a damaged stream
        raise ProjectError(f"is damaged: {exc}", member_where) from None
    if len(data) > limit:
        raise ProjectError(f"is larger than the limit of {limit:,} bytes", member_where)
    return data


@dataclass(frozen=True)
class ZipRef:
    """A member of an existing zip, copied without being decoded when the project is saved again."""

    path: Path
    member: str

    def read(self) -> bytes:
        with open_zip(self.path) as (zf, infos):
            if self.member not in infos:
                raise ProjectError(f"member {self.member!r} is missing", str(self.path))
            return read_member(zf, infos[self.member], str(self.path))

    def copy_into(self, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        with open_zip(self.path) as (zf, infos):
            if self.member not in infos:
                raise ProjectError(f"member {self.member!r} is missing", str(self.path))
            size = infos[self.member].file_size
            with zf.open(infos[self.member]) as src, out.open(info, "w", force_zip64=size > 2**30) as dst:
                shutil.copyfileobj(src, dst, _CHUNK)


Blob = bytes | ZipRef


def _member_info(name: str, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_members(handle: IO[bytes], members: Iterable[tuple[str, Blob]]) -> None:
    with zipfile.ZipFile(handle, "w", allowZip64=True) as zf:
        for name, blob in members:
            info = _member_info(name, compress=name.endswith(".json"))
            if isinstance(blob, ZipRef):
                blob.copy_into(zf, info)
            else:
                with zf.open(info, "w", force_zip64=len(blob) > 2**30) as dst:
                    dst.write(blob)


def _keep_backup(path: Path) -> None:
    """Make ``NAME.bak`` a copy of ``path`` without a moment where ``path`` is missing."""
    bak = path.with_name(path.name + ".bak")
    staging = path.with_name(f".{path.name}.bak.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        staging.unlink()
    try:
        os.link(path, staging)
    except OSError:
        shutil.copy2(path, staging)
    os.replace(staging, bak)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_stale_temps(path: Path) -> None:
    """Temp files left by a save that was killed, once they are old enough not to be someone's live save."""
    now = time.time()
    for old in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > STALE_TEMP_SECONDS:
                old.unlink()


def _file_mode(path: Path) -> int:
    """Keep the mode of the file being replaced; a new file gets 0o644 (mkstemp would leave 0o600)."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(path.stat().st_mode)
    return 0o644


def write_atomic(path: Path, members: Iterable[tuple[str, Blob]], backup: bool = True) -> None:
    """Write a zip of ``members`` to ``path`` so that a crash at any point leaves the old file whole."""
    folder = path.parent
    if not folder.is_dir():
        raise ProjectError("the folder does not exist", str(folder))
    _remove_stale_temps(path)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, _file_mode(path))
        with os.fdopen(fd, "wb") as handle:
            _write_members(handle, members)
            handle.flush()
            os.fsync(handle.fileno())
        if backup and path.exists():
            _keep_backup(path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(folder)
