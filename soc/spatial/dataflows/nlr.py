"""NLR, no local reuse: PEs have no RF.

Every MAC's weight and input arrive over the array network from the GLB; the products
of the PEs spread over input channels C are summed spatially (adder chain) and the
partial sum goes back to the GLB every pass. Inputs are multicast to the PEs of
different output channels M; weights are unicast. With no RF the whole storage area
goes to a larger GLB: fewest DRAM accesses for the area, most GLB traffic.
"""
from __future__ import annotations

from typing import Iterator

from soc.spatial.dataflows import Rule, pow2
from soc.spatial.shapes import LayerShape

ORDERS = (("M", "C", "R", "S", "N", "P", "Q"), ("N", "P", "Q", "M", "C", "R", "S"),
          ("M", "N", "P", "Q", "C", "R", "S"))


def rules(sh: LayerShape, pes: int, rf_words: dict | None = None) -> Iterator[Rule]:
    for order in ORDERS:
        for sm in pow2(min(pes, sh.M)):
            yield Rule(rf={}, sp={"M": sm, "C": max(1, pes // sm)}, glb_order=order, dram_order=order,
                       shrink=(("N", "P", "Q", "M", "C"), ("M", "C", "N", "P"), ("C", "M", "N", "P")),
                       has_rf=False)
