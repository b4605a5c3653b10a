"""Mask logic of the neuron selector and the encoder: AND of mask bits, prefix counts,
and word selection (mux/gather), in full-adder-bit equivalents (``data/logic.yaml``)."""
from __future__ import annotations

from typing import Any, Mapping

from energy.estimators.arithmetic import _areas
from energy.estimators.base import (
    Estimate,
    Tech,
    area_scale,
    data,
    energy_scale,
    fa_bit_pj,
    fa_bit_um2,
    logic_leakage_mw,
    loglog,
    need,
    primitive,
)
from energy.estimators.registry import register


def _logic(action: str, pj45: float, area_um2_45: float, tech: Tech, how: str, area_how: str) -> Estimate:
    area = area_um2_45 * area_scale(45, tech) * 1e-6
    return Estimate({action: pj45 * energy_scale(tech)}, logic_leakage_mw(area, tech), area,
                    {action: f"{how}; C*V^2 scaled", "area": f"{area_how}, cell-area scaled from 45 nm",
                     "leakage": "area x logic leakage density"})


@register("and_array")
def and_array(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """``width`` 2-input AND gates over mask bits. Action ``and`` (per mask bit)."""
    width = need(attrs, "width", "and_array", high=1 << 20)
    fa = float(data("logic")["and_gate_fa_bits"])
    return _logic("and", fa * fa_bit_pj(), width * fa * fa_bit_um2(), tech,
                  f"1 AND = {fa:g} FA bit (FA bit = int_add(8)/8)", f"{width:g} ANDs of {fa:g} FA bit")


@register("prefix_counter")
def prefix_counter(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """Running count over ``width`` mask positions with ``count_bits``-bit adders. Action
    ``count`` (per mask position)."""
    width = need(attrs, "width", "prefix_counter", high=1 << 20)
    bits = need(attrs, "count_bits", "prefix_counter", high=64)
    pj = primitive().op("int_add", bits)
    um2 = loglog(_areas("int_add"), bits)
    return _logic("count", pj, width * um2, tech, f"one int_add({bits:g}) per position",
                  f"{width:g} adders of {bits:g} bits")


@register("mux")
def mux(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """Selects ``width``-bit words, ``lanes`` of them in parallel, from ``inputs`` candidates.
    Action ``select`` (per word selected)."""
    width = need(attrs, "width", "mux", high=4096)
    lanes = need(attrs, "lanes", "mux", high=1 << 16) if "lanes" in attrs else 1.0
    inputs = need(attrs, "inputs", "mux", low=2, high=1 << 20) if "inputs" in attrs else 2.0
    p = data("logic")
    fa = float(p["select_fa_bits_per_bit"])
    import math
    levels = max(1.0, math.ceil(math.log2(inputs)))
    area_fa = lanes * width * levels * float(p["mux_level_fa_bits"])
    return _logic("select", width * fa * fa_bit_pj(), area_fa * fa_bit_um2(), tech,
                  f"{width:g} bits x {fa:g} FA bit per bit selected",
                  f"{lanes:g} lanes x {width:g} bits x log2({inputs:g}) 2:1 mux levels of 1/4 FA bit")
