"""The optional Huffman (entropy) decoder in front of each PE's WDM (docs/hardware.md §2.3).

Its area and static power per instance are attributes of the design (``area_mm2``,
``power_mw``: stated assumptions of the design file, used as given and not node
scaled); the energy of a decode is a table walk of two reads of a 16-entry 16-bit
table (:mod:`energy.estimators.regfile`)."""
from __future__ import annotations

from typing import Any, Mapping

from energy.estimators.base import Estimate, Tech, need
from energy.estimators.regfile import regfile
from energy.estimators.registry import register


@register("entropy_decoder")
def entropy_decoder(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """``area_mm2`` and ``power_mw`` per instance. Action ``decode`` (one code word)."""
    area = need(attrs, "area_mm2", "entropy_decoder", low=0, high=100)
    power = need(attrs, "power_mw", "entropy_decoder", low=0, high=1000)
    table = regfile({"entries": 16, "width": 16}, tech)
    return Estimate({"decode": 2 * table.energy("read")}, power, area,
                    {"decode": "table walk: 2 reads of a 16-entry 16-bit table (regfile); C*V^2 scaled",
                     "area": "design attribute entropy_decoder.area_mm2 (assumption)",
                     "leakage": "design attribute entropy_decoder.power_mw (assumption)"})
