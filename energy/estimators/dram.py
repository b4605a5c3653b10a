"""Off-chip DRAM: energy per byte moved by technology (``data/dram.yaml``); no on-chip
area or leakage; not node scaled."""
from __future__ import annotations

from typing import Any, Mapping

from energy.estimators.base import Estimate, EstimatorError, Tech, primitive
from energy.estimators.registry import register


def technologies() -> list[str]:
    return sorted(primitive().dram_pj_per_bit)


@register("dram")
def dram(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """``technology`` lpddr4|ddr3|gddr5|hbm2. Actions ``read``, ``write`` (per byte)."""
    technology = attrs.get("technology")
    if technology not in primitive().dram_pj_per_bit:
        raise EstimatorError(f"dram: technology must be one of {', '.join(technologies())}, got {technology!r}")
    bit = primitive().dram_per_bit(technology)
    how = f"{technology} {bit} pJ/bit x 8 (off-chip: not node scaled)"
    return Estimate({"read": bit * 8, "write": bit * 8}, 0.0, 0.0,
                    {"read": how, "write": how, "area": "off chip", "leakage": "off chip (not modelled)"})
