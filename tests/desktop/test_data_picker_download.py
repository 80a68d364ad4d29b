"""A Keras dataset that is not cached yet: the picker says it waits for the training process, the training panel
shows the download's progress (``downloading MNIST: 4.1 / 11.5 MB``), and once the run has the file in Keras's
cache the picker previews it (sample images, class counts) — all without TensorFlow in the window's process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from core.training.messages import Phase
from desktop.panels.session import Progress, TrainingSession
from desktop.panels.training import TrainingPanel


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "datasets"


def write_mnist(cache: Path) -> None:
    """A small mnist.npz where Keras keeps it: 30 digits, three of each class; image i is lit on row i."""
    cache.mkdir(parents=True)
    x = np.zeros((30, 28, 28), np.uint8)
    for i in range(30):
        x[i, i % 28] = 255
    np.savez(cache / "mnist.npz", x_train=x, y_train=np.arange(30, dtype=np.uint8) % 10,
             x_test=np.zeros((4, 28, 28), np.uint8), y_test=np.arange(4, dtype=np.uint8))


def test_picker_previews_mnist_once_the_run_has_downloaded_it(qtbot: QtBot, cache: Path,
                                                              tf_guard: Callable[[], None]) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    picker = panel.data
    picker.set_recipe({"source": "keras.mnist", "preprocess": {"validation": 0.0, "shuffle": False}})
    picker.refresh_preview()
    assert picker.summary.text() == "previewed once the training process has downloaded it"
    assert picker.preview is None

    session = TrainingSession()
    session.progress = Progress(phase="loading data", epochs=1)
    panel.show_progress(session.progress, 32)
    for done, fraction in ((0.0, 0.0), (4.1, 0.356)):
        session._on_phase(Phase("downloading", f"downloading MNIST: {done:.1f} / 11.5 MB", fraction))
    panel.show_progress(session.progress, 32)
    assert panel.bar.format() == "downloading MNIST: 4.1 / 11.5 MB"
    assert panel.bar.value() == 356
    assert panel.phase.text().startswith("Downloading the data…")
    assert picker.preview is None  # still downloading: nothing to read yet

    write_mnist(cache)  # the worker's download completed
    session._on_phase(Phase("downloading", "downloading MNIST: 11.5 / 11.5 MB", 1.0))
    panel.show_progress(session.progress, 32)
    assert panel.bar.value() == 1000
    session._on_phase(Phase("loading data", "reading MNIST"))
    panel.show_progress(session.progress, 32)
    assert panel.bar.format() == ""  # the download's text does not linger over the next phases

    qtbot.waitUntil(lambda: picker.preview is not None, timeout=10_000)
    assert picker.preview.class_counts == {str(k): 3 for k in range(10)}
    assert picker.preview.x_shape == (28, 28, 1)
    assert "classes — 0: 3, 1: 3" in picker.summary.text()
    thumbs = [w for w in picker.samples.findChildren(QLabel) if w.objectName() == "data_sample"]
    assert len(thumbs) == 12
    assert [t.toolTip() for t in thumbs[:11]] == [str(i % 10) for i in range(11)]
    image = thumbs[3].pixmap().toImage()
    lit = [y for y in range(image.height()) if image.pixelColor(image.width() // 2, y).value() > 128]
    assert lit and min(lit) >= 3 * image.height() // 28 - 2  # sample 3 is lit on its 4th row, not at the top
    tf_guard()


def test_download_progress_is_logged_at_its_start_and_end_only(qtbot: QtBot) -> None:
    session = TrainingSession()
    logged: list[tuple[str, str]] = []
    session.phase_changed.connect(lambda phase, detail: logged.append((phase, detail)))
    for i in range(5):
        session._on_phase(Phase("downloading", f"downloading MNIST: {i}.0 / 4.0 MB", i / 4))
    assert session.progress.download == 1.0
    assert session.progress.detail == "downloading MNIST: 4.0 / 4.0 MB"
    assert logged == [("downloading", "downloading MNIST: 0.0 / 4.0 MB"),
                      ("downloading", "downloading MNIST: 4.0 / 4.0 MB")]


@pytest.mark.parametrize("source", ["keras.cifar10", "keras.imdb"])
def test_heavy_keras_sets_say_why_they_are_not_previewed(qtbot: QtBot, cache: Path, source: str) -> None:
    from desktop.panels.data_picker import DataPicker

    picker = DataPicker()
    qtbot.addWidget(picker)
    picker.set_recipe({"source": source})
    picker.refresh_preview()
    assert "not previewed in the window" in picker.summary.text()
    picker.cache_changed()  # a run read it: still not loaded here
    assert picker.preview is None and "not previewed in the window" in picker.summary.text()
