"""keras.datasets through a locally created Keras cache (IMDB, CIFAR-10), and a clear message when a file is not
cached and the download fails (simulated: no test touches the network)."""

from __future__ import annotations

import pickle
import urllib.error
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.data.errors import DataError, OfflineError
from core.data.keras_sets import CIFAR10
from core.data.load import load_dataset, load_raw

pytestmark = pytest.mark.tf


@pytest.fixture
def keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Keras home; returns its ``datasets`` folder (where ``keras.utils.get_file`` caches)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The dataset downloader fails the way it does offline; returns the URLs it was asked for (a loopback
    server stands in for the network in test_data_download.py)."""
    from core.data import download

    asked: list[str] = []

    def unreachable(url: str, *args: Any, **kwargs: Any) -> None:
        asked.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(download.urllib.request, "urlopen", unreachable)
    return asked


def test_offline_download_names_the_cache_folder(tmp_path: Path, no_network: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(OfflineError) as info:
        load_dataset({"source": "keras.fashion_mnist"})
    url = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/train-labels-idx1-ubyte.gz"
    assert str(info.value) == (f"could not download Fashion-MNIST from {url}: [Errno -3] Temporary failure in name "
                               f"resolution; put the four *-ubyte.gz files in {tmp_path / 'datasets' / 'fashion-mnist'}"
                               " or connect to the internet")
    assert info.value.where == str(tmp_path / "datasets" / "fashion-mnist")
    assert no_network == [url]


# ---- IMDB ----------------------------------------------------------------------------------------

def _ragged(rows: list[list[int]]) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def _reviews(n: int, offset: int) -> tuple[list[list[int]], np.ndarray]:
    """Raw reviews as Keras stores them (word ranks from 1, ragged); a review is positive when it holds rank 7,
    so a label that came apart from its review during the shuffle is seen."""
    rng = np.random.default_rng(offset)
    rows, labels = [], []
    for i in range(n):
        words = [int(w) for w in rng.integers(8, 400, 3 + (i * 5) % 17)]  # ranks up to 400: some past num_words
        if i % 2:
            words[len(words) // 2] = 7
        rows.append(words)
        labels.append(i % 2)
    return rows, np.array(labels, dtype="int64")


def _write_imdb(folder: Path) -> None:
    (x, y), (xt, yt) = _reviews(12, 0), _reviews(5, 1)
    np.savez(folder / "imdb.npz", x_train=_ragged(x), y_train=y, x_test=_ragged(xt), y_test=yt)


def test_imdb_from_a_seeded_cache(keras_home: Path, no_network: list[str]) -> None:
    _write_imdb(keras_home)
    data = load_dataset({"source": "keras.imdb", "options": {"num_words": 100, "maxlen": 12},
                         "preprocess": {"validation": 0.25}})
    assert (len(data.train), len(data.validation), len(data.test)) == (9, 3, 5)
    assert data.input_shape == (12,)
    assert data.train.x.dtype == np.int32
    assert data.train.y.dtype == np.int64
    assert data.classes == ["negative", "positive"]
    assert no_network == []  # read from the cache although its hash is not the real file's
    raw = load_raw({"source": "keras.imdb", "options": {"num_words": 100, "maxlen": 12}})
    assert raw.x.shape == (12, 12)
    assert raw.x_test is not None
    assert raw.x_test.shape == (5, 12)
    assert raw.x.min() >= 0
    assert raw.x.max() < 100
    for row, label in zip(raw.x, raw.y):  # rank 7 is word id 10: the label still belongs to its review
        assert (10 in row) == bool(label)
    short = raw.x[(raw.x == 0).any(axis=1)][0]  # shorter than maxlen: zeros in front, then the start id 1
    first = int(np.argmax(short != 0))
    assert first > 0
    assert short[first] == 1
    assert not (short[first:] == 0).any()


def test_imdb_reader_gives_what_keras_gives(keras_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same file, same ``num_words``: our reader and ``keras.datasets.imdb.load_data`` agree id for id."""
    from keras.src.datasets import imdb as keras_imdb

    from core.data.keras_sets import _pad

    _write_imdb(keras_home)
    monkeypatch.setattr(keras_imdb, "get_file", lambda **kwargs: str(keras_home / "imdb.npz"))  # skip the hash
    (x, y), (xt, yt) = keras_imdb.load_data(num_words=150)
    raw = load_raw({"source": "keras.imdb", "options": {"num_words": 150, "maxlen": 30}})
    np.testing.assert_array_equal(raw.x, _pad(x, 30))
    np.testing.assert_array_equal(raw.y, y)
    np.testing.assert_array_equal(raw.x_test, _pad(xt, 30))
    np.testing.assert_array_equal(raw.y_test, yt)
    assert (raw.x == 2).any()  # ranks past num_words became the out-of-vocabulary id


class _Gadget:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        import os

        return os.system, ("touch pwned",)


