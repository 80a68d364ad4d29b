"""Training engine benchmarks, each against a baseline measured in the same run.

- The training step alone (``train_on_batch``), the engine's wrapper against the plain model, interleaved
  step by step: the same comparison without the epoch-to-epoch noise of a shared machine.
- Epoch time of the engine (its worker process as the GUI starts it: callback stream, messages through the
  pipe, checkpoints) against a plain Keras script (``compile`` + ``optimizer.build`` + ``fit``) in its own
  process, on the same small CNN and data, the two taking turns batch by batch (``tests.benchmarks.lockstep``)
  so that the machine's minute-to-minute drift hits both alike; the first epoch (tracing) and Keras's wait for
  its data iterator at each epoch's start (same call on both sides, shown in the row) are left out; the ratio
  is the median of the per-epoch ratios. Targets: throughput >= 0.97 of plain with monitors off (ratio <=
  1/0.97), >= 0.90 with gradient norms every step and feature maps every 50 steps (ratio <= 1/0.90).
- Start to first batch with a warm worker (spawned, TensorFlow imported): within 2 s for a small MLP.
- Stop latency: from ``stop()`` to the ``finished`` signal: within 1 s.
- Message throughput: seconds per message from a child process through the pipe and the reader thread to
  psygnal signals and history buffers (target: 10,000 messages per second or more).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from core.graph.model import Edge, Graph
from core.training.engine import TrainingEngine, TrainingRun
from core.training.messages import BatchEnd, Finished
from core.training.worker import Job
from tests.benchmarks import lockstep
from tests.benchmarks.common import Row, median

EPOCHS = 10
DATA = {"source": "shapes", "options": {"samples": 2400, "noise": 0.05}, "preprocess": {"validation": 0.0}}
EPOCH_DATA = {**DATA, "options": {"samples": 4800, "noise": 0.05}}
"""Epochs of 150 batches for the epoch rows: an epoch's start (Keras makes a new ``tf.data`` iterator) now and
then takes 100-500 ms on this machine, on either side; longer epochs dilute it."""
CONFIG: dict[str, Any] = {"epochs": EPOCHS, "batch_size": 32, "optimizer": {"name": "adam"}, "seed": 0}
OFF = {"nan_check": False}
ON = {"gradient_norms": True, "gradient_every": 1, "feature_maps": True, "feature_maps_every": 50}
FLOOD = 20_000


def chain(*layers: tuple[str, dict[str, Any]]) -> Graph:
    g = Graph()
    nodes = [g.add_node(g.make_node(type_id, params)) for type_id, params in layers]
    for a, b in itertools.pairwise(nodes):
        g.add_edge(Edge(a.id, b.id))
    return g


def cnn() -> Graph:
    return chain(("Input", {"shape": [28, 28, 1]}),
                 ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "activation": "relu"}),
                 ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "strides": [2, 2], "activation": "relu"}),
                 ("Flatten", {}), ("Dense", {"units": 32, "activation": "relu"}),
                 ("Dense", {"units": 4, "activation": "softmax"}))


def mlp() -> Graph:
    return chain(("Input", {"shape": [2]}), ("Dense", {"units": 16, "activation": "tanh"}),
                 ("Dense", {"units": 2, "activation": "softmax"}))


def plain_side(folder: str, first: bool, epochs: int) -> None:
    """The hand-written script, in its own process: the same model, optimizer and data through plain Keras
    (``compile`` + ``optimizer.build`` + ``fit``), taking turns with the engine (``tests.benchmarks.lockstep``)."""
    import keras

    from core.data.load import load_dataset
    from core.translate.to_keras import build_model

    keras.utils.set_random_seed(0)
    data = load_dataset(EPOCH_DATA)
    model = build_model(cnn())
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.optimizer.build(model.trainable_variables)
    model.fit(data.train.x, data.train.y, batch_size=32, epochs=epochs, verbose=0,
              callbacks=[lockstep.factory(Path(folder), "plain", first)()])


def lockstep_round(engine: TrainingEngine, monitors: dict[str, Any], plain_first: bool,
                   epochs: int = EPOCHS) -> dict[str, list[float]]:
    """One round, the engine's worker and the plain script taking turns: per side, its epoch times and its
    waits for Keras's data iterator at the epochs' starts (``tests.benchmarks.lockstep``)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lockstep.prepare(folder)
        plain = mp.get_context("spawn").Process(target=plain_side, args=(tmp, plain_first, epochs), daemon=True)
        plain.start()
        try:
            run = engine.start(cnn(), EPOCH_DATA, {**CONFIG, "epochs": epochs, "monitors": monitors}, folder / "run",
                               callbacks=(lockstep.factory(folder, "engine", not plain_first),))
            result = run.wait(900)
            plain.join(900)
        finally:
            if plain.is_alive():
                plain.kill()
        assert isinstance(result, Finished), result
        assert plain.exitcode == 0, f"the plain script failed (exit code {plain.exitcode})"
        return {"plain": lockstep.epoch_times(folder, "plain"), "engine": lockstep.epoch_times(folder, "engine"),
                "plain waits": lockstep.data_waits(folder, "plain"),
                "engine waits": lockstep.data_waits(folder, "engine")}


