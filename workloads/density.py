"""The density of every layer's synthetic weights and inputs, and where each came from.

A model without weights of its own (a zoo network, a YAML description, a SCALE-Sim
topology, Timeloop problem files) runs on synthetic block-sparse weights and ReLU-like
sparse inputs (:mod:`workloads.sparsity`). Their densities (fraction of weights kept,
fraction of non-zero inputs) are chosen per layer, first match wins:

1. ``option``: a density given for the whole run (``--weight-density``,
   ``--input-density``);
2. ``file``: a density the model file states for the layer (a YAML network's per-layer
   ``weight_density``/``input_density`` or its ``densities:`` block per layer kind, the
   ``Sparsity`` column ``N:M`` of a SCALE-Sim topology, a Timeloop problem's
   ``instance.densities``);
3. ``measured-default``: the measured rates of docs/hardware.md §1 for the network
   (:data:`workloads.sparsity.MEASURED_SPARSITY`, row chosen by the network's name,
   case-insensitively, or its stated substitute), per layer kind (conv or fc);
4. ``dense-default``: when no measured row exists for the network, weights and inputs
   are dense (density 1), and ReLUs of a network run are not biased.

Every density is checked to lie in (0, 1]; a bad one raises :class:`DensityError`
naming where it came from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from workloads.layers import Layer, Network

OPTION, FILE, MEASURED, DENSE = "option", "file", "measured-default", "dense-default"
DENSITY_SOURCES = (OPTION, FILE, MEASURED, DENSE)


class DensityError(ValueError):
    """A density outside (0, 1] (the message names where it came from)."""


def check_density(value, where: str) -> float:
    """``value`` as a float in (0, 1]; otherwise :class:`DensityError` naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DensityError(f"{where}: density must be a number in (0, 1], got {value!r}")
    d = float(value)
    if not math.isfinite(d) or not 0.0 < d <= 1.0:
        raise DensityError(f"{where}: density must be in (0, 1], got {value!r}")
    return d


@dataclass(frozen=True)
class StatedDensity:
    """Densities a model file states for one layer (``None``: not stated) and where."""

    weight: float | None = None
    input: float | None = None
    weight_origin: str = ""
    input_origin: str = ""

    def __post_init__(self) -> None:
        if self.weight is not None:
            object.__setattr__(self, "weight", check_density(self.weight, self.weight_origin or "weight density"))
        if self.input is not None:
            object.__setattr__(self, "input", check_density(self.input, self.input_origin or "input density"))


@dataclass(frozen=True)
class LayerDensity:
    """Target densities of one layer's synthetic weights and inputs.

    ``weight`` is 1.0 for a layer without weights. ``sns`` is the static neuron
    sparsity to force (measured defaults only; ``None`` leaves it to the pruning).
    ``*_source`` is one of :data:`DENSITY_SOURCES`; ``*_origin`` says where exactly.
    """

    weight: float
    input: float
    weight_source: str
    input_source: str
    weight_origin: str = ""
    input_origin: str = ""
    sns: float | None = None


def measured_row_name(name: str) -> str | None:
    """The :data:`~workloads.sparsity.MEASURED_SPARSITY` row for a network name (matched
    case-insensitively, through the stated substitutes), or None."""
    from workloads.sparsity import MEASURED_SPARSITY, SPARSITY_SUBSTITUTES
    key = str(name).lower()
    key = SPARSITY_SUBSTITUTES.get(key, key)
    return key if key in MEASURED_SPARSITY else None


def _measured(row: str | None, network_name: str, layer: Layer) -> LayerDensity:
    from workloads.sparsity import layer_sparsity
    if row is None:
        sp = dict(sss=0.0, sns=0.0, dns=0.0)
        origin = f"no measured sparsity for network {network_name!r}: dense"
        return LayerDensity(1.0, 1.0, DENSE, DENSE, origin, origin,
                            sns=sp["sns"] if layer.weight_shape else None)
    sp = layer_sparsity(row, layer)
    kind = "conv" if layer.kind == "conv" else "fc"
    origin = f"measured {row} {kind} (docs/hardware.md §1)"
    return LayerDensity(1.0 - sp["sss"] if layer.weight_shape else 1.0, 1.0 - sp["dns"], MEASURED, MEASURED,
                        origin, origin, sns=sp["sns"] if layer.weight_shape else None)


def plan_densities(network: Network, stated: Mapping[str, StatedDensity] | None = None, *,
                   weight_density: float | None = None, input_density: float | None = None,
                   sparsity: str | None = None) -> dict[str, LayerDensity]:
    """Per layer name, the densities to generate (module doc for the order).

    ``stated`` maps layer names to what the model file says; ``weight_density`` and
    ``input_density`` are the run-wide options; ``sparsity`` names the measured row
    (default: the network's name).
    """
    stated = dict(stated or {})
    unknown = [n for n in stated if n not in {layer.name for layer in network.layers}]
    if unknown:
        raise DensityError(f"densities given for unknown layer(s) {unknown} of network {network.name}")
    if weight_density is not None:
        weight_density = check_density(weight_density, "--weight-density")
    if input_density is not None:
        input_density = check_density(input_density, "--input-density")
    row_name = sparsity or network.name
    row = measured_row_name(row_name)
    plan: dict[str, LayerDensity] = {}
    for layer in network.layers:
        base = _measured(row, row_name, layer)
        s = stated.get(layer.name, StatedDensity())
        w, ws, wo, sns = base.weight, base.weight_source, base.weight_origin, base.sns
        if layer.weight_shape:
            if weight_density is not None:
                w, ws, wo, sns = weight_density, OPTION, "--weight-density", None
            elif s.weight is not None:
                w, ws, wo, sns = s.weight, FILE, s.weight_origin, None
        x, xs, xo = base.input, base.input_source, base.input_origin
        if input_density is not None:
            x, xs, xo = input_density, OPTION, "--input-density"
        elif s.input is not None:
            x, xs, xo = s.input, FILE, s.input_origin
        plan[layer.name] = LayerDensity(w, x, ws, xs, wo, xo, sns)
    return plan
