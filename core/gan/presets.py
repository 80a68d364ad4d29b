"""Small generator/discriminator pairs built in code: a dense GAN for 2-D points and a DCGAN for 8x8 digits.

With default arguments they are the bundled templates ``gan_dense_2d_*`` and ``dcgan_digits_*`` (a test keeps
them equal); the arguments make smaller or larger variants for tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.graph.model import Edge, Graph

Layer = tuple[str, dict[str, Any]]


def chain(layers: Sequence[Layer], spacing: float = 180.0) -> Graph:
    """A graph of ``layers`` wired one after the other, laid out left to right."""
    graph = Graph()
    previous = None
    for i, (type_id, params) in enumerate(layers):
        node = graph.add_node(graph.make_node(type_id, params, x=i * spacing, y=0.0))
        if previous is not None:
            graph.add_edge(Edge(previous.id, node.id))
        previous = node
    return graph


def dense_2d(latent_dim: int = 8, hidden: int = 64, data_dim: int = 2) -> tuple[Graph, Graph]:
    """(generator, discriminator): two hidden layers each; the generator outputs points, D a logit."""
    generator = chain([
        ("Input", {"shape": [latent_dim]}),
        ("Dense", {"units": hidden, "activation": "relu"}),
        ("Dense", {"units": hidden, "activation": "relu"}),
        ("Dense", {"units": data_dim}),
    ])
    discriminator = chain([
        ("Input", {"shape": [data_dim]}),
        ("Dense", {"units": hidden, "activation": "leaky_relu"}),
        ("Dense", {"units": hidden, "activation": "leaky_relu"}),
        ("Dense", {"units": 1}),
    ])
    return generator, discriminator


def dcgan_digits(latent_dim: int = 16, width: int = 32) -> tuple[Graph, Graph]:
    """(generator, discriminator) for 8x8x1 images in [-1, 1]: 4x4 seed, one transposed convolution, tanh."""
    generator = chain([
        ("Input", {"shape": [latent_dim]}),
        ("Dense", {"units": 4 * 4 * width, "use_bias": False}),
        ("BatchNormalization", {}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("Reshape", {"target_shape": [4, 4, width]}),
        ("Conv2DTranspose", {"filters": width // 2, "kernel_size": [4, 4], "strides": [2, 2], "padding": "same",
                             "activation": "linear", "use_bias": False}),
        ("BatchNormalization", {}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("Conv2D", {"filters": 1, "kernel_size": [3, 3], "padding": "same", "activation": "tanh"}),
    ])
    discriminator = chain([
        ("Input", {"shape": [8, 8, 1]}),
        ("Conv2D", {"filters": width // 2, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
                    "activation": "linear"}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("Conv2D", {"filters": width, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
                    "activation": "linear"}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("Flatten", {}),
        ("Dense", {"units": 1}),
    ])
    return generator, discriminator
