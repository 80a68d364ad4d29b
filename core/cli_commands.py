"""The built-in sub-commands of ``layerbench``: open, new, templates, info, import, export."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from core.cli import UsageError, register_command
from core.graph.errors import GraphError
from core.project.errors import ProjectError
from core.project.project import Project

GAN_KINDS = {"gan_generator": "generator", "gan_discriminator": "discriminator"}
RL_KINDS = ("q_network", "policy")


def open_app(path: str | None) -> int:
    """Start the desktop app (``desktop.app.main``), optionally on a project file."""
    try:
        app = importlib.import_module("desktop.app")
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == "desktop" or exc.name.startswith("desktop.")):
            raise ProjectError("the desktop app is not installed; the sub-commands (layerbench --help) work "
                               "without it") from None
        raise ProjectError(f"the desktop app cannot start: {exc.name} is missing") from None
    run = getattr(app, "main", None)
    if run is None:
        raise ProjectError("the desktop app is not installed (desktop.app has no main)")
    return int(run([path] if path else []) or 0)


def _open(args: argparse.Namespace) -> int:
    if args.file is not None and not Path(args.file).is_file():
        raise ProjectError("no such file", args.file)
    return open_app(args.file)


def _templates(args: argparse.Namespace) -> int:
    from core.catalog.templates import list_templates

    for info in list_templates():
        print(f"{info.name:<28} {info.kind:<20} {info.title}")
    return 0


def _project_from_template(name: str) -> Project:
    from core.catalog import templates

    graph = templates.load_template(name)
    kind = next(t.kind for t in templates.list_templates() if t.name == name)
    if kind in GAN_KINDS:
        other_kind = "gan_discriminator" if kind == "gan_generator" else "gan_generator"
        candidates = [t.name for t in templates.list_templates() if t.kind == other_kind]
        twin = name.replace("generator", "discriminator") if kind == "gan_generator" else name.replace(
            "discriminator", "generator")  # dcgan_digits_generator pairs with dcgan_digits_discriminator
        partner = twin if twin in candidates else next(iter(candidates), None)
        graphs = {GAN_KINDS[kind]: graph}
        if partner is not None:
            graphs[GAN_KINDS[other_kind]] = templates.load_template(partner)
        project = Project("gan", name=name)
        project.graphs.update(graphs)
        return project
    return Project("rl" if kind in RL_KINDS else "supervised", {"main": graph}, name=name)


project_from_template = _project_from_template
"""Public name for the GUI's New dialog: a template as a project of the right kind (a GAN gets both graphs)."""


def _new(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix != ".layerbench":
        raise UsageError(f"the project file must end in .layerbench: {out}")
    if out.exists() and not args.force:
        raise ProjectError("already exists; use --force to replace it", str(out))
    project = _project_from_template(args.template) if args.template else Project(name=out.stem)
    project.save(out)
    print(f"created {out}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from core.cli_info import graph_report, print_report
    from core.training.orphans import recover_runs

    for note in recover_runs(args.file):  # runs of a killed `layerbench train` go into the file first
        print(note, file=sys.stderr, flush=True)
    project = Project.load(args.file)
    names = [args.graph] if args.graph else list(project.graphs)
    reports = {}
    for name in names:
        if name not in project.graphs:
            raise ProjectError(f"the project has no graph {name!r}; it has {', '.join(project.graphs)}")
        reports[name] = graph_report(project.graphs[name])
    if args.json:
        print(json.dumps({"file": str(args.file), "kind": project.kind, "graphs": reports}, indent=1))
    else:
        for name, report in reports.items():
            print_report(name, report, sys.stdout)
    return 0 if all(r["valid"] for r in reports.values()) else 1


@contextlib.contextmanager
def _tensorflow_logs_hidden(args: argparse.Namespace) -> Iterator[None]:
    """TensorFlow writes start-up logs straight to file descriptor 2, around our one-line messages: keep
    them aside and show them only with --debug or when the command fails unexpectedly."""
    if getattr(args, "debug", False):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        expected = False
        try:
            yield
            expected = True
        except (ProjectError, GraphError):  # a user error: its message says all there is to say
            expected = True
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if not expected:
                log.seek(0)
                sys.stderr.write(log.read().decode("utf-8", "replace"))


def _import(args: argparse.Namespace) -> int:
    from core.translate.from_keras import import_keras_file

    out = Path(args.out)
    if out.suffix != ".layerbench":
        raise UsageError(f"the project file must end in .layerbench: {out}")
    if out.exists() and not args.force:
        raise ProjectError("already exists; use --force to replace it", str(out))
    with _tensorflow_logs_hidden(args):
        project = import_keras_file(args.model)
    project.save(out)
    graph = project.main
    kept = sum(1 for n in graph.nodes if n.type == "KerasLayer")
    print(f"imported {len(graph)} layers ({kept} kept as Keras layers) into {out}")
    for note in project.run("imported").info.get("notes", []):
        print(f"note: {note}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from core.export import export_graph

    project = Project.load(args.file)
    graph_name = args.graph or next(iter(project.graphs))
    if graph_name not in project.graphs:
        raise ProjectError(f"the project has no graph {graph_name!r}; it has {', '.join(project.graphs)}")
    run = project.run(args.run) if args.run else project.latest_run(graph_name)
    with tempfile.TemporaryDirectory(prefix="layerbench-export-") as tmp:
        weights = None
        if run is not None and graph_name in run.weights:
            weights = Path(tmp) / "weights.npz"
            weights.write_bytes(project.weights_npz(run.id, graph_name))
            print(f"using the weights of run {run.id}")
        name = "".join(ch if ch.isalnum() else "_" for ch in (project.name or Path(args.file).stem)) or "model"
        with _tensorflow_logs_hidden(args):
            result = export_graph(project.graphs[graph_name].to_dict(), weights, args.out, args.format, name=name)
    for note in result.notes:
        print(f"note: {note}")
    for path in result.files:
        print(f"wrote {path}")
    return 0


def _args_open(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="a .layerbench project to open")


def _args_new(p: argparse.ArgumentParser) -> None:
    p.add_argument("--template", help="start from this template (see `layerbench templates`)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("out", help="the new project file, NAME.layerbench")


def _args_info(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a .layerbench project")
    p.add_argument("--graph", help="only this graph (main, generator, discriminator)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _args_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="a Keras model file (.keras or .h5)")
    p.add_argument("out", help="the project file to write, NAME.layerbench")
    p.add_argument("--force", action="store_true", help="replace an existing file")


def _args_export(p: argparse.ArgumentParser) -> None:
    from core.export.run import FORMATS

    p.add_argument("file", help="a .layerbench project")
    p.add_argument("--format", required=True, choices=FORMATS, help="what to write")
    p.add_argument("--out", "--output", dest="out", required=True, help="the output file (a folder for savedmodel)")
    p.add_argument("--run", help="use this run's weights (default: the latest finished run, else stopped)")
    p.add_argument("--graph", help="which graph to export (default: the first)")


def register_builtin() -> None:
    register_command("open", "start the desktop app, optionally on a project", _args_open, _open)
    register_command("new", "create a project, empty or from a template", _args_new, _new)
    register_command("templates", "list the bundled templates", lambda p: None, _templates)
    register_command("info", "layers, shapes, parameters, FLOPs and errors of a project", _args_info, _info)
    register_command("import", "turn a .keras or .h5 model into a project (weights kept)", _args_import, _import)
    register_command("export", "write a project's model as SavedModel, .keras, Python, TFLite or ONNX",
                     _args_export, _export)
