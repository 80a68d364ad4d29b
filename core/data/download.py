"""Downloading keras.datasets files into Keras's own cache, with progress and a worded message when offline.

Keras's ``keras.utils.get_file`` prints its progress bar to stdout (nobody sees it in a training worker) and fails
offline with a bare ``Exception: URL fetch failure``. This module fetches the same URLs into the same places with
the same names and the same hash checks, so a file downloaded here is what ``keras.datasets.<name>.load_data()``
finds in its cache (and the other way round):

- ``<cache>/mnist.npz``, ``<cache>/imdb.npz``, ``<cache>/fashion-mnist/<4 files>.gz``;
- CIFAR-10's archive as ``<cache>/cifar-10-batches-py-target_archive``, extracted into
  ``<cache>/cifar-10-batches-py-target/`` (``get_file(fname=..., extract=True)`` names them so).

``<cache>`` is ``$KERAS_HOME/datasets`` (or ``~/.keras/datasets``). Progress goes to the callback installed with
``reporting`` (the training worker turns it into ``Phase("downloading", ...)`` messages). Nothing half-written is
left behind: a file is written as ``<name>.part`` and renamed once complete and checked.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from core.data.errors import DataError, OfflineError

TIMEOUT = 30.0
"""Seconds to wait for the server to answer, and for each read of the body, before giving up."""
CHUNK = 256 * 1024
MB = 1_000_000
KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class Remote:
    """One file Keras downloads: its URL, its name in the cache (under ``subdir``) and its sha256 when Keras checks
    one. ``extract`` names the folder an archive is unpacked into (next to it, as ``get_file(extract=True)``)."""

    url: str
    name: str
    subdir: str = ""
    sha256: str | None = None
    extract: str | None = None


@dataclass(frozen=True)
class DatasetFiles:
    """What to download for one source, and what to tell a user who has to put the files in place by hand."""

    title: str
    files: tuple[Remote, ...]
    by_hand: str
    """``put <by_hand> in <folder>`` of the offline message."""


FASHION_BASE = KERAS_BASE
REMOTES: dict[str, DatasetFiles] = {
    "keras.mnist": DatasetFiles("MNIST", (Remote(
        KERAS_BASE + "mnist.npz", "mnist.npz",
        sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),), "mnist.npz"),
    "keras.fashion_mnist": DatasetFiles("Fashion-MNIST", tuple(
        Remote(FASHION_BASE + name, name, subdir="fashion-mnist") for name in (
            "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz")), "the four *-ubyte.gz files"),
    "keras.cifar10": DatasetFiles("CIFAR-10", (Remote(
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "cifar-10-batches-py-target_archive",
        sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        extract="cifar-10-batches-py-target"),), "the extracted cifar-10-batches-py folder"),
    "keras.imdb": DatasetFiles("IMDB reviews", (Remote(
        KERAS_BASE + "imdb.npz", "imdb.npz",
        sha256="69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),), "imdb.npz"),
}
"""keras.datasets files by source id: URLs, cache names and hashes as in ``keras/src/datasets/*.py`` (Keras 3.15).
Tests point a source at a loopback server by replacing its entry."""


@dataclass(frozen=True)
class Download:
    """Progress of one file: ``done`` of ``total`` bytes (``total`` None when the server did not say)."""

    title: str
    done: int
    total: int | None
    part: int = 1
    parts: int = 1
    finished: bool = False

    @property
    def fraction(self) -> float | None:
        if self.finished:
            return 1.0
        return min(1.0, self.done / self.total) if self.total else None

    @property
    def text(self) -> str:
        """``downloading MNIST: 4.1 / 11.5 MB`` (``(file 2 of 4)`` after the title when there are several)."""
        which = f" (file {self.part} of {self.parts})" if self.parts > 1 else ""
        size = f"{self.done / MB:.1f} / {self.total / MB:.1f} MB" if self.total else f"{self.done / MB:.1f} MB"
        return f"downloading {self.title}{which}: {size}"


Reporter = Callable[[Download], None]
_reporter: ContextVar[Reporter | None] = ContextVar("layerbench_download_reporter", default=None)


@contextmanager
def reporting(callback: Reporter) -> Iterator[None]:
    """Downloads started inside the ``with`` block report their progress to ``callback`` (same thread)."""
    token = _reporter.set(callback)
    try:
        yield
    finally:
        _reporter.reset(token)


def _report(progress: Download) -> None:
    callback = _reporter.get()
    if callback is not None:
        callback(progress)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP error {exc.code} ({exc.reason})"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return "timed out" if isinstance(reason, TimeoutError) else str(reason)
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(exc, http.client.IncompleteRead):
        return f"the connection closed after {len(exc.partial) / MB:.1f} MB"
    return str(exc) or type(exc).__name__


def _steps(total: int | None) -> int:
    """Bytes between two progress reports: 1% of the file (at most ~100 messages), 1 MB when its size is unknown."""
    return max(CHUNK, total // 100) if total else MB


def _fetch(remote: Remote, target: Path, title: str, part: int, parts: int) -> None:
    """Download ``remote.url`` to ``target`` (via ``target.part``), reporting progress; raises ``OSError`` or
    ``urllib.error.URLError`` on network failure and ``DataError`` on a short or corrupted download."""
    partial = target.with_name(target.name + ".part")
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(remote.url, timeout=TIMEOUT) as response, open(partial, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done, next_report = 0, 0
            while True:
                if done >= next_report:
                    _report(Download(title, done, total, part, parts))
                    next_report = done + _steps(total)
                block = response.read(CHUNK)
                if not block:
                    break
                out.write(block)
                h.update(block)
                done += len(block)
        if total is not None and done != total:
            raise DataError(f"the download of {title} from {remote.url} stopped after {done / MB:.1f} of "
                            f"{total / MB:.1f} MB; try again", str(target))
        if remote.sha256 is not None and h.hexdigest() != remote.sha256:
            raise DataError(f"the file downloaded from {remote.url} is corrupted (its sha256 is {h.hexdigest()}, "
                            f"not {remote.sha256}); nothing was kept, try again", str(target))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _report(Download(title, done, total if total is not None else done, part, parts, finished=True))


def _extract(archive: Path, folder: Path) -> None:
    """Unpack ``archive`` into ``folder`` (through a temporary folder, so a broken archive leaves no half)."""
    temp = folder.with_name(folder.name + ".part")
    shutil.rmtree(temp, ignore_errors=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(temp, filter="data")  # no absolute paths, no '..', no links out of the folder
        shutil.rmtree(folder, ignore_errors=True)  # an empty folder a failed Keras attempt left behind
        os.replace(temp, folder)
    except (tarfile.TarError, OSError) as exc:
        raise DataError(f"could not unpack {archive}: {exc}", str(archive)) from exc
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def download(source_id: str, cache: Path) -> None:
    """Fetch every file of ``source_id`` that is not in ``cache`` yet (Keras's ``datasets`` folder); an archive
    (CIFAR-10) is downloaded when it is not there and unpacked again (the caller asks only when unpacked files lack).

    Offline, or when the server refuses, raises an ``OfflineError`` saying what failed and which file to put
    where instead."""
    spec = REMOTES[source_id]
    missing = [r for r in spec.files if r.extract or not (cache / r.subdir / r.name).exists()]
    for i, remote in enumerate(missing, start=1):
        folder = cache / remote.subdir
        target = folder / remote.name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                _fetch(remote, target, spec.title, i, len(missing))
        except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError is an OSError
            where = cache / (remote.extract or remote.subdir)
            raise OfflineError(f"could not download {spec.title} from {remote.url}: {_reason(exc)}; put "
                               f"{spec.by_hand} in {where} or connect to the internet", str(where)) from None
        if remote.extract:
            _extract(target, folder / remote.extract)
