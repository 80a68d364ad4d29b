"""Predictions in a worker process, so the window never imports TensorFlow.

``Predictor`` (parent side) starts one spawned process on first use; it imports TensorFlow once and then
answers ``PredictRequest``s in order: build the graph (kept while the same graph and weights are asked
for), load the weights, call the model directly on the inputs (never ``.predict``), and optionally return
the outputs of every convolution layer for the first input (feature maps of a chosen sample). Answers
arrive on the ``predicted`` psygnal signal, emitted from a reader thread.

A model whose output has its input's shape (an autoencoder, a denoiser) is shown as reconstructions:
``reconstructs_input`` tells, ``reconstruction_errors`` gives each sample's mean squared error and
``image_shape`` how to draw a sample as a picture.

A request may carry the run's data recipe: the worker then derives the data's preprocessing from it the way
training does (scaling statistics of the training part, class names, task; cached on disk per recipe by
``core.data.preparation``) and returns the class names and task with the answer. A loaded file's contents
(``raw="image"``: pixels 0..255 fitted to the input; ``raw="table"``: a CSV row's numbers) are brought to
the source's pixel range and scaled with those statistics before the model sees them, so they are prepared
exactly like training data; the prepared array comes back as ``inputs``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import multiprocessing as mp
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

if TYPE_CHECKING:
    from core.data.preparation import Preparation

START_METHOD = "spawn"


@dataclass(frozen=True)
class PredictRequest:
    """``weights``: ``.npz`` bytes by layer name (as projects store them) or a path (``.npz``/``.weights.h5``)."""

    id: int
    graph: dict[str, Any]
    weights: bytes | str | None
    x: np.ndarray
    feature_maps: bool = False
    recipe: dict[str, Any] | None = None
    """The run's data recipe (JSON): class names, task and, for ``raw`` inputs, the scaling come from it."""
    raw: str = ""
    """``""``: ``x`` is prepared already (samples of the project's data); ``image`` or ``table``: a file's values."""


@dataclass(frozen=True)
class PredictResult:
    id: int
    outputs: np.ndarray | None
    features: dict[str, np.ndarray] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0
    inputs: np.ndarray | None = None
    """What the model was given, when the worker prepared a raw input."""
    classes: list[str] | None = None
    task: str = ""
    """``classification`` or ``regression`` as the recipe's data says; empty without a readable recipe."""
    note: str = ""


def prepare_input(x: np.ndarray, kind: str, prep: Preparation | None) -> tuple[np.ndarray, str]:
    """A file's values (a batch) prepared like the training data: pixels to the source's range, then scaled."""
    from core.data.load import _scale
    from core.data.recipe import Split
    from core.data.sample_file import to_range

    if prep is None:
        return np.asarray(x, "float32"), "used as they are (the run has no data recipe to scale them like)"
    notes = []
    if kind == "image" and prep.pixel_range != (0.0, 255.0):
        x = to_range(x, prep.pixel_range)
        notes.append(f"pixels 0..255 mapped to {prep.pixel_range[0]:g}..{prep.pixel_range[1]:g} like the data")
    scaled = _scale(Split(np.asarray(x, "float32"), np.zeros(len(x))), prep.stats).x  # training's own step
    if prep.stats:
        notes.append(f"scaled like the training data ({prep.scaling})")
    return np.asarray(scaled, "float32"), "; ".join(notes)


def reconstructs_input(graph: dict[str, Any], loss: str = "mse") -> bool:
    """Whether the graph rebuilds its input: its one output has the shape of its one input (pure Python
    shape inference) and it is not trained as a classifier (a 2-feature, 2-class model is no autoencoder)."""
    from core.data.check import graph_io
    from core.training.config import CLASSIFICATION_LOSSES

    if loss in CLASSIFICATION_LOSSES:
        return False
    from core.data.errors import DataError
    from core.graph.errors import GraphError
    from core.graph.model import Graph

    try:
        _, in_shape, _, out_shape = graph_io(Graph.from_dict(graph))
    except (DataError, GraphError, KeyError, TypeError, ValueError):
        return False
    return len(in_shape) > 0 and tuple(in_shape) == tuple(out_shape)


def reconstruction_errors(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean squared error of each sample's reconstruction ``y`` against its input ``x`` (float64)."""
    a, b = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    if a.shape != b.shape:
        raise ValueError(f"the output has shape {b.shape[1:]} but the input {a.shape[1:]}")
    errors: np.ndarray = ((a - b) ** 2).reshape(len(a), -1).mean(axis=1)
    return errors


def image_shape(shape: tuple[int, ...], declared: tuple[int, ...] | None = None) -> tuple[int, ...] | None:
    """How a sample of ``shape`` is drawn: the data's declared image shape when its size matches, an
    (h, w), (h, w, 1) or (h, w, 3) sample as it is, a flat vector of a square size as a square; else None."""
    size = int(np.prod(shape)) if shape else 0
    if declared and int(np.prod(declared)) == size:
        return tuple(int(d) for d in declared)
    if len(shape) == 2 or (len(shape) == 3 and shape[-1] in (1, 3)):
        return tuple(shape)
    if len(shape) == 1:
        side = math.isqrt(size)
        if side >= 2 and side * side == size:
            return (side, side)
    return None


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
    from core.data.errors import DataError

    started = time.perf_counter()
    try:
        prep = _preparation(req)
        x, note = np.asarray(req.x), ""
        if req.raw:
            x, note = prepare_input(x, req.raw, prep)
        model = models.get(req)
        outputs = np.asarray(model(x, training=False))
        features: dict[str, np.ndarray] = {}
        if req.feature_maps:
            features = _feature_maps(model, models, x[:1])
        return PredictResult(req.id, outputs, features, seconds=time.perf_counter() - started,
                             inputs=x if req.raw else None, classes=prep.classes if prep else None,
                             task=prep.task if prep else "", note=note)
    except Exception as exc:  # a refusal for the panel, never a crash of the server
        text = exc.message if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
        return PredictResult(req.id, None, error=text[:2000], seconds=time.perf_counter() - started)


def _preparation(req: PredictRequest) -> Preparation | None:
    """The recipe's preparation; unreadable data refuses a raw input (it could not be scaled like training)."""
    from core.data.errors import DataError
    from core.data.preparation import preparation

    if not req.recipe or not req.recipe.get("source"):
        return None
    try:
        return preparation(req.recipe)  # from the disk cache unless the recipe or its files changed
    except (DataError, OSError, ValueError) as exc:
        if not req.raw:
            return None  # a prepared sample needs nothing from the recipe but its class names
        reason = exc.message if isinstance(exc, DataError) else str(exc)
        raise DataError(f"the file cannot be prepared like the training data: reading that data failed ({reason})",
                        "data") from None


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
                feature_maps: bool = False, recipe: dict[str, Any] | None = None, raw: str = "") -> int:
        self.start()
        self._next += 1
        self._conn.send(PredictRequest(self._next, graph, weights, np.asarray(x), feature_maps, recipe, raw))
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

