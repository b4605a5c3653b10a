"""RS, row stationary (Eyeriss, Chen, Emer, Sze, ISCA 2016).

RF: a PE keeps one filter row (R tile 1, all S weights) of a few filters and channels,
slides it over one input row (its window of the row) and accumulates a row segment of
partial sums (Q tile) in its RF: weights, inputs and partial sums all get RF reuse.
Array: filter rows spread vertically (R), output rows horizontally (P): a filter row
is multicast along its PE row (horizontal), an input row along a diagonal (PEs with
the same p*stride + r share it), and partial sums of one output row accumulate
vertically PE to PE. Spare PEs replicate the set over channels C (more spatial
accumulation) and filters M (input multicast).
With fewer PEs than filter rows, the rows are folded: the array takes as many rows as
it has PEs per pass and the partial sums of the remaining rows accumulate over passes.
Loops: orders are searched; with C innermost the partial sums stay in the RF across
channel passes.
"""
from __future__ import annotations

from typing import Iterator

from soc.spatial.dataflows import Rule, fractions, pow2
from soc.spatial.shapes import LayerShape

ORDERS = (("M", "N", "P", "Q", "C", "R", "S"), ("N", "P", "Q", "M", "C", "R", "S"),
          ("C", "M", "N", "P", "Q", "R", "S"))


def rules(sh: LayerShape, pes: int) -> Iterator[Rule]:
    set_rows = min(sh.R, pes)   # filter rows beyond the PE count are folded into passes
    batch_tiles = pow2(min(8 if sh.kind == "fc" else 2, sh.N))
    for rq in fractions(sh.F, 3):
        for rm in pow2(min(16, sh.M)):
            for rc in pow2(min(4, sh.C)):
                for rn in batch_tiles:
                    for spp in sorted({1, *fractions(sh.E, 3)}):
                        if set_rows * spp > pes:
                            continue
                        for sc in pow2(min(16, pes // (set_rows * spp))):
                            sm = max(1, pes // (set_rows * spp * sc))
                            for order in ORDERS:
                                yield Rule(rf={"R": 1, "S": sh.S, "Q": rq, "M": rm, "C": rc, "N": rn},
                                           sp={"R": set_rows, "P": spp, "C": sc, "M": sm},
                                           glb_order=order, dram_order=order,
                                           shrink=(("N", "M", "C", "P"), ("C", "M", "N", "P")))
