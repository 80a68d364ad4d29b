"""Two local workers (127.0.0.1) under MultiWorkerMirroredStrategy through ``layerbench train`` end with identical
weights; the same command also trains and saves a run into the project on one machine."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.project.project import Project
from core.training.checkpoint import RunFolder
from core.training.messages import BatchEnd, EpochEnd, Finished
from tests.core.test_training import mlp, of, train

pytestmark = [pytest.mark.tf, pytest.mark.slow]

TIMEOUT = 400


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_project(path: Path, epochs: int = 2) -> Path:
    project = Project(graphs={"main": mlp(2, [8], 2)}, data={"source": "toy.xor", "options": {"samples": 256}},
                      training={"epochs": epochs, "batch_size": 32, "optimizer": {"learning_rate": 0.05}})
    project.save(path)
    return path


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from core.cli import main; sys.exit(main())", "train", *args]


def test_two_workers_end_with_identical_weights(tmp_path: Path) -> None:
    project = make_project(tmp_path / "xor.layerbench")
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    procs = []
    for index in range(2):
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="",
                   TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        args = command(str(project), "--strategy", "multi-worker", "--json", "--no-save",
                       "--weights-out", str(tmp_path / f"w{index}.npz"))
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err[-2000:]
        outputs.append(json.loads(out.strip().splitlines()[-1])["final"])
    assert outputs[0]["loss"] == pytest.approx(outputs[1]["loss"])
    with np.load(tmp_path / "w0.npz") as a, np.load(tmp_path / "w1.npz") as b:
        assert sorted(a.files) == ["dense_1#0", "dense_1#1", "dense_2#0", "dense_2#1"]
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])


WORKER = """
import dataclasses, json, sys, threading
from core.training.messages import BatchEnd, Checkpoint, Confusion, Device, EpochEnd, Gradients, Log, Weights
from core.training.worker import Job, run_job

class Control:
    stop, pause = threading.Event(), threading.Event()

stop_after = json.loads(sys.argv[2])
messages = []

def send(message):
    messages.append(message)
    if isinstance(message, EpochEnd) and message.epoch == stop_after:
        Control.stop.set()

result = run_job(Job(**json.loads(sys.argv[1])), send, Control())
kinds = {"gradients": Gradients, "weights": Weights, "confusion": Confusion, "epochs": EpochEnd,
         "checkpoints": Checkpoint, "device": Device, "logs": Log, "batches": BatchEnd}
summary = {name: [dataclasses.asdict(m) for m in messages if isinstance(m, kind)] for name, kind in kinds.items()}
summary["result"] = dataclasses.asdict(result)
print(json.dumps(summary, default=lambda a: a.tolist()))
"""


def run_workers(tmp_path: Path, config: dict[str, Any], data: dict[str, Any], resume: bool = False,
                stop_after: tuple[int | None, int | None] = (None, None)) -> list[dict[str, Any]]:
    """Two loopback workers running ``run_job`` on the same job, each into ``run<index>``; ``stop_after[i]``: worker
    i is asked to stop once that epoch has ended. Returns each worker's messages by kind and its result."""
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    procs = []
    for index in range(2):
        job = {"graph": mlp(2, [8], 2).to_dict(), "data": data, "config": config, "resume": resume,
               "run_dir": str(tmp_path / f"run{index}")}
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="",
                   TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(job), json.dumps(stop_after[index])],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    runs = []
    for proc in procs:
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err[-2000:]
        runs.append(json.loads(out.strip().splitlines()[-1]))
    return runs


