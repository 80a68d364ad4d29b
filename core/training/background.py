"""Per-epoch checkpoints written by a thread from a snapshot, so training does not wait for the disk.

At an epoch's end the weights (by layer name), the optimizer slots and the curves are copied into NumPy
arrays on the training thread; a thread then writes the run folder's ``.npz`` files while the next epoch
trains. The ``Checkpoint`` message is sent from the training thread once the files are complete (messages
have one sender). A stop writes its checkpoint at once and waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from core.training.checkpoint import RunFolder, layer_arrays, write_arrays
from core.training.history import History, write_npz
from core.training.messages import Checkpoint, Log, Message


class BackgroundCheckpoints:
    def __init__(self, inner: Any, folder: RunFolder, send: Callable[[Message], None]) -> None:
        self.inner, self.folder, self.send = inner, folder, send
        self._thread: threading.Thread | None = None
        self._pending: Checkpoint | None = None
        self._error: BaseException | None = None

    def save(self, optimizer: Any, history: History, epochs_done: int, step: int, partial: bool = False,
             wait: bool = False) -> None:
        """Snapshot now, write in the background (or at once with ``wait``)."""
        self.flush()
        weights = layer_arrays(self.inner)
        slots = {f"v{i}": np.array(v.numpy()) for i, v in enumerate(optimizer.variables)}
        state = {"epoch": epochs_done, "step": step, "partial": partial}
        self._pending = Checkpoint(epochs_done - 1, str(self.folder.checkpoint_layers), str(self.folder.history))
        self._thread = threading.Thread(target=self._write, args=(weights, slots, history.arrays(), state),
                                        name="layerbench-checkpoint", daemon=True)
        self._thread.start()
        if wait:
            self.flush()

    def _write(self, weights: dict[str, np.ndarray], slots: dict[str, np.ndarray], curves: dict[str, np.ndarray],
               state: dict[str, Any]) -> None:
        try:
            write_arrays(weights, self.folder.checkpoint_layers)  # by layer name: what a project stores
            write_arrays(slots, self.folder.optimizer)
            write_npz(self.folder.history, curves)
            self.folder.write_state(**state)  # last: a state never points past the files
        except BaseException as exc:  # reported from the training thread in flush()
            self._error = exc

    def flush(self) -> None:
        """Wait for the write in progress and announce it (or its failure)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            self.send(Log("warning", f"the checkpoint could not be written: {self._error}"))
            self._error, self._pending = None, None
        if self._pending is not None:
            self.send(self._pending)
            self._pending = None
