"""Predictions in a worker process, so the window never imports TensorFlow.

``Predictor`` (parent side) starts one spawned process on first use; it imports TensorFlow once and then
answers ``PredictRequest``s in order: build the graph (kept while the same graph and weights are asked
for), load the weights, call the model directly on the inputs (never ``.predict``), and optionally return
the outputs of every convolution layer for the first input (feature maps of a chosen sample). Answers
arrive on the ``predicted`` psygnal signal, emitted from a reader thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing as mp
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal

START_METHOD = "spawn"


@dataclass(frozen=True)
class PredictRequest:
    """``weights``: ``.npz`` bytes by layer name (as projects store them) or a path (``.npz``/``.weights.h5``)."""

    id: int
    graph: dict[str, Any]
    weights: bytes | str | None
    x: np.ndarray
    feature_maps: bool = False


@dataclass(frozen=True)
class PredictResult:
    id: int
    outputs: np.ndarray | None
    features: dict[str, np.ndarray] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0


def _key(req: PredictRequest) -> str:
    digest = hashlib.sha1(json.dumps(req.graph, sort_keys=True).encode())
    digest.update(req.weights if isinstance(req.weights, bytes) else str(req.weights).encode())
    if isinstance(req.weights, str) and os.path.exists(req.weights):
        digest.update(str(os.path.getmtime(req.weights)).encode())
    return digest.hexdigest()


def _load_weights(model: Any, weights: bytes | str | None) -> None:
    from core.project.weights import apply_weights, unpack_weights
    from core.training.checkpoint import apply_layer_weights, load_layer_weights

    if weights is None:
        return
    if isinstance(weights, bytes):
        apply_weights(model, unpack_weights(weights, "weights"))
    elif weights.endswith(".npz"):
        apply_layer_weights(model, load_layer_weights(Path(weights)))
    else:
        model.load_weights(weights)


class _Models:
    """The last model built (rebuilt when the graph or the weights change)."""

    def __init__(self) -> None:
        self.key = ""
        self.model: Any = None
        self.features: Any = None

    def get(self, req: PredictRequest) -> Any:
        key = _key(req)
        if key != self.key:
            from core.graph.model import Graph
            from core.translate.to_keras import build_model

            self.model = build_model(Graph.from_dict(req.graph))
            _load_weights(self.model, req.weights)
            self.features, self.key = None, key
        return self.model


def answer(req: PredictRequest, models: _Models) -> PredictResult:
    """One request, every error turned into a message naming what went wrong."""
    started = time.perf_counter()
    try:
        model = models.get(req)
        x = np.asarray(req.x)
        outputs = np.asarray(model(x, training=False))
        features: dict[str, np.ndarray] = {}
        if req.feature_maps:
            features = _feature_maps(model, models, x[:1])
        return PredictResult(req.id, outputs, features, seconds=time.perf_counter() - started)
    except Exception as exc:  # a refusal for the panel, never a crash of the server
        text = f"{type(exc).__name__}: {exc}"
        return PredictResult(req.id, None, error=text[:2000], seconds=time.perf_counter() - started)


def _feature_maps(model: Any, models: _Models, x: np.ndarray) -> dict[str, np.ndarray]:
    from core.training.monitors import feature_map_fn

    if models.features is None:
        models.features = feature_map_fn(model) or ([], None)
    names, fn = models.features
    if fn is None:
        return {}
    outs = fn(x)
    outs = outs if isinstance(outs, list | tuple) else [outs]
    return {name: np.asarray(out)[0] for name, out in zip(names, outs)}


def serve(conn: Any, stderr_path: str) -> None:
    """The worker process: import TensorFlow, then answer requests until ``None`` or a closed pipe."""
    fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 2)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras  # noqa: F401  (most of the start-up time)

    conn.send("ready")
    models = _Models()
    while True:
        try:
            req = conn.recv()
        except (EOFError, OSError):
            break
        if req is None:
            break
        conn.send(answer(req, models))
    conn.close()
    os._exit(0)


class Predictor:
    """The parent side: ``request`` returns an id; ``predicted`` carries the matching ``PredictResult``."""

    predicted = Signal(object)

    def __init__(self) -> None:
        self._process: Any = None
        self._conn: Any = None
        self._lock = threading.Lock()
        self._next = 0
        self._reader: threading.Thread | None = None
        self._stderr = ""

    def start(self) -> None:
        """Start the worker now (it takes a few seconds to import TensorFlow)."""
        with self._lock:
            if self._process is not None and self._process.is_alive():
                return
            ctx = mp.get_context(START_METHOD)
            self._conn, child = ctx.Pipe(duplex=True)
            fd, self._stderr = tempfile.mkstemp(prefix="layerbench-predict-", suffix=".log")
            os.close(fd)
            self._process = ctx.Process(  # type: ignore[attr-defined]
                target=serve, args=(child, self._stderr), name="layerbench-predict", daemon=True)
            self._process.start()
            child.close()
            self._reader = threading.Thread(target=self._read, args=(self._conn, self._process),
                                            name="layerbench-predict-reader", daemon=True)
            self._reader.start()

    def request(self, graph: dict[str, Any], weights: bytes | str | None, x: np.ndarray,
                feature_maps: bool = False) -> int:
        self.start()
        self._next += 1
        self._conn.send(PredictRequest(self._next, graph, weights, np.asarray(x), feature_maps))
        return self._next

    def _read(self, conn: Any, process: Any) -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                if self._process is process:  # not closed by us: the process died
                    self._process = None
                    self.predicted.emit(PredictResult(-1, None, error=f"the prediction process ended ({self._tail()})"))
                return
            if isinstance(msg, PredictResult):
                self.predicted.emit(msg)

    def _tail(self) -> str:
        with contextlib.suppress(OSError), open(self._stderr, "rb") as f:
            return f.read()[-500:].decode(errors="replace").strip() or "no message"
        return "no message"

    def close(self) -> None:
        with self._lock:
            process, conn, self._process = self._process, self._conn, None
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            conn.send(None)
        process.join(timeout=3)
        if process.is_alive():
            process.kill()
            process.join(timeout=3)
        with contextlib.suppress(OSError):
            conn.close()
            os.unlink(self._stderr)

