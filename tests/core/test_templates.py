"""Bundled templates: listed, loaded with stable ids, valid, laid out left to right, and buildable in Keras."""

from __future__ import annotations

import re

import pytest

from core.catalog.templates import (
    TemplateInfo,
    UnknownTemplateError,
    list_templates,
    load_template,
    names,
    template_data,
)
from core.translate.shapes import infer_graph
from resources.templates import build

REQUIRED = {
    "mlp": (10,), "lenet_cnn": (10,), "resnet_block_cnn": (10,), "bottleneck_1x1": (10,),
    "simple_rnn_classifier": (1,), "lstm_classifier": (1,), "gru_classifier": (1,),
    "dcgan_generator": (28, 28, 1), "dcgan_discriminator": (1,), "dqn_qnetwork": (2,), "policy_network": (2,),
}  # fmt: skip


def test_every_required_template_is_listed_with_its_texts() -> None:
    listed = {t.name: t for t in list_templates()}
    assert set(REQUIRED) <= set(listed)
    for info in listed.values():
        assert isinstance(info, TemplateInfo)
        assert info.title
        assert len(info.description) > 40
        assert info.kind in {"classifier", "sequence_classifier", "gan_generator", "gan_discriminator",
                             "q_network", "policy"}


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_template_is_valid_with_the_expected_output(name: str) -> None:
    graph = load_template(name)
    info = infer_graph(graph)
    assert info.errors == []
    assert len(info.inputs) == 1
    assert [info.nodes[n].shape for n in info.outputs] == [REQUIRED[name]]
    assert info.total_params > 0


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_template_is_laid_out_left_to_right_without_overlap(name: str) -> None:
    graph = load_template(name)
    for edge in graph.edges:
        src, dst = graph.node(edge.src), graph.node(edge.dst)
        assert dst.x - src.x >= 200, (src.name, dst.name)
    positions = [(n.x, n.y) for n in graph.nodes]
    assert len(set(positions)) == len(positions)


def test_branches_sit_on_their_own_row() -> None:
    graph = load_template("bottleneck_1x1")
    merge = next(n for n in graph.nodes if n.type == "Add")
    rows = {graph.node(e.src).y for e in graph.in_edges(merge.id)}
    assert len(rows) == 2


def test_ids_are_stable_hex_and_the_same_on_every_load() -> None:
    first, again = load_template("lenet_cnn"), load_template("lenet_cnn")
    assert [n.id for n in first.nodes] == [n.id for n in again.nodes]
    assert [e.id for e in first.edges] == [e.id for e in again.edges]
    assert all(re.fullmatch(r"[0-9a-f]{32}", n.id) for n in first.nodes)


def test_committed_json_is_what_the_builder_writes() -> None:
    for make in build.TEMPLATES:
        template = make()
        path = build.FOLDER / f"{template.name}.json"
        assert path.read_text(encoding="utf-8") == build.render(template), "run python -m resources.templates.build"
    assert sorted(make().name for make in build.TEMPLATES) == names()


def test_loaded_graph_round_trips_to_the_file() -> None:
    data = template_data("resnet_block_cnn")
    assert load_template("resnet_block_cnn").to_dict() == data


@pytest.mark.parametrize("bad", ["nope", "../pyproject", "mlp.json", ""])
def test_unknown_template_is_refused(bad: str) -> None:
    with pytest.raises(UnknownTemplateError):
        load_template(bad)


def test_gan_templates_fit_together() -> None:
    from core.gan.check import check_gan

    shapes = check_gan(load_template("dcgan_generator"), load_template("dcgan_discriminator"))
    assert shapes.latent_dim == 100
    assert shapes.sample_shape == (28, 28, 1)


@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_template_builds_in_keras(name: str) -> None:
    from core.translate.to_keras import build_model

    graph = load_template(name)
    model = build_model(graph)
    assert model.count_params() == infer_graph(graph).total_params
    assert tuple(model.outputs[0].shape[1:]) == REQUIRED[name]
