"""keras.datasets downloads without the network: locally created dataset files served by a loopback HTTP server
(``http.server`` in a thread) land in a temporary Keras cache where Keras's own loaders find them, with progress
reported in order up to 100%; a 404, a refused connection, a cut or corrupted download give a worded error and
leave nothing behind."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import pickle
import socket
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from core.data import download as dl
from core.data.download import REMOTES, Download, reporting
from core.data.errors import DataError, OfflineError
from core.data.load import load_raw


class Server:
    """Serves ``files`` (URL path -> bytes); ``cut`` paths announce more bytes than they send."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut: set[str] = set()
        self.asked: list[str] = []
        files, cut, asked = self.files, self.cut, self.asked

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                asked.append(self.path)
                body = files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) * (2 if self.path in cut else 1)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Keras home; returns its ``datasets`` folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "datasets"


def serve(monkeypatch: pytest.MonkeyPatch, server: Server, source: str, bodies: list[bytes],
          hashed: bool = True) -> None:
    """Point ``source``'s files at ``server``, which serves ``bodies`` (one per file, in order)."""
    spec = REMOTES[source]
    files = []
    for remote, body in zip(spec.files, bodies, strict=True):
        path = f"/{remote.name}"
        server.files[path] = body
        digest = hashlib.sha256(body).hexdigest() if hashed and remote.sha256 else remote.sha256
        files.append(dataclasses.replace(remote, url=server.url(path), sha256=digest))
    monkeypatch.setitem(REMOTES, source, dataclasses.replace(spec, files=tuple(files)))


def mnist_bytes(n: int = 2000) -> bytes:
    """An uncompressed mnist.npz of ``n`` training digits (~0.8 KB each: several progress steps)."""
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    np.savez(buf, x_train=rng.integers(0, 255, (n, 28, 28), dtype=np.uint8), y_train=np.arange(n, dtype=np.uint8) % 10,
             x_test=np.zeros((7, 28, 28), np.uint8), y_test=np.arange(7, dtype=np.uint8))
    return buf.getvalue()


def refused_url() -> str:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist.npz"


