"""A ``layerbench train`` killed outright leaves its run folder beside the project; the next command on the
project adopts it as an ``interrupted`` run (never a live one, never a damaged one) and ``--resume`` goes on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.project.project import Project
from core.training import orphans
from core.training.checkpoint import RunFolder
from core.training.config import TrainingConfig
from core.training.history import History, write_npz
from core.training.messages import Finished
from core.training.runstore import new_record, status_text, why_not_resumable
from tests.core.test_training import mlp

ROOT = Path(__file__).resolve().parents[2]
XOR = {"source": "toy.xor", "options": {"samples": 200}}  # 160 training samples: 4 batches of 40 per epoch


def make_project(path: Path, epochs: int) -> Path:
    settings = {"epochs": epochs, "batch_size": 40, "checkpoint_seconds": 0, "optimizer": {"learning_rate": 0.05}}
    Project(graphs={"main": mlp(2, [8], 2)}, data=XOR, training=settings).save(path)
    return path


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process of ours that is not this one (stands for another command's owner)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    yield proc
    proc.kill()
    proc.wait()


# ---- orphan folders laid out by hand (no TensorFlow) --------------------------------------------------------
def orphan(project_path: Path, epochs_done: int = 2, pid: int | None = None, **owner: Any) -> Path:
    """A run folder as a killed ``layerbench train`` leaves it after ``epochs_done`` epochs of 4 batches."""
    project = Project.load(project_path)
    config = TrainingConfig.from_dict(project.training)
    folder = orphans.runs_root(project_path) / "a1b2c3d4e5f6"
    folder.mkdir(parents=True)
    me = orphans._me() | {"pid": pid if pid is not None else dead_pid(), "started": None} | owner
    (folder / orphans.OWNER).write_text(json.dumps(me), encoding="utf-8")
    record = new_record(project, config, folder, project.main.to_dict(), dict(project.data))
    orphans.LiveRun(folder, recoverable=True).describe(record, resumed=False)
    run = RunFolder(folder)
    if epochs_done:
        layers = {f"{n.name}#{i}": np.full((2, 2), float(epochs_done) + i, "float32")
                  for n in project.main.nodes if n.type == "Dense" for i in range(2)}
        np.savez(run.checkpoint_layers, **layers)  # type: ignore[arg-type]
        np.savez(run.optimizer, v0=np.array(epochs_done), v1=np.ones(3))  # type: ignore[arg-type]
        history = History()
        for step in range(1, 4 * epochs_done + 1):
            history.batch.add(step, {"loss": 1.0 / step})
        for epoch in range(1, epochs_done + 1):
            history.epoch.add(epoch, {"loss": 1.0 / epoch, "accuracy": 0.5})
        write_npz(run.history, history.arrays())
        run.write_state(epoch=epochs_done, step=4 * epochs_done, partial=False)
    return folder


def test_an_orphan_becomes_an_interrupted_run_that_resumes(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=5)
    orphan(path, epochs_done=2)
    [note] = orphans.recover_runs(path)
    project = Project.load(path)
    [run] = project.runs
    assert run.status == "interrupted" and status_text(run) == "interrupted at epoch 2/5"
    assert note.startswith(f"recovered run {run.label} (interrupted at epoch 2/5)")
    assert f"--resume {run.id}" in note
    assert why_not_resumable(run) is None  # --resume continues it like a stopped run
    assert run.info["checkpoint"] == {"epoch": 2, "step": 8, "partial": False}
    assert run.info["epochs"] == 2 and run.info["batches"] == 4
    assert run.info["logs"] == {"loss": 0.5, "accuracy": 0.5}
    assert float(project.weights(run.id, checkpoint="last")["dense_1"][0][0, 0]) == 2.0
    assert list(project.optimizer_state(run.id)) == ["v0", "v1"]
    assert list(project.history(run.id)["epoch/x"]) == [1.0, 2.0]
    assert not orphans.runs_root(path).exists()  # the folder went once the run was in the file
    assert orphans.recover_runs(path) == []


def test_a_live_owner_keeps_its_folder(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=5)
    folder = orphan(path, pid=sleeper.pid, started=orphans._start_ticks(sleeper.pid))
    assert orphans.recover_runs(path) == []
    assert folder.is_dir() and Project.load(path).runs == []
    sleeper.kill()
    sleeper.wait()
    assert len(orphans.recover_runs(path)) == 1  # its owner is gone now
    assert [r.status for r in Project.load(path).runs] == ["interrupted"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process start times are read from /proc")
def test_a_reused_pid_or_a_reboot_does_not_pass_for_the_owner(tmp_path: Path,
                                                                sleeper: subprocess.Popen[bytes]) -> None:
    started = orphans._start_ticks(sleeper.pid)
    assert started is not None
    me = orphans._me()
    assert orphans.owner_alive(me | {"pid": sleeper.pid, "started": started})
    assert not orphans.owner_alive(me | {"pid": sleeper.pid, "started": started - 1})  # the pid went to another
    if me["boot"]:
        assert not orphans.owner_alive(me | {"pid": sleeper.pid, "started": started, "boot": "before-reboot"})
    assert orphans.owner_alive(me | {"pid": dead_pid(), "host": "another-machine"})  # cannot tell: hands off


@pytest.mark.skipif(not hasattr(os, "waitid") or not Path("/proc/self/stat").exists(), reason="Linux")
def test_a_killed_owner_not_yet_reaped_is_gone() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, left a zombie (os.kill(pid, 0) succeeds)
    try:
        assert not orphans.pid_alive(proc.pid)
    finally:
        proc.wait()
    assert orphans.pid_alive(os.getpid())


def test_a_folder_another_command_is_adopting_is_left_to_it(tmp_path: Path,
                                                            sleeper: subprocess.Popen[bytes]) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=5)
    folder = orphan(path)
    claimed = folder.rename(folder.with_name(f"{folder.name}~{sleeper.pid}"))
    assert orphans.recover_runs(path) == []
    assert claimed.is_dir()
    sleeper.kill()
    sleeper.wait()
    assert len(orphans.recover_runs(path)) == 1  # that command died: its claim is taken over
    assert len(Project.load(path).runs) == 1


def test_a_damaged_orphan_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=5)
    folder = orphan(path)
    weights = RunFolder(folder).checkpoint_layers
    weights.write_bytes(weights.read_bytes()[:100])  # truncated, as by a full disk
    before = path.read_bytes()
    for _ in range(2):  # reported every time, never a crash
        [note] = orphans.recover_runs(path)
        assert note.startswith("a killed run's folder could not be read (")
        assert "it is left as it is" in note
    assert path.read_bytes() == before  # the project file untouched
    [left] = list(orphans.runs_root(path).iterdir())  # claimed (renamed) but with every file as it was
    assert {p.name for p in left.iterdir()} >= {"owner.json", "record.json", "state.json", "history.npz"}
    assert (left / "checkpoint-weights.npz").stat().st_size == 100


def test_a_run_killed_before_its_first_checkpoint_leaves_nothing(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=5)
    orphan(path, epochs_done=0)
    [note] = orphans.recover_runs(path)
    assert "before its first new checkpoint" in note
    assert Project.load(path).runs == [] and not orphans.runs_root(path).exists()


def test_a_run_killed_while_saving_keeps_its_real_end(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=2)
    folder = orphan(path, epochs_done=2)
    np.savez(RunFolder(folder).layer_weights, **{"dense_1#0": np.zeros((2, 8))})  # type: ignore[arg-type]
    result = Finished({"loss": 0.25}, 2, False, "", "", "CPU", 1.5, 3.0, {"loss": 0.3})
    orphans.LiveRun(folder, recoverable=True).note_result(result)
    orphans.recover_runs(path)
    [run] = Project.load(path).runs
    assert run.status == "finished" and run.info["test_logs"] == {"loss": 0.3} and not run.checkpoints


def test_a_live_run_of_this_process_is_not_adopted(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=5)
    with orphans.run_folder(path) as live:
        assert live.recoverable and live.path.parent == orphans.runs_root(path)
        assert json.loads((live.path / orphans.OWNER).read_text())["pid"] == os.getpid()
        assert orphans.recover_runs(path) == []
        assert live.path.is_dir()
    assert not orphans.runs_root(path).exists()  # nothing worth keeping: removed with its root
    with orphans.run_folder(path, recoverable=False) as scratch:  # --no-save: a temporary folder, as before
        assert not scratch.recoverable and scratch.path.parent != orphans.runs_root(path)
    assert not scratch.path.exists()


# ---- a real `layerbench train` killed with SIGKILL ----------------------------------------------------------
def start_training(path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-m", "core.cli", "train", str(path), *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_checkpoint(proc: subprocess.Popen[str], path: Path) -> Path:
    """The live run's folder once its first checkpoint is complete (``state.json`` is written last)."""
    deadline = time.monotonic() + 240  # a generous bound for a loaded machine; not what the test measures
    while time.monotonic() < deadline:
        states = list(orphans.runs_root(path).glob("*/state.json"))
        if states:
            return states[0].parent
        if proc.poll() is not None:
            pytest.fail(f"the training process ended early: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("no checkpoint was written")


def sigkill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if proc.stderr:
        proc.stderr.close()


@pytest.mark.tf
@pytest.mark.slow
def test_killed_cli_run_is_adopted_and_resumed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core import cli

    path = make_project(tmp_path / "p.layerbench", epochs=10_000)
    proc = start_training(path)
    folder = wait_for_checkpoint(proc, path)
    sigkill(proc)
    assert Project.load(path).runs == []  # the killed process saved nothing
    done = int(RunFolder(folder).state()["epoch"])
    assert done >= 1

    assert cli.main(["train", str(path), "--resume", "--epochs", str(done + 2)]) == 0
    err = capsys.readouterr().err
    assert f"(interrupted at epoch {done}/10000)" in err and "recovered run" in err
    assert f"after epoch {done} of {done + 2}" in err
    project = Project.load(path)
    [run] = project.runs  # adopted, then continued as the same run
    assert run.status == "finished" and run.info["resumed"] == 1
    assert run.info["epochs"] == done + 2 and run.info["batches"] == 4
    history = project.history(run.id)
    assert list(history["epoch/x"]) == [float(e) for e in range(1, done + 3)]
    assert np.all(np.diff(history["batch/x"]) > 0)
    assert not orphans.runs_root(path).exists()


@pytest.mark.tf
@pytest.mark.slow
def test_a_live_cli_run_is_left_to_its_process_then_info_adopts_it(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=10_000)
    proc = start_training(path)
    try:
        folder = wait_for_checkpoint(proc, path)
        assert orphans.recover_runs(path) == []  # this test's process is a second command on the project
        info = subprocess.run([sys.executable, "-m", "core.cli", "info", str(path)], cwd=ROOT, capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        assert info.returncode == 0 and "recovered" not in info.stderr
        assert folder.is_dir() and Project.load(path).runs == [] and proc.poll() is None
    finally:
        sigkill(proc)
    info = subprocess.run([sys.executable, "-m", "core.cli", "info", str(path)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert info.returncode == 0
    [line] = [x for x in info.stderr.splitlines() if "recovered run" in x]
    assert "from a killed `layerbench train`; resume it with: layerbench train" in line
    [run] = Project.load(path).runs
    assert run.status == "interrupted" and why_not_resumable(run) is None
    assert not orphans.runs_root(path).exists()


def crash_after_one_epoch(path: Path) -> Path:
    """A run folder of this process holding one epoch's checkpoint when the command raises (a second Ctrl-C)."""
    made = orphan(path, epochs_done=1)  # the checkpoint files of one epoch, moved into the live folder
    (made / orphans.OWNER).unlink()
    with orphans.run_folder(path) as live:
        for file in made.iterdir():
            file.replace(live.path / file.name)
        made.rmdir()
        raise KeyboardInterrupt


def test_a_run_that_raised_before_it_was_stored_is_kept_for_the_next_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_project(tmp_path / "p.layerbench", epochs=5)
    with pytest.raises(KeyboardInterrupt):
        crash_after_one_epoch(path)
    assert "the run so far is kept in" in capsys.readouterr().err
    [folder] = list(orphans.runs_root(path).iterdir())
    assert (folder / "state.json").exists()
    [note] = orphans.recover_runs(path)  # this process's pid, but no longer its live run
    assert "(interrupted at epoch 1/5)" in note
    assert not folder.exists() and [r.status for r in Project.load(path).runs] == ["interrupted"]
