"""Global on-chip wires (the H-tree): energy per bit per mm from the primitive table,
area and leakage of the repeaters (``data/wire.yaml``)."""
from __future__ import annotations

import math
from typing import Any, Mapping

from energy.estimators.base import (
    Estimate,
    Tech,
    area_scale,
    data,
    energy_scale,
    fa_bit_um2,
    logic_leakage_mw,
    need,
    primitive,
)
from energy.estimators.registry import register


@register("wire")
def wire(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """A bus of ``width`` bits and ``length_mm``. Action ``transfer`` (one ``width``-bit word
    over the whole length)."""
    width = need(attrs, "width", "wire", high=1 << 16)
    length = need(attrs, "length_mm", "wire", low=0, high=1000)
    pj = width * primitive().wire_pj_per_bit_mm * length * energy_scale(tech)
    p = data("wire")
    repeaters = width * max(1, math.ceil(length / float(p["repeater_mm"])))
    area = repeaters * float(p["repeater_fa_bits"]) * fa_bit_um2() * area_scale(45, tech) * 1e-6
    return Estimate({"transfer": pj}, logic_leakage_mw(area, tech), area,
                    {"transfer": f"{width:g} bits x {primitive().wire_pj_per_bit_mm} pJ/bit/mm x {length:g} mm; "
                                 f"C*V^2 scaled",
                     "area": f"{repeaters:g} repeaters (one per bit per {p['repeater_mm']} mm) of "
                             f"{p['repeater_fa_bits']} FA bit; wires routed over logic",
                     "leakage": "repeater area x logic leakage density"})