def epoch_rows(rounds: int = 4) -> list[Row]:
    """Epoch time of the engine (its worker process, stream, messages through the pipe, checkpoints) against
    the plain script, batch by batch in turns (``tests.benchmarks.lockstep``): every epoch of the engine is
    paired with the same epoch of the plain script, run interleaved with it. The ratio judged is the median
    of the per-epoch ratios over all rounds; which side starts alternates from round to round. Keras's wait
    for its data iterator at an epoch's start is left out of both sides and shown in the figure's text."""
    engine = TrainingEngine(warm=1)
    times: dict[str, dict[str, list[float]]] = {name: {} for name in ("off", "on")}
    try:
        for r in range(rounds):
            for name, monitors in (("off", OFF), ("on", ON)):
                for key, values in lockstep_round(engine, monitors, plain_first=r % 2 == 0).items():
                    times[name].setdefault(key, []).extend(values)
    finally:
        engine.close()

    def row(name: str, figure: str, target: str, max_ratio: float) -> Row:
        t = times[name]
        ratios = [e / p for e, p in zip(t["engine"], t["plain"], strict=True)]
        ours, plain = t["engine waits"], t["plain waits"]
        waits = (f"; left out of both, Keras's data iterator at epoch start: median {median(ours) * 1e3:.0f} /"
                 f" {median(plain) * 1e3:.0f} ms, max {max(ours):.1f} / {max(plain):.1f} s)")
        return Row(figure + waits, target, median(t["engine"]), baseline=median(t["plain"]), max_ratio=max_ratio,
                   repeats=len(ratios), paired_ratio=median(ratios))

    return [row("off", "epoch time, engine, monitors off (small CNN, batch-by-batch turns with plain Keras",
                "throughput >= 0.97 of plain Keras", 1 / 0.97),
            row("on", "epoch time, engine, grad norms every step + feature maps /50 (turns with plain Keras",
                "throughput >= 0.90 of plain Keras", 1 / 0.90)]


