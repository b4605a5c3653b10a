"""Roofline and efficiency metrics of a layer or a network, from plain numbers.

Input is a mapping of totals (a layer row or a network summary: ``useful_macs``,
``dense_macs``, ``effectual_macs``, ``dram_bytes``, ``time_s``, ``energy_pj``,
``utilization``; optionally ``area_mm2``, ``accuracy``, ``parameters``) and the design's
roofs (:data:`ROOF_KEYS`: ``compute_roof_macs_per_s`` = Tn x Tm x clock,
``dram_roof_bytes_per_s`` = DRAM bytes per cycle x clock, and ``word_bytes``). Every
metric is ``None`` where it is undefined (a layer that moves no DRAM byte has no
operational intensity; a fused layer that takes no time has no attained rate).

Definitions (names are the column names of ``layers.csv`` and keys of ``summary.json``):

- ``operational_intensity``: useful MACs per DRAM byte (bytes read + written, after
  burst rounding). ``operational_intensity_dense``: the dense layer's MACs per DRAM byte.
- ``attained_macs_per_s``: useful MACs / simulated time.
- ``roof_macs_per_s``: min(compute roof, operational intensity x DRAM bandwidth roof)
  (the roofline model, Williams et al., CACM 2009); ``bound`` is ``compute`` when the
  compute roof is the lower one, else ``memory``; ``roof_fraction`` = attained / roof.
  The simulator never exceeds the roof: the multipliers do at most Tn x Tm MACs a cycle
  and the DRAM channel moves at most its bandwidth a cycle.
- ``useful_macs_per_joule`` and ``energy_per_useful_mac_pj``: useful MACs per joule of
  the layer's whole energy (dynamic and static), and its inverse in pJ.
- ``macs_per_s_per_mm2``: attained MAC/s per mm^2 of the design (when ``area_mm2`` is known).
- ``dram_accesses_per_mac``: DRAM accesses of one data word (``word_bytes``) per useful MAC.
- ``effective_to_ideal_mac_ratio``: MACs the multipliers performed (``useful_macs``) per
  effectual MAC (both operands non-zero, the least work that computes the same outputs);
  1 is ideal, a dense design shows 1 / (weight density x input density).
- ``dense_equivalent_macs_per_s``: the dense layer's MACs / simulated time (what a dense
  machine would have to attain to finish as soon).
- ``average_power_mw``: energy / time.
- ``accuracy_per_joule`` (accuracy as a fraction, per joule of one inference) and
  ``accuracy_per_parameter`` (per stored non-zero weight), when ``accuracy`` is known.

Layers without multiplies (pooling, element-wise) have no useful MACs: their roofline
metrics are ``None`` (they do not sit on a MAC roofline).
"""
from __future__ import annotations

import math
from numbers import Number
from typing import Any, Mapping

ROOF_KEYS: tuple[str, ...] = ("compute_roof_macs_per_s", "dram_roof_bytes_per_s", "word_bytes")

#: Metric names, in the order they are added to a row or summary.
METRICS: tuple[str, ...] = (
    "operational_intensity", "operational_intensity_dense", "attained_macs_per_s", "roof_macs_per_s",
    "bound", "roof_fraction", "useful_macs_per_joule", "energy_per_useful_mac_pj", "macs_per_s_per_mm2",
    "dram_accesses_per_mac", "effective_to_ideal_mac_ratio", "dense_equivalent_macs_per_s",
    "average_power_mw", "accuracy_per_joule", "accuracy_per_parameter",
)

PJ_PER_J = 1e12


def _num(totals: Mapping[str, Any], key: str) -> float | None:
    value = totals.get(key)
    if value is None or isinstance(value, bool) or not isinstance(value, Number):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def roofline_point(useful_macs: float, dram_bytes: float, time_s: float,
                   compute_roof: float, dram_roof: float) -> dict[str, Any]:
    """Operational intensity, attained MAC/s, the roof at that intensity and the bound."""
    if useful_macs <= 0:
        return {"operational_intensity": None, "attained_macs_per_s": None, "roof_macs_per_s": None,
                "bound": None, "roof_fraction": None}
    oi = useful_macs / dram_bytes if dram_bytes > 0 else None
    attained = useful_macs / time_s if time_s > 0 else None
    memory_roof = oi * dram_roof if oi is not None else math.inf
    roof = min(compute_roof, memory_roof)
    return {"operational_intensity": oi, "attained_macs_per_s": attained, "roof_macs_per_s": roof,
            "bound": "compute" if compute_roof <= memory_roof else "memory",
            "roof_fraction": _ratio(attained, roof)}


def efficiency(totals: Mapping[str, Any], roofs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every metric of :data:`METRICS` for one layer or network (``None`` where undefined
    or where an input it needs is absent)."""
    useful = _num(totals, "useful_macs") or 0.0
    dense = _num(totals, "dense_macs")
    effectual = _num(totals, "effectual_macs")
    dram = _num(totals, "dram_bytes")
    if dram is None:
        r, w = _num(totals, "dram_bytes_read"), _num(totals, "dram_bytes_written")
        dram = (r or 0.0) + (w or 0.0) if r is not None or w is not None else None
    time_s = _num(totals, "time_s") or 0.0
    energy = _num(totals, "energy_pj") or 0.0
    out: dict[str, Any] = dict.fromkeys(METRICS)
    compute_roof = _num(roofs or {}, "compute_roof_macs_per_s")
    dram_roof = _num(roofs or {}, "dram_roof_bytes_per_s")
    if compute_roof and dram_roof and dram is not None:
        out.update(roofline_point(useful, dram, time_s, compute_roof, dram_roof))
    elif useful > 0:
        out["operational_intensity"] = _ratio(useful, dram)
        out["attained_macs_per_s"] = _ratio(useful, time_s)
    if useful > 0:
        out["operational_intensity_dense"] = _ratio(dense, dram)
        out["useful_macs_per_joule"] = _ratio(useful * PJ_PER_J, energy)
        out["energy_per_useful_mac_pj"] = energy / useful
        word = _num(roofs or {}, "word_bytes")
        if word and dram is not None:
            out["dram_accesses_per_mac"] = dram / word / useful
        out["effective_to_ideal_mac_ratio"] = _ratio(useful, effectual)
        out["dense_equivalent_macs_per_s"] = _ratio(dense, time_s)
        out["macs_per_s_per_mm2"] = _ratio(out["attained_macs_per_s"], _num(totals, "area_mm2"))
    out["average_power_mw"] = _ratio(energy / PJ_PER_J * 1e3, time_s) if energy else (0.0 if time_s else None)
    accuracy = _num(totals, "accuracy")
    if accuracy is not None:
        out["accuracy_per_joule"] = _ratio(accuracy * PJ_PER_J, energy)
        out["accuracy_per_parameter"] = _ratio(accuracy, _num(totals, "parameters"))
    return out