def test_two_workers_send_the_monitors_and_stay_identical(tmp_path: Path) -> None:
    """Full-batch gradient descent on two workers with gradient norms every step: both report the same norms,
    and they are the norms of the whole batch's gradient, the one applied (‖w2 - w1‖ = lr · ‖g2‖ per layer).
    Both report the same accuracy, over the whole batch (a multiple of 1/102); the chief writes the checkpoint."""
    lr = 0.5
    config = {"epochs": 2, "optimizer": {"name": "gd", "learning_rate": lr}, "strategy": "multi-worker",
              "checkpoint_seconds": 0,
              "monitors": {"gradient_norms": True, "gradient_every": 1, "weight_histograms": True,
                           "update_ratios": True, "confusion_matrix": True, "tensorboard": True}}
    data = {"source": "toy.xor", "options": {"samples": 128}}
    runs = run_workers(tmp_path, config, data)
    first, second = runs
    for run in runs:  # before the first batch, as on the fit path
        (device,) = run["device"]
        assert (device["strategy"], device["replicas"]) == ("MultiWorkerMirroredStrategy", 2)
        assert device["device"].endswith("device:CPU:0")
    assert list((tmp_path / "run0" / "tensorboard").glob("events.out.tfevents.*"))  # the chief's event files
    assert not (tmp_path / "run1" / "tensorboard").exists()  # one set per run
    assert first["result"]["epochs_done"] == 2, first["result"]
    grads = first["gradients"]
    assert [g["step"] for g in grads] == [1, 2]
    assert grads[0]["layers"] == ["dense_1", "dense_2"]
    assert [g["norms"] for g in grads] == [g["norms"] for g in second["gradients"]]
    after_first, after_second = first["weights"]
    for layer, norm in zip(grads[1]["layers"], grads[1]["norms"]):
        step = after_second["update_ratios"][layer] * after_first["norms"][layer]  # ‖w2 - w1‖
        assert step == pytest.approx(lr * norm, rel=1e-3)
    assert [np.sum(c["matrix"]) for c in first["confusion"]] == [26, 26]  # the recipe's validation part (20%)
    with np.load(tmp_path / "run0" / "weights.npz") as a, np.load(tmp_path / "run1" / "weights.npz") as b:
        assert sorted(a.files) == ["dense_1#0", "dense_1#1", "dense_2#0", "dense_2#1"]
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])
    accuracy = [[e["logs"]["accuracy"] for e in run["epochs"]] for run in runs]
    assert accuracy[0] == accuracy[1]
    fit, fit_messages = train(tmp_path / "fit", mlp(2, [8], 2), data,
                              **{k: v for k, v in config.items() if k != "strategy"})
    assert isinstance(fit, Finished), fit  # one process, the whole batch: what both workers' halves add up to
    assert accuracy[0] == pytest.approx([e.logs["accuracy"] for e in of(fit_messages, EpochEnd)])
    assert all("val_accuracy" in e["logs"] for e in first["epochs"])
    assert [c["epoch"] for c in first["checkpoints"]] == [0, 1]
    assert RunFolder(tmp_path / "run0").state()["epoch"] == 2
    folder = RunFolder(tmp_path / "run0")
    with np.load(folder.checkpoint_layers) as saved, np.load(folder.layer_weights) as final:
        for key in final.files:
            np.testing.assert_array_equal(saved[key], final[key])
    assert not second["checkpoints"]
    assert not RunFolder(tmp_path / "run1").has_checkpoint()  # the other worker wrote to a temporary folder


def test_a_stopped_two_worker_run_resumes_from_the_chiefs_checkpoint(tmp_path: Path) -> None:
    """Worker 1 alone is asked to stop after the first epoch: both stop there (they agree at each epoch's end) and
    only the chief's folder holds a checkpoint. Resumed with ``resume=True``, both workers start from it (worker 1
    gets the chief's weights, momentum slots, epoch and step), count the epochs on and end with the weights of an
    uninterrupted run in one process (full batch: the same arithmetic)."""
    config = {"epochs": 3, "seed": 3, "batch_size": 102, "checkpoint_seconds": 0, "strategy": "multi-worker",
              "optimizer": {"name": "momentum", "learning_rate": 0.3, "momentum": 0.9}}
    data = {"source": "toy.xor", "options": {"samples": 128}}  # 102 training samples: one batch per epoch
    stopped = run_workers(tmp_path, config, data, stop_after=(None, 0))
    for run in stopped:
        assert (run["result"]["stopped"], run["result"]["epochs_done"]) == (True, 1), run["result"]
    assert RunFolder(tmp_path / "run0").state()["epoch"] == 1
    assert not RunFolder(tmp_path / "run1").has_checkpoint()
    resumed = run_workers(tmp_path, config, data, resume=True)
    for run in resumed:
        assert (run["result"]["stopped"], run["result"]["epochs_done"]) == (False, 3), run["result"]
        assert [e["epoch"] for e in run["epochs"]] == [1, 2]
        assert [b["step"] for b in run["batches"]] == [2, 3]
    assert any(log["text"] == "resumed after epoch 1" for log in resumed[0]["logs"])
    assert any(log["text"] == "resumed after epoch 1 (the chief's checkpoint)" for log in resumed[1]["logs"])
    reference, messages = train(tmp_path / "fit", mlp(2, [8], 2), data,
                                **{k: v for k, v in config.items() if k != "strategy"})
    assert isinstance(reference, Finished), reference
    losses = [b.logs["loss"] for b in of(messages, BatchEnd)]
    for run in resumed:  # the second epoch's loss: the checkpoint's weights, not fresh ones
        assert [b["logs"]["loss"] for b in run["batches"]] == pytest.approx(losses[1:], rel=1e-4)
    with np.load(tmp_path / "run0" / "weights.npz") as a, np.load(tmp_path / "run1" / "weights.npz") as b, \
            np.load(tmp_path / "fit" / "weights.npz") as ref:
        for key in ref.files:
            np.testing.assert_array_equal(a[key], b[key])
            np.testing.assert_allclose(a[key], ref[key], rtol=1e-4, atol=1e-6)


