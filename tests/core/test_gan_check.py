"""The generator/discriminator pair check (pure Python, no TensorFlow)."""

from __future__ import annotations

import pytest

from core.gan.check import GanShapeError, check_gan
from core.gan.presets import chain, dcgan_digits, dense_2d
from core.graph.errors import GraphError


def test_presets_fit_together() -> None:
    shapes = check_gan(*dcgan_digits(latent_dim=12))
    assert shapes.latent_dim == 12
    assert shapes.sample_shape == (8, 8, 1)
    assert check_gan(*dense_2d()).sample_shape == (2,)


def test_mismatched_sample_shapes_are_refused_with_both_shapes_named() -> None:
    generator, _ = dense_2d(data_dim=3)
    _, discriminator = dense_2d(data_dim=2)
    with pytest.raises(GanShapeError) as info:
        check_gan(generator, discriminator)
    assert "(3,)" in info.value.message
    assert "(2,)" in info.value.message
    assert info.value.node_id is not None  # the generator's output node is marked


def test_image_mismatch_names_both_image_shapes() -> None:
    generator, _ = dcgan_digits()
    discriminator = chain([("Input", {"shape": [28, 28, 1]}), ("Flatten", {}), ("Dense", {"units": 1})])
    with pytest.raises(GanShapeError, match=r"\(8, 8, 1\).*\(28, 28, 1\)"):
        check_gan(generator, discriminator)


def test_latent_size_must_match_the_generator_input() -> None:
    with pytest.raises(GanShapeError, match=r"latent size is 5.*\(8,\)"):
        check_gan(*dense_2d(latent_dim=8), latent_dim=5)


def test_generator_input_must_be_a_vector() -> None:
    generator = chain([("Input", {"shape": [4, 4]}), ("Flatten", {}), ("Dense", {"units": 2})])
    with pytest.raises(GanShapeError, match=r"latent vector.*\(4, 4\)"):
        check_gan(generator, dense_2d()[1])


def test_discriminator_must_output_one_value() -> None:
    discriminator = chain([("Input", {"shape": [2]}), ("Dense", {"units": 2})])
    with pytest.raises(GanShapeError, match=r"one value.*\(2,\)"):
        check_gan(dense_2d()[0], discriminator)


def test_an_invalid_network_is_reported_by_role() -> None:
    generator, discriminator = dense_2d()
    discriminator.add_node(discriminator.make_node("Dense", {"units": 4}))  # unconnected: no input
    with pytest.raises(GraphError, match="discriminator is not valid"):
        check_gan(generator, discriminator)


@pytest.mark.parametrize(("preset", "prefix"), [(dense_2d, "gan_dense_2d"), (dcgan_digits, "dcgan_digits")])
def test_presets_equal_the_bundled_templates(preset, prefix: str) -> None:  # type: ignore[no-untyped-def]
    from core.catalog.templates import load_template

    for built, role in zip(preset(), ("generator", "discriminator")):
        template = load_template(f"{prefix}_{role}")
        assert [(n.type, n.params) for n in built.nodes] == [(n.type, n.params) for n in template.nodes]
