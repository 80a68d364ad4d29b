"""Per-epoch checkpoints written by a thread from a snapshot, so training does not wait for the disk.

At an epoch's end the weights are copied into a shadow model kept on the CPU (a clone of the user's model,
built once) and the optimizer slots and curves into NumPy arrays; a thread then writes the run folder's
files while the next epoch trains. The ``Checkpoint`` message is sent from the training thread once the
files are complete (messages have one sender). A stop writes its checkpoint at once and waits for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from core.training.checkpoint import RunFolder, save_layer_weights, save_weights
from core.training.history import History, write_npz
from core.training.messages import Checkpoint, Log, Message


class BackgroundCheckpoints:
    def __init__(self, inner: Any, folder: RunFolder, send: Callable[[Message], None]) -> None:
        self.inner, self.folder, self.send = inner, folder, send
        self._shadow: Any = None
        self._thread: threading.Thread | None = None
        self._pending: Checkpoint | None = None
        self._error: BaseException | None = None

    def _shadow_model(self) -> Any:
        if self._shadow is None:
            import keras
            import tensorflow as tf

            with tf.device("/cpu:0"):  # host memory, not a second copy on the GPU
                self._shadow = keras.models.clone_model(self.inner)
        return self._shadow

    def save(self, optimizer: Any, history: History, epochs_done: int, step: int, partial: bool = False,
             wait: bool = False) -> None:
        """Snapshot now, write in the background (or at once with ``wait``)."""
        self.flush()
        shadow = self._shadow_model()
        shadow.set_weights(self.inner.get_weights())
        slots = {f"v{i}": np.array(v.numpy()) for i, v in enumerate(optimizer.variables)}
        state = {"epoch": epochs_done, "step": step, "partial": partial}
        self._pending = Checkpoint(epochs_done - 1, str(self.folder.weights), str(self.folder.history))
        self._thread = threading.Thread(target=self._write, args=(shadow, slots, history.arrays(), state),
                                        name="layerbench-checkpoint", daemon=True)
        self._thread.start()
        if wait:
            self.flush()

    def _write(self, shadow: Any, slots: dict[str, np.ndarray], curves: dict[str, np.ndarray],
               state: dict[str, Any]) -> None:
        try:
            save_weights(shadow, self.folder.weights)
            save_layer_weights(shadow, self.folder.checkpoint_layers)  # the form a project stores (by layer name)
            tmp = self.folder.optimizer.with_name("tmp-" + self.folder.optimizer.name)
            np.savez(tmp, **slots)  # type: ignore[arg-type]
            os.replace(tmp, self.folder.optimizer)
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
