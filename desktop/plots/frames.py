"""The environment's picture: rgb_array frames shown in a QLabel, live from training or played back.

Training frames arrive a few times a second (the worker throttles them); the panel's timer hands the newest
one to ``show_frame``. ``play(frames)`` replays a greedy episode at ``PLAY_FPS`` with a step counter.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop.plots.export import Exportable, export_button, images_text

PLAY_FPS = 25


def to_pixmap(image: NDArray[np.uint8]) -> QPixmap:
    """An (height, width, 3 or 4) uint8 array as a QPixmap (copied, so the array may change afterwards)."""
    array = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    h, w = array.shape[:2]
    qimage = QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())


class FrameView(QWidget, Exportable):
    """A frame scaled to fit (aspect kept) with a caption; counts the frames it has shown.

    CSV: the frame shown, long format (``row, col, channel, value``)."""

    playback_finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = QLabel("No frames yet. Frames arrive while an agent trains\n(Training frames above 0) "
                              "and when it plays.")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(QSize(160, 120))
        self.picture.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.picture.setStyleSheet("background: palette(base); border: 1px solid palette(mid);")
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture, 1)
        row = QHBoxLayout()
        row.addWidget(self.caption, 1)
        row.addWidget(export_button(self))
        layout.addLayout(row)
        self.shown = 0
        self.image: NDArray[np.uint8] | None = None
        self._pixmap: QPixmap | None = None
        self._frames: NDArray[np.uint8] | None = None
        self._index = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // PLAY_FPS)
        self._timer.timeout.connect(self._next)
        self.play_caption = ""

    def show_frame(self, image: NDArray[np.uint8], caption: str = "") -> None:
        self._pixmap = to_pixmap(image)
        self.image = image
        self.shown += 1
        self.caption.setText(caption)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        size = self.picture.size()
        self.picture.setPixmap(self._pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                                   Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    # ---- playback ------------------------------------------------------------------------------
    def play(self, frames: NDArray[np.uint8], caption: str = "") -> None:
        """Replay ``frames`` (n, h, w, 3); live training frames are ignored meanwhile."""
        self._frames, self._index, self.play_caption = frames, 0, caption
        self._timer.start()
        self._next()

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def stop_playback(self) -> None:
        self._timer.stop()
        self._frames = None

    def _next(self) -> None:
        frames = self._frames
        if frames is None or self._index >= len(frames):
            self.stop_playback()
            self.playback_finished.emit()
            return
        self.show_frame(frames[self._index], f"{self.play_caption} · step {self._index}/{len(frames) - 1}")
        self._index += 1

    def export_stem(self) -> str:
        return "environment_frame"

    def export_target(self) -> QWidget:
        return self.picture

    def export_csv(self) -> str:
        frames = [] if self.image is None else [((), np.asarray(self.image)[..., :3])]
        return images_text([], frames)
