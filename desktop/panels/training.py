"""The training panel: data (with preview), every training setting, Start / Pause / Stop, and a progress
bar with epoch, batch, throughput, ETA, the device and the compiling phase with its time to first batch.

A run trains a snapshot of the graph taken at Start; editing the graph meanwhile does not touch it, and the
panel says so.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.panels.config_form import ConfigForm
from desktop.panels.data_picker import DataPicker
from desktop.panels.session import Progress

PHASE_TEXT = {"starting": "Starting the training process…", "loading data": "Loading the data…",
              "downloading": "Downloading the data…",
              "building": "Building the Keras model…", "compiling": "Compiling the graph (tracing until the first "
              "batch)…", "training": "Training", "paused": "Paused", "stopping": "Stopping after this batch…",
              "finished": "Finished", "stopped": "Stopped", "failed": "Failed", "idle": "Ready"}


def seconds_text(value: float | None) -> str:
    if value is None:
        return "–"
    value = max(0.0, value)
    if value < 90:
        return f"{value:.1f} s"
    minutes, secs = divmod(int(value), 60)
    return f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def short_device(name: str) -> str:
    """``/job:localhost/replica:0/task:0/device:CPU:0`` -> ``CPU:0``."""
    return name.rsplit("device:", 1)[-1] if "device:" in name else name


def progress_text(p: Progress, batch_size: int) -> str:
    """``epoch 2/10 · batch 17/32 · 410 samples/s · ETA 12.0 s``."""
    parts = [f"epoch {min(p.epoch + 1, max(p.epochs, 1))}/{p.epochs}"]
    if p.batches:
        parts.append(f"batch {p.batch}/{p.batches}")
    rate = p.rate()
    if rate > 0:
        parts.append(f"{rate * batch_size:,.0f} samples/s ({rate:,.0f} batches/s)")
        parts.append(f"ETA {seconds_text(p.eta())}")
    return " · ".join(parts)


class TrainingPanel(QWidget):
    """Buttons emit ``start_clicked`` etc.; the coordinator (training_docks) does the work."""

    start_clicked = Signal()
    pause_clicked = Signal()
    stop_clicked = Signal()
    compare_clicked = Signal()
    handover_clicked = Signal(str)  # the dock key of the panel that trains this kind of project

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = DataPicker()
        self.form = ConfigForm()
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("train_start")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("train_pause")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("train_stop")
        self.start_button.clicked.connect(self.start_clicked)
        self.pause_button.clicked.connect(self.pause_clicked)
        self.stop_button.clicked.connect(self.stop_clicked)
        self.compare_button = QPushButton("Compare variants")
        self.compare_button.setObjectName("train_compare")
        self.compare_button.setToolTip("Train this example and each of its variants one after the other, each run "
                                       "named after its variant and overlaid (the project itself is not changed)")
        self.compare_button.clicked.connect(self.compare_clicked)
        self.compare_button.hide()
        self.queue = QLabel("")
        self.queue.setObjectName("train_queue")
        self.queue.setWordWrap(True)
        self.queue.hide()
        self.bar = QProgressBar()
        self.bar.setObjectName("train_progress")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat("")
        self.phase = QLabel(PHASE_TEXT["idle"])
        self.phase.setObjectName("train_phase")
        self.phase.setWordWrap(True)
        self.details = QLabel("")
        self.details.setObjectName("train_details")
        self.details.setWordWrap(True)
        self.snapshot = QLabel("The graph was edited after Start: this run keeps training the snapshot taken "
                               "then; your edits apply to the next run.")
        self.snapshot.setObjectName("train_snapshot_note")
        self.snapshot.setWordWrap(True)
        self.snapshot.setStyleSheet("color: #b35c00;")
        self.snapshot.hide()
        self.blocked = QLabel("")
        self.blocked.setObjectName("train_blocked")
        self.blocked.setWordWrap(True)
        self.blocked.linkActivated.connect(self.handover_clicked)
        self.blocked.hide()
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d93a3a;")
        self.form.changed.connect(self._validate)
        self.setMinimumWidth(370)
        self._layout()
        self.set_running(False)

    def _layout(self) -> None:
        controls = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            controls.addWidget(button)
        status = QVBoxLayout()
        status.addLayout(controls)
        status.addWidget(self.compare_button)
        status.addWidget(self.bar)
        status.addWidget(self.queue)
        status.addWidget(self.phase)
        status.addWidget(self.details)
        status.addWidget(self.snapshot)
        status.addWidget(self.blocked)
        status.addWidget(self.error)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(4, 4, 4, 4)
        for title, widget in (("Data", self.data), ("Settings", self.form)):
            group = QGroupBox(title)
            box = QVBoxLayout(group)
            box.setContentsMargins(6, 6, 6, 6)
            box.addWidget(widget)
            inner.addWidget(group)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(status)
        layout.addWidget(scroll, 1)

    def _validate(self) -> None:
        problem = self.form.error()
        self.error.setText(f"Settings: {problem}" if problem else "")
        self.start_button.setEnabled(not problem and not self._running and not self._blocked)

    _running = False
    _blocked = ""

    def set_blocked(self, reason: str) -> None:
        """Disable Start and say why (rich text, may link to the panel that trains this project); "" undoes it."""
        self._blocked = reason
        self.blocked.setText(reason)
        self.blocked.setVisible(bool(reason))
        self.start_button.setToolTip(QTextDocumentFragment.fromHtml(reason).toPlainText() if reason else "")
        self.set_running(self._running)

    def set_running(self, running: bool, paused: bool = False) -> None:
        self._running = running
        self.start_button.setEnabled(not running and not self.form.error() and not self._blocked)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.compare_button.setEnabled(not running and not self.form.error() and not self._blocked)
        self.pause_button.setText("Resume" if paused else "Pause")
        if not running:
            self.snapshot.hide()

    def set_variants(self, count: int) -> None:
        """Show "Compare variants" for a project listing ``count`` > 0 variants (with how many runs it makes)."""
        self.compare_button.setVisible(count > 0)
        self.compare_button.setText(f"Compare variants ({count + 1} runs)" if count else "Compare variants")

    def show_queue(self, text: str) -> None:
        """Where the variant queue stands (``run 3 of 7: optimizer: … — epoch 2/5``)."""
        if text != self.queue.text():
            self.queue.setText(text)
        self.queue.setVisible(bool(text))

    _shown_phase = "idle"

    def show_progress(self, p: Progress, batch_size: int) -> None:
        """Called by the refresh timer."""
        if p.phase != self._shown_phase:
            if self._shown_phase == "downloading":
                self.bar.setFormat("")
            self._shown_phase = p.phase
            self.data.cache_changed()  # a dataset the run downloaded or read can be previewed now
        self.bar.setValue(1000 if p.phase == "finished" else int(p.fraction() * 1000))
        if p.phase == "downloading":
            self.bar.setValue(int((p.download or 0.0) * 1000))
            self.bar.setFormat(p.detail)  # downloading MNIST: 4.1 / 11.5 MB
        elif p.phase in ("training", "paused", "stopping") and p.batches:
            self.bar.setFormat(progress_text(p, batch_size))
        elif p.phase in ("finished", "stopped"):
            self.bar.setFormat(f"{p.phase.capitalize()} after {p.epoch} of {p.epochs} epochs ({p.step:,} steps)")
        text = PHASE_TEXT.get(p.phase, p.phase)
        if p.phase in ("starting", "loading data", "downloading", "building", "compiling"):
            text += f" {seconds_text(_elapsed(p))}"
        elif p.phase == "failed":
            text = f"Failed: {p.detail}"
        self.phase.setText(text)
        bits = []
        if p.device:
            bits.append(f"device: {short_device(p.device)}")
        if p.first_batch is not None:
            bits.append(f"time to first batch: {seconds_text(p.first_batch)}")
        self.details.setText(" · ".join(bits))

    def settings(self) -> dict[str, Any]:
        return self.form.raw_values()


def _elapsed(p: Progress) -> float:
    import time

    return time.perf_counter() - p.started
