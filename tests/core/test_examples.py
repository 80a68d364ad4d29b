"""The concept gallery: every example loads, validates, has data that fits its graph, and trains a step."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from core.data.load import load_dataset
from core.gan.config import GanConfig
from core.project.project import Project, resolve_data_paths
from core.rl.config import RLConfig
from core.training.config import TrainingConfig
from core.training.messages import Finished
from core.training.worker import Job, run_job
from core.translate.shapes import infer_graph
from resources.examples import folder, list_examples
from resources.examples.build import project_of
from resources.examples.catalog import BUILDERS

EXAMPLES = list_examples()
SUPERVISED = [e for e in EXAMPLES if e.kind == "supervised"]
IDS = [e.name for e in EXAMPLES]


def test_gallery_has_every_idea_and_the_digits_cnn() -> None:
    assert len(EXAMPLES) == 21
    assert (folder() / "cnn_digits.layerbench").is_file()
    assert {e.kind for e in EXAMPLES} == {"supervised", "gan", "rl"}
    assert all(len(e.title) >= 5 and len(e.description) > 80 for e in EXAMPLES)


def settled(project: dict[str, Any]) -> dict[str, Any]:
    """The project with its settings passed through their config classes: a setting added to the engine
    after the file was written takes its default on both sides."""
    training = dict(project["training"])
    if project["kind"] == "supervised":
        training.update(TrainingConfig.from_dict({k: v for k, v in training.items() if k != "example"}).to_dict())
    elif project["kind"] == "rl":
        training["rl"] = RLConfig.model_validate(training["rl"]).model_dump(mode="json")
    else:
        training["gan"] = GanConfig.from_dict(training["gan"]).to_dict()
    data = resolve_data_paths(project["data"], folder())  # loading makes a path beside the project absolute
    return {**project, "training": training, "data": data, "app_version": ""}


def test_committed_files_are_what_the_script_writes() -> None:
    for build in BUILDERS:
        example = build()
        on_disk = Project.load(folder() / f"{example.name}.layerbench").to_dict()
        assert settled(on_disk) == settled(project_of(example).to_dict()), example.name
    index = json.loads((folder() / "index.json").read_text(encoding="utf-8"))
    assert [e["name"] for e in index["examples"]] == [b().name for b in BUILDERS]


@pytest.mark.parametrize("info", EXAMPLES, ids=IDS)
def test_example_loads_and_validates(info: Any) -> None:
    project = Project.load(info.path)
    assert project.kind == info.kind
    assert project.name == info.title
    assert project.training["example"]["description"] == info.description
    for name, graph in project.graphs.items():
        report = infer_graph(graph)
        assert report.ok, f"{info.name}/{name}: {[e.message for e in report.errors]}"


def _dataset(project: Project, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(folder())  # the autoencoder's .npz is named relative to the examples folder
    return load_dataset(project.data)


@pytest.mark.parametrize("info", SUPERVISED, ids=[e.name for e in SUPERVISED])
def test_data_matches_the_graph(info: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project.load(info.path)
    config = TrainingConfig.from_dict({k: v for k, v in project.training.items() if k != "example"})
    data = _dataset(project, monkeypatch)
    report = infer_graph(project.main)
    (inp,), (out,) = report.inputs, report.outputs
    assert tuple(report.nodes[inp].shape or ()) == data.input_shape
    units = (report.nodes[out].shape or ())[-1]
    if data.task == "classification":
        assert config.is_classifier
        expected = 1 if config.loss == "binary_crossentropy" else data.num_classes
        assert units == expected
    else:
        assert not config.is_classifier
        assert (units,) == data.label_shape


def test_rl_and_gan_settings_validate() -> None:
    for info in EXAMPLES:
        project = Project.load(info.path)
        if info.kind == "rl":
            RLConfig.model_validate(project.training["rl"])
        elif info.kind == "gan":
            GanConfig.from_dict(project.training["gan"])
            assert project.data["source"] == "gan.ring"


class Flags:
    """What the worker polls: stop and pause, never set here."""

    def __init__(self) -> None:
        self.stop, self.pause = threading.Event(), threading.Event()


def quick(config: dict[str, Any]) -> dict[str, Any]:
    """One epoch of at most two batches, no monitors (the effects need the full run, not a unit test)."""
    return {**config, "epochs": 1, "batch_size": 32, "monitors": {"nan_check": True}, "device": "cpu"}


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("info", SUPERVISED, ids=[e.name for e in SUPERVISED])
def test_example_trains_one_step(info: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project.load(info.path)
    config = quick({k: v for k, v in project.training.items() if k != "example"})
    data = {**project.data, "preprocess": {**project.data.get("preprocess", {}), "limit": 64}}
    monkeypatch.chdir(folder())
    messages: list[Any] = []
    result = run_job(Job(project.main.to_dict(), data, config, str(tmp_path)), messages.append, Flags())
    assert isinstance(result, Finished), result
    assert result.epochs_done == 1


@pytest.mark.parametrize("info", SUPERVISED, ids=[e.name for e in SUPERVISED])
def test_every_variant_applies_and_still_validates(info: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from resources.examples.variants import apply_variant

    for variant in Project.load(info.path).training["example"]["variants"]:
        project = apply_variant(Project.load(info.path), variant)
        report = infer_graph(project.main)
        assert report.ok, f"{info.name}/{variant['label']}: {[e.message for e in report.errors]}"
        TrainingConfig.from_dict({k: v for k, v in project.training.items() if k != "example"})
        data = _dataset(project, monkeypatch)
        assert tuple(report.nodes[report.inputs[0]].shape or ()) == data.input_shape


def test_variant_for_every_layer_keeps_the_output_layer() -> None:
    from resources.examples.variants import apply_variant

    project = Project.load(folder() / "vanishing_gradients.layerbench")
    variant = project.training["example"]["variants"][0]
    dense = [n for n in apply_variant(project, variant).main.nodes if n.type == "Dense"]
    assert {n.params["activation"] for n in dense[:-1]} == {"relu"}
    assert dense[-1].params["activation"] == "softmax"


def _short_rl(project: Project) -> dict[str, Any]:
    config = dict(project.training["rl"])
    agent = dict(config["agent"])
    budget = "total_steps" if agent["kind"] == "dqn" else "episodes"
    agent[budget] = 40 if budget == "total_steps" else 3
    if agent["kind"] == "dqn":
        agent.update(learning_starts=8, batch_size=8)
    return {**config, "agent": agent}


RUN_KIND_EXAMPLES = [e for e in EXAMPLES if e.kind != "supervised"]


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("info", RUN_KIND_EXAMPLES, ids=[e.name for e in RUN_KIND_EXAMPLES])
def test_rl_and_gan_examples_run_a_few_steps(info: Any, tmp_path: Path) -> None:
    from core.training.messages import Failed

    project = Project.load(info.path)
    if info.kind == "gan":
        config = {**project.training["gan"], "steps": 2, "sample_every": 1, "gradients_every": 1}
        graphs = {name: g.to_dict() for name, g in project.graphs.items()}
        job = Job(graphs, project.data, config, str(tmp_path), kind="gan")  # type: ignore[arg-type]
    else:
        graph = project.main.to_dict() if len(project.main) else None
        job = Job(graph, {}, _short_rl(project), str(tmp_path), kind="rl")  # type: ignore[arg-type]
    messages: list[Any] = []
    result = run_job(job, messages.append, Flags())
    assert not isinstance(result, Failed), result


def test_activation_variant_changes_the_hidden_layers() -> None:
    from resources.examples.variants import apply_variant

    project = Project.load(folder() / "activations.layerbench")
    sigmoid = project.training["example"]["variants"][0]
    dense = [n for n in apply_variant(project, sigmoid).main.nodes if n.type == "Dense"]
    assert [n.params["activation"] for n in dense] == ["sigmoid", "sigmoid", "softmax"]
