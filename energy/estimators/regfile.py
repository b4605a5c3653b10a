"""Register files and small look-up tables (the WDM's weight table, the non-linear
function table): storage bits as latches and a read mux tree per port
(``data/logic.yaml``).

* Read: anchored on the reference table's "16-entry LUT read ~ int_add(16)" and scaled
  with the mux tree: ``int_add(16) x (width / 16) x (log2(entries) / 4)``.
* Write: one latch write per bit (``regfile_bit_fa_bits`` FA bits per bit).
* Area: ``entries x width`` latches plus, per read port, the read mux tree.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from energy.estimators.base import (
    Estimate,
    Tech,
    area_scale,
    data,
    energy_scale,
    fa_bit_pj,
    fa_bit_um2,
    logic_leakage_mw,
    need,
    primitive,
)
from energy.estimators.registry import register


@register("regfile")
def regfile(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """``entries`` words of ``width`` bits with ``read_ports`` (default 1). Actions
    ``read`` (one word from one port), ``write`` (one word)."""
    entries = need(attrs, "entries", "regfile", high=1 << 16)
    width = need(attrs, "width", "regfile", high=4096)
    ports = need(attrs, "read_ports", "regfile", high=4096) if "read_ports" in attrs else 1.0
    p = data("logic")
    levels = max(1.0, math.log2(entries))
    read_fa = width * levels * float(p["mux_level_fa_bits"])
    write_fa = width * float(p["regfile_bit_fa_bits"])
    area_fa = entries * width * float(p["regfile_bit_fa_bits"]) + ports * read_fa
    s = energy_scale(tech)
    read_pj = primitive().op("int_add", 16) * (width / 16) * (levels / 4)
    area = area_fa * fa_bit_um2() * area_scale(45, tech) * 1e-6
    how = f"{entries:g} x {width:g} bits, {ports:g} read port(s)"
    return Estimate({"read": read_pj * s, "write": write_fa * fa_bit_pj() * s},
                    logic_leakage_mw(area, tech), area,
                    {"read": f"{how}: int_add(16) x ({width:g}/16) x (log2({entries:g})/4) (a 16-entry 16-bit "
                                     f"table read ~ int_add(16)); C*V^2 scaled",
                     "write": f"{how}: {width:g} latch bits x 1/2 FA bit; C*V^2 scaled",
                     "area": f"{how}: latches + read mux trees in FA-bit areas, cell-area scaled from 45 nm",
                     "leakage": "area x logic leakage density"})
