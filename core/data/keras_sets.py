"""keras.datasets (MNIST, Fashion-MNIST, CIFAR-10, IMDB) through Keras's own cache.

A file already in the cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``, the place ``keras.utils.get_file``
uses) is read directly: Keras would re-download a cached file whose hash differs (a trimmed copy, a
hand-made test file), which fails offline. A missing file is downloaded by ``core.data.download`` into the very
place Keras would put it (same URL, name and hash check), with progress reported to the caller; offline that
becomes an ``OfflineError`` saying which file to put where.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core.data.download import download
from core.data.errors import DataError
from core.data.recipe import RawData
from core.data.sources import SourceSpec, opt_int

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FASHION_FILES = (
    "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)  # fmt: skip


def keras_home() -> Path:
    """Keras's base folder, decided the way Keras decides it (``$KERAS_HOME``, else ``~/.keras``, else /tmp)."""
    if "KERAS_HOME" in os.environ:
        return Path(os.environ["KERAS_HOME"])
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return Path(base) / ".keras"


def cache_dir() -> Path:
    return keras_home() / "datasets"


def _read_mnist(path: Path) -> Arrays:
    try:
        with np.load(path, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path} is not a valid MNIST file: {exc}", str(path)) from exc


def _read_idx(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def _read_fashion(folder: Path) -> Arrays:
    paths = [folder / name for name in FASHION_FILES]
    y_train, y_test = _read_idx(paths[0], 8), _read_idx(paths[2], 8)
    x_train = _read_idx(paths[1], 16).reshape(len(y_train), 28, 28)
    x_test = _read_idx(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)


_NUMPY_GLOBALS = {
    ("numpy", "ndarray"): ("numpy", "ndarray"), ("numpy", "dtype"): ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),  # files from numpy < 2
}


