"""``layerbench train FILE`` for GAN projects: prints the losses and the sample diversity as it trains.

Importing this module wraps the ``train`` command (as ``core.rl.cli`` does): a ``gan`` project is trained here,
any other goes to the previous handler. The run happens in this process, Ctrl-C stops it after the current
step, and the run (both networks' weights and the curves) is saved into the project; ``--export DIR``
also writes the generator as a SavedModel.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.gan.messages import GanDiversity, GanFinished, GanStep
from core.gan.project import gan_config, gan_data, history_arrays, store_run
from core.gan.record import GanCurves
from core.project.errors import ProjectError
from core.project.project import Project
from core.training.cli import register_trainer
from core.training.messages import Failed, Finished


class _Control:
    def __init__(self) -> None:
        self.stop, self.pause = threading.Event(), threading.Event()


def step_line(msg: GanStep) -> str:
    return (f"step {msg.step}  d_loss {msg.d_loss:.4f}  g_loss {msg.g_loss:.4f}  D(x) {msg.d_real:.3f}  "
            f"D(G(z)) {msg.d_fake:.3f}")


def _printer(curves: GanCurves, every: int) -> Callable[[Any], None]:
    def send(msg: Any) -> None:
        curves.add(msg)
        if isinstance(msg, GanStep) and (msg.step % every == 0 or msg.step == 1):
            print(step_line(msg), flush=True)
        elif isinstance(msg, GanDiversity):
            flag = "  (mode collapse?)" if msg.collapsed else ""
            print(f"step {msg.step}  diversity {msg.ratio:.2f} of the real data's  distance to data "
                  f"{msg.distance:.3f}{flag}", flush=True)
        elif isinstance(msg, GanFinished) and msg.export_path:
            print(f"exported the generator to {msg.export_path}", flush=True)

    return send


def train_gan_project(args: argparse.Namespace) -> int:
    """Train a GAN project headless; the run is saved into the project unless ``--no-save``."""
    from core.training.worker import Job, run_job

    path = project_path(args)
    project = Project.load(path)
    config = gan_config(project, steps=getattr(args, "steps", None), seed=getattr(args, "seed", None),
                        export_dir=getattr(args, "export", None))
    graphs = {role: project.graphs[role].to_dict() for role in ("generator", "discriminator")}
    curves = GanCurves()
    with tempfile.TemporaryDirectory(prefix="layerbench-gan-") as run_dir:
        job = Job(graphs, gan_data(project), config.to_dict(), run_dir, kind="gan")
        result = run_job(job, _printer(curves, max(1, getattr(args, "print_every", 1) or 1)), _Control())
        if isinstance(result, Failed):
            raise ProjectError(result.error, result.node)
        assert isinstance(result, Finished)
        if not getattr(args, "no_save", False):
            run_id = store_run(project, config, result, run_dir, history_arrays(curves.history, curves.diversity))
            project.save(path)
            print(f"saved run {run_id} into {path}", flush=True)
    return 0


def project_path(args: argparse.Namespace) -> Path:
    """The project file argument, whatever the ``train`` command named it."""
    for name in ("file", "project", "path"):
        value = getattr(args, name, None)
        if isinstance(value, str | Path):
            return Path(value)
    raise ProjectError("no project file given")


def _add(parser: argparse.ArgumentParser, *names: str, **kwargs: Any) -> None:
    with contextlib.suppress(argparse.ArgumentError):
        parser.add_argument(*names, **kwargs)


def add_gan_arguments(parser: argparse.ArgumentParser) -> None:
    _add(parser, "--steps", type=int, default=None, help="GAN: generator updates")
    _add(parser, "--seed", type=int, default=None, help="random seed")
    _add(parser, "--print-every", type=int, default=1, help="print every Nth step")
    _add(parser, "--no-save", action="store_true", help="do not save the run into the project")
    _add(parser, "--export", default=None, help="GAN: also write the trained generator as a SavedModel here")


register_trainer("gan", add_gan_arguments, train_gan_project)