def test_a_tampered_imdb_file_is_refused_without_running_code(keras_home: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    evil = np.empty(1, dtype=object)
    evil[0] = _Gadget()
    np.savez(keras_home / "imdb.npz", x_train=evil, y_train=np.zeros(1), x_test=evil, y_test=np.zeros(1))
    with pytest.raises(DataError, match="is not a valid IMDB file") as info:
        load_dataset({"source": "keras.imdb"})
    assert info.value.where == str(keras_home / "imdb.npz")
    assert not (tmp_path / "pwned").exists()


def test_imdb_offline_gives_a_clear_message(keras_home: Path, no_network: list[str]) -> None:
    with pytest.raises(OfflineError) as info:
        load_dataset({"source": "keras.imdb"})
    assert no_network == ["https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"]
    assert str(info.value) == ("could not download IMDB reviews from https://storage.googleapis.com/tensorflow/"
                               "tf-keras-datasets/imdb.npz: [Errno -3] Temporary failure in name resolution; put "
                               f"imdb.npz in {keras_home} or connect to the internet")
    assert list(keras_home.iterdir()) == []  # nothing half-written is left to be mistaken for the file


# ---- CIFAR-10 ------------------------------------------------------------------------------------

CIFAR_DIR = Path("cifar-10-batches-py-target") / "cifar-10-batches-py"


def _write_cifar_batch(path: Path, labels: list[int]) -> None:
    """A batch as the CIFAR-10 Python release stores it: a pickled dict with byte-string keys, rows of 1024
    red, green, blue bytes (protocol 4: protocol 2 from Python 3 writes bytes through a global Keras refuses)."""
    n = len(labels)
    data = np.zeros((n, 3 * 1024), dtype=np.uint8)
    data[:, 0], data[:, 1024], data[:, 2048] = labels, 100, 200  # top-left pixel: (label, 100, 200)
    data[:, 1023] = 77  # red of the bottom-right pixel
    with open(path, "wb") as f:
        pickle.dump({b"batch_label": b"test", b"labels": labels, b"data": data}, f, protocol=4)


def _write_cifar(folder: Path, skip: str | None = None) -> None:
    folder.mkdir(parents=True)
    for i in range(1, 6):
        if f"data_batch_{i}" != skip:
            _write_cifar_batch(folder / f"data_batch_{i}", [(i + j) % 10 for j in range(3)])
    _write_cifar_batch(folder / "test_batch", [9, 3])


def test_cifar10_from_a_seeded_cache(keras_home: Path, no_network: list[str]) -> None:
    _write_cifar(keras_home / CIFAR_DIR)
    raw = load_raw({"source": "keras.cifar10"})
    assert raw.x.shape == (15, 32, 32, 3)
    assert raw.x.dtype == np.uint8
    assert raw.y.dtype == np.int64
    assert raw.y.tolist() == [(i + j) % 10 for i in range(1, 6) for j in range(3)]
    np.testing.assert_array_equal(raw.x[:, 0, 0], np.stack([raw.y, np.full(15, 100), np.full(15, 200)], axis=1))
    assert (raw.x[:, 31, 31, 0] == 77).all()  # channels last, rows then columns
    assert raw.x_test is not None
    assert raw.y_test is not None
    assert raw.x_test.shape == (2, 32, 32, 3)
    assert raw.y_test.tolist() == [9, 3]
    assert raw.classes == list(CIFAR10)
    assert raw.classes[3] == "cat"
    data = load_dataset({"source": "keras.cifar10", "preprocess": {"scaling": "divide255", "validation": 0.2}})
    assert (len(data.train), len(data.validation), len(data.test)) == (12, 3, 2)
    assert data.input_shape == (32, 32, 3)
    assert data.train.x.max() <= 1.0
    assert no_network == []


def test_cifar10_with_a_missing_batch_names_the_file(keras_home: Path, no_network: list[str]) -> None:
    _write_cifar(keras_home / CIFAR_DIR, skip="data_batch_3")
    with pytest.raises(DataError, match="is missing from the CIFAR-10 cache") as info:
        load_dataset({"source": "keras.cifar10"})
    assert info.value.where == str(keras_home / CIFAR_DIR / "data_batch_3")


def test_a_tampered_cifar_batch_is_refused_without_running_code(keras_home: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write_cifar(keras_home / CIFAR_DIR)
    with open(keras_home / CIFAR_DIR / "data_batch_2", "wb") as f:
        pickle.dump({b"labels": [1], b"data": _Gadget()}, f, protocol=4)
    with pytest.raises(DataError, match="is not a valid CIFAR-10 batch") as info:
        load_dataset({"source": "keras.cifar10"})
    assert info.value.where == str(keras_home / CIFAR_DIR / "data_batch_2")
    assert not (tmp_path / "pwned").exists()


def test_cifar10_offline_gives_a_clear_message_every_time(keras_home: Path, no_network: list[str]) -> None:
    for _ in range(2):  # a failed attempt leaves folders behind; the second attempt must say the same
        with pytest.raises(OfflineError) as info:
            load_dataset({"source": "keras.cifar10"})
        message = str(info.value)
        assert message.startswith("could not download CIFAR-10 from https://www.cs.toronto.edu/~kriz/"
                                  "cifar-10-python.tar.gz: [Errno -3] Temporary failure in name resolution; ")
        assert message.endswith(f"put the extracted cifar-10-batches-py folder in {keras_home / CIFAR_DIR.parent} "
                                "or connect to the internet")
    assert no_network == ["https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"] * 2