def test_train_command_resumes_a_two_worker_run_stopped_with_ctrl_c(tmp_path: Path) -> None:
    """``layerbench train --strategy multi-worker`` on two workers, each with its own copy of the project (as on two
    machines): Ctrl-C on the chief stops both after the same epoch and the chief keeps the run in its project;
    ``--resume`` continues it on both from the chief's checkpoint, though worker 1's project never held the run,
    for the chief's number of epochs (``--epochs`` given to the chief only)."""
    project = Project(graphs={"main": mlp(2, [8], 2)}, data={"source": "toy.xor", "options": {"samples": 2000}},
                      training={"epochs": 100, "batch_size": 16, "seed": 1})
    paths = [tmp_path / "chief" / "xor.layerbench", tmp_path / "worker" / "xor.layerbench"]
    for path in paths:
        path.parent.mkdir()
        project.save(path)

    def start(*extra: list[str]) -> list[subprocess.Popen[str]]:
        """Both workers, each with its project and its extra options (none when ``extra`` is empty)."""
        cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
        options = extra or ([], [])
        return [subprocess.Popen(command(str(path), "--strategy", "multi-worker", "--json", *options[index]),
                                 text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(
                                     os.environ, CUDA_VISIBLE_DEVICES="", TF_CONFIG=json.dumps(
                                         {"cluster": cluster, "task": {"type": "worker", "index": index}})))
                for index, path in enumerate(paths)]

    def finish(procs: list[subprocess.Popen[str]]) -> list[list[dict[str, Any]]]:
        outputs = []
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, err[-2000:]
            outputs.append([json.loads(line) for line in out.strip().splitlines()])
        return outputs

    procs = start()
    chief = procs[0]
    assert chief.stdout is not None
    assert json.loads(chief.stdout.readline())["epoch"] == 1  # the first epoch has ended
    chief.send_signal(signal.SIGINT)
    first = finish(procs)
    done = first[0][-1]["final"]["epochs"]
    for lines in first:
        assert (lines[-1]["final"]["stopped"], lines[-1]["final"]["epochs"]) == (True, done)
    assert done < 100
    run = Project.load(paths[0]).run(first[0][-1]["final"]["run"])
    assert run.status == "stopped"
    assert not Project.load(paths[1]).runs
    second = finish(start(["--resume", "--epochs", str(done + 2)], ["--resume"]))
    for lines in second:
        assert [line["epoch"] for line in lines[:-1]] == [done + 1, done + 2]
        assert (lines[-1]["final"]["stopped"], lines[-1]["final"]["epochs"]) == (False, done + 2)
    assert second[0][-1]["final"]["loss"] == pytest.approx(second[1][-1]["final"]["loss"])
    resumed = Project.load(paths[0])
    assert resumed.run(run.id).status == "finished"
    assert len(resumed.history(run.id)["epoch/loss"]) == done + 2


def test_train_command_saves_the_run(tmp_path: Path) -> None:
    project = make_project(tmp_path / "xor.layerbench", epochs=3)
    proc = subprocess.run(command(str(project), "--epochs", "2", "--json"), capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.strip().splitlines()]
    assert [line["epoch"] for line in lines[:-1]] == [1, 2]
    final = lines[-1]["final"]
    loaded = Project.load(project)
    run = loaded.run(final["run"])
    assert run.status == "finished"
    assert set(loaded.weights(run.id)) == {"dense_1", "dense_2"}
    assert len(loaded.history(run.id)["epoch/loss"]) == 2


