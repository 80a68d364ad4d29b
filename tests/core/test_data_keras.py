"""keras.datasets when the file is not cached and the network is unreachable: a clear message, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data.errors import OfflineError
from core.data.load import load_dataset

pytestmark = pytest.mark.tf


def test_offline_download_names_the_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    def offline(**kwargs: object) -> None:
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(OfflineError) as info:
        load_dataset({"source": "keras.fashion_mnist"})
    message = str(info.value)
    assert "fashion_mnist is not in the Keras cache" in message
    assert str(tmp_path / "datasets" / "fashion-mnist") in message
    assert "URL fetch failure" in message
