"""Generative adversarial networks: the generator/discriminator pair, its training loop and its samples."""