def test_train_command_reports_a_bad_setting(tmp_path: Path) -> None:
    project = make_project(tmp_path / "xor.layerbench")
    proc = subprocess.run(command(str(project), "--device", "tpu"), capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    assert proc.returncode == 1
    assert "device" in proc.stderr


def test_ctrl_c_stops_at_the_next_batch_and_saves(tmp_path: Path) -> None:
    project = Project(graphs={"main": mlp(2, [8], 2)}, data={"source": "toy.xor", "options": {"samples": 4000}},
                      training={"epochs": 200, "batch_size": 8})
    path = tmp_path / "xor.layerbench"
    project.save(path)
    proc = subprocess.Popen(command(str(path), "--json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first epoch has ended
    assert json.loads(first)["epoch"] == 1
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err[-2000:]
    final = json.loads(out.strip().splitlines()[-1])["final"]
    assert final["stopped"] is True
    assert final["epochs"] < 200
    assert Project.load(path).run(final["run"]).status == "stopped"


@pytest.fixture
def float32_after() -> Iterator[None]:
    yield
    import keras

    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.usefixtures("float32_after")
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_one_worker_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str) -> None:
    """The loop honours ``mixed_precision``: layers compute in the policy's type (float16 is forced here: on a CPU
    the config gives bfloat16), float16 runs through a ``LossScaleOptimizer``, and the run still learns."""
    import keras

    from core.training import distributed
    from core.training.build import setup_device
    from core.training.messages import Checkpoint, Log

    def forced(device: str, mixed_precision: bool = False, virtual_cpus: int = 0) -> str:
        assert mixed_precision
        setup_device(device, mixed_precision, virtual_cpus)
        keras.mixed_precision.set_global_policy(policy)
        return policy

    scalers: list[object] = []

    class Spy(keras.optimizers.LossScaleOptimizer):  # type: ignore[misc]
        def __init__(self, inner: object, **kwargs: object) -> None:
            super().__init__(inner, **kwargs)
            scalers.append(self)

    monkeypatch.setattr(distributed, "setup_device", forced)
    monkeypatch.setattr(keras.optimizers, "LossScaleOptimizer", Spy)
    built: list[object] = []
    original = distributed.monitors.layer_groups
    monkeypatch.setattr(distributed.monitors, "layer_groups",
                        lambda model, variables: (built.append(model), original(model, variables))[1])
    result, messages = train(tmp_path, mlp(2, [16], 2), {"source": "toy.xor", "options": {"samples": 256}},
                             epochs=8, batch_size=32, optimizer={"learning_rate": 0.05}, mixed_precision=True,
                             strategy="multi-worker", monitors={"gradient_norms": True, "gradient_every": 3})
    assert isinstance(result, Finished), result
    assert any(f"mixed precision: {policy}" in m.text for m in of(messages, Log))
    (model,) = built
    assert model.layers[-1].compute_dtype == policy.removeprefix("mixed_")
    assert all(w.dtype == "float32" for w in model.weights)
    assert len(scalers) == (1 if policy == "mixed_float16" else 0)
    if scalers:
        assert int(scalers[0].iterations.numpy()) == 8 * 6  # 205 training samples: 6 batches of 32 per epoch
    epochs = of(messages, EpochEnd)
    assert epochs[-1].logs["loss"] < epochs[0].logs["loss"]
    assert epochs[-1].logs["accuracy"] > 0.8
    assert of(messages, Checkpoint)
    assert RunFolder(tmp_path).state()["epoch"] == 8


def test_loop_accuracy_matches_the_fit_path(tmp_path: Path) -> None:
    """Full-batch gradient descent: both paths score the same predictions, so the same training and validation
    accuracy per epoch (the loop's metric objects resolve ``accuracy`` as ``compile`` does)."""
    config = {"epochs": 3, "seed": 3, "optimizer": {"name": "gd", "learning_rate": 0.5}, "metrics": ["accuracy"]}
    data = {"source": "toy.xor", "options": {"samples": 64}}
    fit, fit_messages = train(tmp_path / "fit", mlp(2, [8], 2), data, **config)
    loop, loop_messages = train(tmp_path / "loop", mlp(2, [8], 2), data, strategy="multi-worker", **config)
    assert isinstance(fit, Finished), fit
    assert isinstance(loop, Finished), loop
    for a, b in zip(of(fit_messages, EpochEnd), of(loop_messages, EpochEnd), strict=True):
        assert b.logs["accuracy"] == pytest.approx(a.logs["accuracy"])
        assert b.logs["val_accuracy"] == pytest.approx(a.logs["val_accuracy"])