class _NumpyOnly(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else, so a tampered dataset file cannot run code (the rule Keras's own
    dataset readers follow; ours needs no Keras, so the window can preview CIFAR-10 and IMDB too)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(*_NUMPY_GLOBALS[(module, name)])
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")


_UNREADABLE = (OSError, ValueError, KeyError, EOFError, TypeError, AttributeError, pickle.UnpicklingError)


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One pickled CIFAR-10 batch (a dict with byte-string keys) as (images channels last, labels)."""
    try:
        with open(path, "rb") as f:
            raw = _NumpyOnly(f, encoding="bytes").load()
        batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}
        x = np.asarray(batch["data"], dtype="uint8").reshape(-1, 3, 32, 32)
        y = np.asarray(batch["labels"], dtype="uint8")
    except FileNotFoundError:
        raise DataError(f"{path} is missing from the CIFAR-10 cache: delete the folder to download it again, "
                        "or copy the whole cifar-10-batches-py folder there", str(path)) from None
    except _UNREADABLE as exc:
        raise DataError(f"{path} is not a valid CIFAR-10 batch: {exc}", str(path)) from exc
    return x.transpose(0, 2, 3, 1), y


def _read_cifar(folder: Path) -> Arrays:
    parts = [_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([y for _, y in parts])
    return (x_train, y_train), _cifar_batch(folder / "test_batch")


IMDB_SEED, START, OOV, INDEX_FROM = 113, 1, 2, 3
"""Keras's ``imdb.load_data`` defaults: shuffle seed, start-of-review id, out-of-vocabulary id, first word id."""


def _npy(buffer: io.BytesIO) -> np.ndarray:
    """One ``.npy`` member: numbers with pickling off, object arrays (ragged reviews) through ``_NumpyOnly``."""
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:  # an object array
        buffer.seek(0)
        version = np.lib.format.read_magic(buffer)
        if version[0] == 1:
            np.lib.format.read_array_header_1_0(buffer)
        elif version[0] in (2, 3):  # 3.0 differs from 2.0 only in the header's text encoding
            np.lib.format.read_array_header_2_0(buffer)
        else:
            raise ValueError(f"unsupported .npy version {version}") from None
        return np.asarray(_NumpyOnly(buffer).load())


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        return {name[:-4]: _npy(io.BytesIO(archive.read(name))) for name in archive.namelist() if name.endswith(".npy")}


def _read_imdb(path: Path, num_words: int) -> Arrays:
    """The cached ``imdb.npz`` turned into token ids exactly as ``keras.datasets.imdb.load_data(num_words=...)``
    does with its defaults (same shuffle, start id 1, words from 3, rarer words as 2)."""
    try:
        f = _load_npz(path)
        splits = [(f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])]
    except (*_UNREADABLE, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not a valid IMDB file: {exc}", str(path)) from exc
    rng = np.random.RandomState(IMDB_SEED)
    out = []
    for x, y in splits:
        order = np.arange(len(x))
        rng.shuffle(order)  # one generator for both splits, train first, as Keras does
        seqs = [[START] + [w + INDEX_FROM if w + INDEX_FROM < num_words else OOV for w in x[i]] for i in order]
        out.append((np.array(seqs, dtype="object"), np.asarray(y)[order]))
    return out[0], out[1]


def _fetch(source_id: str, cached: Path, reader: Callable[[Path], Arrays]) -> Arrays:
    """Read ``cached`` (a file, or a folder that is not empty), downloading it first when it is missing."""
    if not (cached.exists() and (cached.is_file() or any(cached.iterdir()))):
        download(source_id, cache_dir())
    return reader(cached)


def _images(arrays: Arrays, classes: tuple[str, ...], notes: str) -> RawData:
    (x, y), (xt, yt) = arrays
    if x.ndim == 3:
        x, xt = x[..., None], xt[..., None]
    return RawData(x, y.reshape(-1).astype("int64"), "classification", list(classes),
                   xt, yt.reshape(-1).astype("int64"), notes)


def mnist(o: Mapping[str, Any]) -> RawData:
    arrays = _fetch("keras.mnist", cache_dir() / "mnist.npz", _read_mnist)
    return _images(arrays, tuple(str(i) for i in range(10)), "pixel values 0..255")


def fashion_mnist(o: Mapping[str, Any]) -> RawData:
    folder = cache_dir() / "fashion-mnist"
    if not all((folder / f).exists() for f in FASHION_FILES):
        download("keras.fashion_mnist", cache_dir())
    arrays = _read_fashion(folder)
    return _images(arrays, FASHION, "pixel values 0..255")


def cifar10(o: Mapping[str, Any]) -> RawData:
    folder = cache_dir() / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    if not (folder / "test_batch").exists():
        download("keras.cifar10", cache_dir())
    arrays = _read_cifar(folder)
    return _images(arrays, CIFAR10, "pixel values 0..255")


def _pad(seqs: Any, maxlen: int) -> np.ndarray:
    """Pad (at the front) or cut (keeping the end) to ``maxlen`` token ids, as Keras's pad_sequences does."""
    out = np.zeros((len(seqs), maxlen), dtype="int32")
    for i, s in enumerate(seqs):
        tail = list(s)[-maxlen:]
        if tail:
            out[i, -len(tail):] = tail
    return out


def imdb(o: Mapping[str, Any]) -> RawData:
    words = opt_int(o, "num_words", 100, 100_000)
    maxlen = opt_int(o, "maxlen", 10, 5_000)
    cached = cache_dir() / "imdb.npz"
    if not cached.is_file():
        download("keras.imdb", cache_dir())
    (x, y), (xt, yt) = _read_imdb(cached, words)
    return RawData(_pad(x, maxlen), np.asarray(y, "int64"), "classification", ["negative", "positive"],
                   _pad(xt, maxlen), np.asarray(yt, "int64"), f"token ids < {words}; 0 is padding")


SOURCES = (
    SourceSpec("keras.mnist", "MNIST", "keras.datasets", "70,000 handwritten digits, 28x28 (downloads once).",
               mnist, {}, offline=False),
    SourceSpec("keras.fashion_mnist", "Fashion-MNIST", "keras.datasets",
               "70,000 clothing images in 10 classes, 28x28 (downloads once).", fashion_mnist, {}, offline=False),
    SourceSpec("keras.cifar10", "CIFAR-10", "keras.datasets", "60,000 colour images 32x32 in 10 classes.",
               cifar10, {}, offline=False),
    SourceSpec("keras.imdb", "IMDB reviews", "keras.datasets",
               "50,000 movie reviews as token ids, positive or negative.", imdb,
               {"num_words": 10000, "maxlen": 200}, offline=False),
)