def test_mnist_download_lands_in_the_keras_cache_with_progress(cache: Path, server: Server,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    body = mnist_bytes()
    serve(monkeypatch, server, "keras.mnist", [body])
    seen: list[Download] = []
    with reporting(seen.append):
        raw = load_raw({"source": "keras.mnist"})
    assert (cache / "mnist.npz").read_bytes() == body
    assert list(cache.iterdir()) == [cache / "mnist.npz"]  # no .part file left
    assert raw.x.shape == (2000, 28, 28, 1)
    assert raw.y[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert server.asked == ["/mnist.npz"]
    assert len(seen) >= 5
    done = [d.done for d in seen]
    fractions = [d.fraction for d in seen]
    assert done == sorted(done) and fractions == sorted(fractions)  # type: ignore[type-var]
    assert seen[0].done == 0 and not seen[0].finished
    assert seen[-1].finished and seen[-1].fraction == 1.0 and seen[-1].done == len(body)
    assert all(d.total == len(body) for d in seen)
    assert seen[0].text == f"downloading MNIST: 0.0 / {len(body) / 1e6:.1f} MB"
    assert seen[-1].text == f"downloading MNIST: {len(body) / 1e6:.1f} / {len(body) / 1e6:.1f} MB"
    load_raw({"source": "keras.mnist"})  # now cached: read without asking the server again
    assert server.asked == ["/mnist.npz"]


@pytest.mark.tf
def test_keras_own_loaders_find_what_was_downloaded(cache: Path, server: Server,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Same folder, same names: Keras finds our downloads without downloading anything (its hash check given the
    local files' hashes): ``mnist.load_data()`` reads the same arrays, and ``get_file`` called as
    ``cifar10.load_data()`` calls it returns our unpacked folder (Keras's CIFAR loader itself wants 10,000 images
    per batch, too big for a test file)."""
    from keras.src.datasets import mnist as keras_mnist
    from keras.src.utils import file_utils

    mnist, cifar = mnist_bytes(40), cifar_archive()
    serve(monkeypatch, server, "keras.mnist", [mnist])
    serve(monkeypatch, server, "keras.cifar10", [cifar])
    ours = load_raw({"source": "keras.mnist"})
    load_raw({"source": "keras.cifar10"})
    asked = list(server.asked)

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("Keras tried to download")

    monkeypatch.setattr(file_utils, "urlretrieve", no_download)
    real = keras_mnist.get_file
    digest = hashlib.sha256(mnist).hexdigest()
    home = str(cache.parent)  # Keras reads $KERAS_HOME once, at import (an earlier test may have imported it)
    monkeypatch.setattr(keras_mnist, "get_file", lambda **kw: real(**{**kw, "file_hash": digest, "cache_dir": home}))
    (x, y), (_, yt) = keras_mnist.load_data()
    np.testing.assert_array_equal(x, ours.x[..., 0])
    np.testing.assert_array_equal(y, ours.y)
    assert yt.tolist() == list(range(7))
    folder = file_utils.get_file(fname="cifar-10-batches-py-target", origin=REMOTES["keras.cifar10"].files[0].url,
                                 extract=True, file_hash=hashlib.sha256(cifar).hexdigest(), cache_dir=home)
    assert Path(folder) == cache / "cifar-10-batches-py-target"
    assert (Path(folder) / "cifar-10-batches-py" / "data_batch_5").is_file()
    assert server.asked == asked


def cifar_archive() -> bytes:
    """cifar-10-python.tar.gz as published: a cifar-10-batches-py folder of pickled batches."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, labels in [*((f"data_batch_{i}", [i, (i + 1) % 10]) for i in range(1, 6)), ("test_batch", [9, 3])]:
            data = np.zeros((len(labels), 3 * 1024), dtype=np.uint8)
            data[:, 0] = labels
            member = pickle.dumps({b"labels": labels, b"data": data}, protocol=4)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(member)
            tar.addfile(info, io.BytesIO(member))
    return buf.getvalue()


@pytest.mark.tf
def test_cifar10_archive_is_unpacked_where_keras_unpacks_it(cache: Path, server: Server,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    body = cifar_archive()
    serve(monkeypatch, server, "keras.cifar10", [body])
    (cache / "cifar-10-batches-py-target").mkdir(parents=True)  # the empty folder a failed Keras attempt leaves
    raw = load_raw({"source": "keras.cifar10"})
    assert (cache / "cifar-10-batches-py-target_archive").read_bytes() == body
    assert (cache / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch").is_file()
    assert raw.x.shape == (10, 32, 32, 3)
    assert raw.y.tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]
    names = sorted(p.name for p in cache.iterdir())
    assert names == ["cifar-10-batches-py-target", "cifar-10-batches-py-target_archive"]


def test_fashion_mnist_reports_each_of_its_four_files(cache: Path, server: Server,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    sizes = {"train": 6, "t10k": 2}
    bodies = []
    for remote in REMOTES["keras.fashion_mnist"].files:
        n = sizes[remote.name.split("-")[0]]
        raw_body = bytes(8) + bytes(range(n)) if "labels" in remote.name else bytes(16) + bytes(n * 28 * 28)
        bodies.append(gzip.compress(raw_body))
    serve(monkeypatch, server, "keras.fashion_mnist", bodies)
    seen: list[Download] = []
    with reporting(seen.append):
        raw = load_raw({"source": "keras.fashion_mnist"})
    assert raw.x.shape == (6, 28, 28, 1)
    assert raw.y.tolist() == [0, 1, 2, 3, 4, 5]
    finished = [d for d in seen if d.finished]
    assert [(d.part, d.parts) for d in finished] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert finished[1].text.startswith("downloading Fashion-MNIST (file 2 of 4): ")
    assert sorted(p.name for p in (cache / "fashion-mnist").iterdir()) == sorted(
        r.name for r in REMOTES["keras.fashion_mnist"].files)


def test_a_missing_file_on_the_server_gives_the_offline_message(cache: Path, server: Server,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, server, "keras.mnist", [b"x"])
    server.files.clear()  # the server answers 404
    url = server.url("/mnist.npz")
    with pytest.raises(OfflineError) as info:
        load_raw({"source": "keras.mnist"})
    assert str(info.value) == (f"could not download MNIST from {url}: HTTP error 404 (Not Found); put mnist.npz in "
                               f"{cache} or connect to the internet")
    assert info.value.where == str(cache)
    assert list(cache.iterdir()) == []


def test_a_refused_connection_gives_the_offline_message(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = refused_url()
    spec = REMOTES["keras.imdb"]
    monkeypatch.setitem(REMOTES, "keras.imdb", dataclasses.replace(
        spec, files=(dataclasses.replace(spec.files[0], url=url),)))
    for _ in range(2):  # the same message the second time: a failed attempt leaves nothing that looks cached
        with pytest.raises(OfflineError) as info:
            load_raw({"source": "keras.imdb"})
        message = str(info.value)
        assert message.startswith(f"could not download IMDB reviews from {url}: ")
        assert "Connection refused" in message
        assert message.endswith(f"; put imdb.npz in {cache} or connect to the internet")
    assert list(cache.iterdir()) == []


def test_a_cut_download_is_not_kept(cache: Path, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, server, "keras.mnist", [mnist_bytes(40)])
    server.cut.add("/mnist.npz")
    with pytest.raises(DataError) as info:
        load_raw({"source": "keras.mnist"})
    assert str(info.value).startswith(f"the download of MNIST from {server.url('/mnist.npz')} stopped after ")
    assert str(info.value).endswith(" MB; try again")
    assert list(cache.iterdir()) == []


def test_a_corrupted_download_is_refused_by_its_hash(cache: Path, server: Server,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, server, "keras.mnist", [mnist_bytes(40)], hashed=False)  # Keras's real hash: no match
    with pytest.raises(DataError, match="is corrupted") as info:
        load_raw({"source": "keras.mnist"})
    assert not isinstance(info.value, OfflineError)
    assert REMOTES["keras.mnist"].files[0].sha256 in str(info.value)
    assert list(cache.iterdir()) == []


def test_remotes_match_what_keras_downloads() -> None:
    """URLs, names and hashes are Keras's own (read from its dataset modules' source, not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("keras")
    assert spec is not None and spec.origin is not None
    folder = Path(spec.origin).parent / "src" / "datasets"
    for source, module in (("keras.mnist", "mnist"), ("keras.cifar10", "cifar10"), ("keras.imdb", "imdb"),
                           ("keras.fashion_mnist", "fashion_mnist")):
        text = (folder / f"{module}.py").read_text()
        for remote in REMOTES[source].files:
            assert remote.url.rsplit("/", 1)[-1] in text or remote.url in text
            if remote.sha256:
                assert remote.sha256 in text
            if remote.extract:
                assert f'"{remote.extract}"' in text and remote.name == f"{remote.extract}_archive"
    assert dl.KERAS_BASE in (folder / "mnist.py").read_text()


@pytest.mark.tf
@pytest.mark.slow
def test_a_run_reports_the_download_then_trains_on_it(cache: Path, server: Server,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker turns the download's progress into ``Phase("downloading", text, fraction)`` messages, in order
    and ending at 100%, goes back to ``loading data`` and trains on the file it downloaded."""
    import threading

    from core.graph.model import Graph
    from core.training.messages import Finished, Message, Phase
    from core.training.worker import Job, run_job
    from tests.conftest import add, link

    class Control:
        stop, pause = threading.Event(), threading.Event()

    body = mnist_bytes(2000)
    serve(monkeypatch, server, "keras.mnist", [body])
    g = Graph()
    link(g, add(g, "Input", shape=[28, 28, 1]), add(g, "Flatten"), add(g, "Dense", units=10, activation="softmax"))
    messages: list[Message] = []
    job = Job(g.to_dict(), {"source": "keras.mnist", "preprocess": {"scaling": "divide255", "limit": 300}},
              {"epochs": 1, "batch_size": 100}, str(cache.parent / "run"))
    result = run_job(job, messages.append, Control())
    assert isinstance(result, Finished), result
    phases = [m for m in messages if isinstance(m, Phase)]
    names = [m.phase for m in phases]
    first, last = names.index("downloading"), len(names) - 1 - names[::-1].index("downloading")
    assert names[first - 1] == "loading data" and names[last + 1] == "loading data"
    assert set(names[first:last + 1]) == {"downloading"} and last - first >= 3
    fractions = [m.fraction for m in phases[first:last + 1]]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(a is not None and b is not None and a <= b for a, b in itertools.pairwise(fractions))
    mb = f"{len(body) / 1e6:.1f}"
    assert phases[last].detail == f"downloading MNIST: {mb} / {mb} MB"
    assert phases[last + 1].detail == "reading MNIST"
    assert names.index("building") > last
    assert (cache / "mnist.npz").read_bytes() == body


@pytest.mark.parametrize("tty", [True, False])
def test_the_command_line_shows_the_download(tty: bool, capsys: pytest.CaptureFixture[str]) -> None:
    from core.training.cli import Printer
    from core.training.messages import Phase

    printer = Printer(as_json=False, epochs=1)
    printer.tty = tty
    for done, fraction in ((0.0, 0.0), (4.1, 0.36), (11.5, 1.0)):
        printer(Phase("downloading", f"downloading MNIST: {done:.1f} / 11.5 MB", fraction))
    printer(Phase("loading data", "reading MNIST"))
    err = capsys.readouterr().err
    if tty:
        assert err == ("\rdownloading MNIST: 0.0 / 11.5 MB (0%)\rdownloading MNIST: 4.1 / 11.5 MB (36%)"
                       "\rdownloading MNIST: 11.5 / 11.5 MB (100%)\n")
    else:
        assert err == "downloading MNIST: 0.0 / 11.5 MB (0%)\ndownloading MNIST: 11.5 / 11.5 MB (100%)\n"