def step_rows(steps: int = 200) -> list[Row]:
    """The training step alone, interleaved step by step with the plain model's (robust to a busy machine):
    the engine's wrapper with the NaN guard, and with per-layer gradient norms as well."""
    import keras
    import numpy as np

    from core.training.monitors import attach_groups, monitored
    from core.translate.to_keras import build_model

    rng = np.random.default_rng(0)
    x, y = rng.random((32, 28, 28, 1), dtype="float32"), rng.integers(0, 4, 32)

    traces: dict[str, float] = {}

    def make(norms: bool | None, every: int = 1) -> Any:
        inner = build_model(cnn())
        model = inner if norms is None else monitored(inner, gradient_norms=norms, skip_nonfinite=True, every=every)
        model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.optimizer.build(model.trainable_variables)
        if model is not inner:
            attach_groups(model, inner)
        t0 = time.perf_counter()
        model.train_on_batch(x, y)  # traces the step
        traces[f"{norms}/{every}"] = time.perf_counter() - t0
        return model

    models = {"plain": make(None), "guard": make(False), "norms": make(True), "every10": make(True, 10)}
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(steps):
        for name, model in models.items():
            t0 = time.perf_counter()
            model.train_on_batch(x, y)
            times[name].append(time.perf_counter() - t0)
    base = median(times["plain"])
    return [Row("train step, NaN guard (interleaved with plain)", "<= 1.03x plain", median(times["guard"]),
                baseline=base, max_ratio=1.03, repeats=steps),
            Row("train step, NaN guard + per-layer grad norms", "<= 1.10x plain", median(times["norms"]),
                baseline=base, max_ratio=1.10, repeats=steps),
            Row("train step, NaN guard + grad norms every 10th step (tf.cond)", "<= 1.03x plain",
                median(times["every10"]), baseline=base, max_ratio=1.03, repeats=steps),
            Row("first step (tracing), grad norms every 10th (one step with tf.cond) vs the guard's step",
                "< 2x (a second traced step for the reporting steps would add about 1x)", traces["True/10"],
                baseline=traces["False/1"], max_ratio=2.0, repeats=1)]


def start_and_stop_rows(repeats: int = 3) -> list[Row]:
    engine = TrainingEngine(warm=1)
    firsts: list[float] = []
    stops: list[float] = []
    data = {"source": "toy.xor", "options": {"samples": 20000}}
    try:
        for _ in range(repeats):
            engine.pool.refill()
            engine.pool._idle[0].wait_ready(120)
            first = threading.Event()
            with tempfile.TemporaryDirectory() as run_dir:
                t0 = time.perf_counter()
                run = engine.start(mlp(), data, {"epochs": 50}, run_dir)
                run.batch_ended.connect(lambda m, flag=first: flag.set())
                first.wait(120)
                firsts.append(time.perf_counter() - t0)
                t1 = time.perf_counter()
                run.stop()
                result = run.wait(120)
                stops.append(time.perf_counter() - t1)
                assert isinstance(result, Finished), result
                assert result.stopped
    finally:
        engine.close()
    return [Row("start to first batch, warm worker (small MLP)", "<= 2 s", median(firsts), limit=2.0,
                repeats=len(firsts)),
            Row("stop latency (stop() to finished)", "<= 1 s", median(stops), limit=1.0, repeats=len(stops))]


def _flood(conn: Any, count: int) -> None:
    for i in range(count):
        conn.send(BatchEnd(0, i, i + 1, {"loss": 0.5, "accuracy": 0.9}, count))
    conn.send(Finished({}, 1, False, "", "", "cpu", 0.0, 0.0))
    conn.close()


class _FloodWorker:
    """Just enough of ``WorkerProcess`` for ``TrainingRun`` to read a flooding child."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe(duplex=True)
        self.stop, self.pause = threading.Event(), threading.Event()
        self.process: Any = ctx.Process(target=_flood, args=(child, FLOOD), daemon=True)  # type: ignore[attr-defined]
        self.process.start()
        child.close()

    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def kill(self) -> None:
        self.process.kill()

    def dispose(self) -> None:
        self.conn.close()

    def stderr_tail(self) -> str:
        return ""


def message_row() -> Row:
    worker = _FloodWorker()
    run = TrainingRun(Job({}, {}, {}, ""), worker)  # type: ignore[arg-type]
    stamps: list[float] = []
    run.batch_ended.connect(lambda m: stamps.append(time.perf_counter()))
    run.worker.conn.send = lambda job: None  # the flood needs no job
    run.start()
    run.wait(120)
    per_message = (stamps[-1] - stamps[0]) / max(1, len(stamps) - 1)  # child start-up left out
    return Row(f"message through pipe + reader + signal ({len(stamps)} msgs)", ">= 10,000 messages/s",
               per_message, limit=1e-4, repeats=len(stamps))


def run() -> list[Row]:
    return [*epoch_rows(), *step_rows(), *start_and_stop_rows(), message_row()]


if __name__ == "__main__":
    for row in run():
        print(row, "ok" if row.ok else "MISSED", f"ratio {row.ratio:.3f}" if row.ratio else "")
