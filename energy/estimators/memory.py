"""SRAM and eDRAM arrays: energy per access, leakage and area from capacity, port width,
banks, node and voltage (``data/memory.yaml`` holds the sources and fits).

* Energy of an access of ``word_bits``: ``word_bits x e_bit(capacity / banks)``, where
  e_bit is the per-bit energy of the published SRAM points, log-log in capacity; plus,
  with several banks, a ``log2(banks)``-level output mux per bit. C*V^2 scaled.
  eDRAM: priced as the SRAM with the same footprint (capacity / 2.85).
* Area: ``bits x bit_um2 + port bits x port_um2`` (fitted to CACTI 7.0 at 65 nm), per
  bank, plus per extra bank a row decoder and a 2:1 output mux per port bit; scaled
  with the bit-cell area of the node; eDRAM divided by its density (2.85).
* Leakage: proportional to area, calibrated at 8 KB (0.02 mW/KB SRAM, 0.005 mW/KB
  eDRAM at 65 nm, 1.0 V), scaled ``(node/65) x (vdd/1.0)``.
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
    leakage_scale,
    loglog,
    need,
    primitive,
)
from energy.estimators.registry import register

MEMORIES = ("sram", "edram")


def _params() -> dict:
    return data("memory")


def sram_bit_pj_45(size_bytes: float) -> float:
    """Energy per bit accessed (pJ, 45 nm, 0.9 V) of an SRAM of ``size_bytes``: log-log
    through the published points' per-bit energies (the widest point per size)."""
    best: dict[float, float] = {}
    for p in primitive().sram:
        best[p.size_bytes] = min(p.pj / p.width_bits, best.get(p.size_bytes, math.inf))
    return loglog(best, size_bytes)


def _density(memory: str) -> float:
    return float(_params()["area"]["edram_density_vs_sram"]) if memory == "edram" else 1.0


def _bank_levels(banks: int) -> int:
    return max(0, math.ceil(math.log2(banks))) if banks > 1 else 0


def access_pj(memory: str, size_bytes: float, word_bits: float, banks: int, tech: Tech) -> float:
    """Energy (pJ) of one access of ``word_bits`` to one bank of the array, with the bank mux."""
    footprint = size_bytes / banks / _density(memory)
    array = word_bits * sram_bit_pj_45(footprint)
    mux = word_bits * _bank_levels(banks) * float(data("logic")["mux_level_fa_bits"]) * fa_bit_pj()
    return (array + mux) * energy_scale(tech)


def area_mm2(memory: str, size_bytes: float, width_bits: float, banks: int, tech: Tech) -> float:
    """Macro area (mm^2) of the array at ``tech``."""
    fit = _params()["area"]["fit_65nm"]
    bits = size_bytes * 8
    cells_and_ports = bits * fit["bit_um2"] + width_bits * fit["port_um2"]            # at 65 nm
    rows = math.sqrt(bits / banks)
    decoders = (banks - 1) * rows * float(_params()["area"]["decoder_fa_bits_per_row"]) * fa_bit_um2()
    muxes = (banks - 1) * width_bits * float(data("logic")["mux_level_fa_bits"]) * fa_bit_um2()
    um2 = cells_and_ports * area_scale(65, tech) + (decoders + muxes) * area_scale(45, tech)
    return um2 / _density(memory) * 1e-6


def _leak_density_65(memory: str) -> float:
    """mW per mm^2 at 65 nm, 1.0 V: the calibration array's leakage over its area."""
    cal = _params()["leakage"]["calibration"]
    per_kb = float(_params()["leakage"][f"{memory}_mw_per_kb_65nm"])
    ref = area_mm2(memory, cal["size_bytes"], cal["width_bits"], 1, Tech(cal["node_nm"], cal["vdd_v"]))
    return per_kb * cal["size_bytes"] / 1024 / ref


def _memory(memory: str, attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    size = need(attrs, "size_bytes", memory, high=1 << 30)
    width = need(attrs, "width_bits", memory, high=1 << 20)
    word = need(attrs, "word_bits", memory, high=1 << 20) if "word_bits" in attrs else 16.0
    banks = int(need(attrs, "banks", memory, high=1024)) if "banks" in attrs else 1
    e = access_pj(memory, size, word, banks, tech)
    area = area_mm2(memory, size, width, banks, tech)
    leak = area * _leak_density_65(memory) * leakage_scale(tech)
    what = (f"{memory} {size:g} B in {banks} bank(s), {word:g}-bit access: per-bit energy log-log in capacity "
            f"from horowitz-45nm" + (" at the SRAM footprint (capacity/2.85)" if memory == "edram" else "")
            + (f", + {_bank_levels(banks)}-level bank mux" if banks > 1 else "") + "; C*V^2 scaled")
    return Estimate({"read": e, "write": e}, leak, area,
                    {"read": what, "write": what,
                     "area": f"{size:g} B, {width:g}-bit port: CACTI 7.0 fit at 65 nm, cell-area scaled"
                             + (", / 2.85 (eDRAM density)" if memory == "edram" else ""),
                     "leakage": "area x leakage density calibrated at 8 KB (0.02 / 0.005 mW per KB at 65 nm)"})


@register("sram")
def sram(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """SRAM array: ``size_bytes``, ``width_bits`` (port), ``banks``, ``word_bits`` (bits per
    priced access, default 16). Actions ``read``, ``write`` (per word)."""
    return _memory("sram", attrs, tech)


@register("edram")
def edram(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """eDRAM array (attributes as :func:`sram`); refresh is priced by its user from the
    read and write energies and :func:`retention_s`."""
    return _memory("edram", attrs, tech)


def retention_s() -> float:
    """eDRAM retention time (s): every word is read and rewritten once per period."""
    return float(_params()["refresh"]["retention_s"])
