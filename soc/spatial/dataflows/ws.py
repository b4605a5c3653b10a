"""WS, weight stationary (Eyeriss sec. V-A; e.g. NeuFlow-style arrays).

RF: each PE holds one weight at a time and applies it to every output position (N, P,
Q) of the GLB tile before the next weight comes: the weight is the only data with RF
reuse. Inputs and partial sums stream: every MAC takes a fresh input from the array
network and passes its partial sum on.
Array: PEs spread over output channels M (each input is multicast along the PEs of
different M) and over input channels C and filter positions R, S (a partial sum flows
PE to PE and accumulates spatially before it reaches the GLB).
Loops: weight dimensions outermost at both GLB and DRAM level, so a weight is read
from DRAM once per batch (when the inputs and partial sums of all N, P, Q fit the GLB
it is also fetched into a PE once).
"""
from __future__ import annotations

from typing import Iterator

from soc.spatial.dataflows import Rule, pow2
from soc.spatial.shapes import LayerShape

ORDER = ("M", "C", "R", "S", "N", "P", "Q")


def rules(sh: LayerShape, pes: int, rf_words: dict | None = None) -> Iterator[Rule]:
    for filt in ({}, {"R": sh.R, "S": sh.S}, {"S": sh.S}):
        fsize = filt.get("R", 1) * filt.get("S", 1)
        if fsize > pes:
            continue
        for sm in pow2(min(pes // fsize, sh.M)):
            sc = max(1, pes // (sm * fsize))
            yield Rule(rf={}, sp={"M": sm, "C": sc, **filt}, glb_order=ORDER, dram_order=ORDER,
                       shrink=(("M", "C", "R", "S"), ("C", "M", "R", "S"), ("N", "M", "C", "R", "S"),
                               ("P", "M", "C", "R", "S")))
