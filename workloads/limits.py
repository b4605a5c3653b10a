"""Bounds on the size of a layer, checked before any network is simulated.

A network file can describe a layer far larger than the machine (a 10^6 x 10^6 fully
connected layer needs 4 TB of weights); such a layer is refused with its name, its size
and the allowed bound instead of failing minutes later in an allocation. The bounds are
well above every network in the zoo (VGG16 fc6: 102,760,448 weights; its largest
activation: 3,211,264 values per sample) and are listed in ``docs/input-limits.md``.
"""
from __future__ import annotations

import math

MAX_LAYER_WEIGHTS = 1 << 28        # 268,435,456 weights (1 GiB of float32)
MAX_ACTIVATION_VALUES = 1 << 26    # 67,108,864 values per sample in one layer's input or output
MAX_LAYERS = 10_000


class LayerLimitError(ValueError):
    """A layer or network larger than the simulator accepts (names the layer and the bound)."""


def check_layer(layer, where: str = "") -> None:
    """Refuse a layer whose weights or activations exceed the bounds above."""
    prefix = f"{where}: " if where else ""
    if layer.weights > MAX_LAYER_WEIGHTS:
        raise LayerLimitError(f"{prefix}layer {layer.name!r} ({layer.kind}): {layer.weights:,} weights; allowed: at "
                              f"most {MAX_LAYER_WEIGHTS:,} (2^28) per layer")
    for what, shape in (("input", layer.input_shape), ("output", layer.output_shape)):
        n = math.prod(shape)
        if n > MAX_ACTIVATION_VALUES:
            raise LayerLimitError(f"{prefix}layer {layer.name!r} ({layer.kind}): {what} of {n:,} values per sample "
                                  f"(shape {tuple(shape)}); allowed: at most {MAX_ACTIVATION_VALUES:,} (2^26)")


def check_network(network, where: str = "") -> None:
    """Every layer within the bounds, and at most :data:`MAX_LAYERS` layers."""
    if len(network.layers) > MAX_LAYERS:
        raise LayerLimitError(f"{where + ': ' if where else ''}network {network.name}: {len(network.layers):,} layers; "
                              f"allowed: at most {MAX_LAYERS:,}")
    for layer in network.layers:
        check_layer(layer, where)
