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
Fixed storage (a chip's own RFs): besides the row segments above (a whole, a half or a
quarter of an output row), each (filters, channels, batch) tile also gets the longest
row segment Q that fits the design's RFs: the input RF holds the segment's window
(Q - 1) x stride + S words per channel and sample, the partial-sum RF Q words per
filter and sample, the filter RF S words per filter and channel (Eyeriss AlexNet CONV1:
one 11-word input row window, one output per filter row).
"""
from __future__ import annotations

from typing import Iterator

from soc.spatial.dataflows import Rule, fractions, pow2
from soc.spatial.shapes import LayerShape

ORDERS = (("M", "N", "P", "Q", "C", "R", "S"), ("N", "P", "Q", "M", "C", "R", "S"),
          ("C", "M", "N", "P", "Q", "R", "S"))


def rules(sh: LayerShape, pes: int, rf_words: dict | None = None) -> Iterator[Rule]:
    batch_tiles = pow2(min(8 if sh.kind == "fc" else 2, sh.N))
    segments = fractions(sh.F, 3)
    for rq in segments:
        for rm in pow2(min(16, sh.M)):
            for rc in pow2(min(4, sh.C)):
                for rn in batch_tiles:
                    yield from _spread(sh, pes, {"R": 1, "S": sh.S, "Q": rq, "M": rm, "C": rc, "N": rn})
    if rf_words is None:
        return
    for rm in pow2(min(16, sh.M)):
        for rc in pow2(min(4, sh.C)):
            for rn in batch_tiles:
                rq = longest_segment(sh, rf_words, rm, rc, rn)
                if rq >= 1 and rq not in segments:
                    yield from _spread(sh, pes, {"R": 1, "S": sh.S, "Q": rq, "M": rm, "C": rc, "N": rn})


def _spread(sh: LayerShape, pes: int, rf: dict) -> Iterator[Rule]:
    """The spatial splits and loop orders of one PE tile."""
    set_rows = min(sh.R, pes)   # filter rows beyond the PE count are folded into passes
    for spp in sorted({1, *fractions(sh.E, 3)}):
        if set_rows * spp > pes:
            continue
        for sc in pow2(min(16, pes // (set_rows * spp))):
            sm = max(1, pes // (set_rows * spp * sc))
            for order in ORDERS:
                yield Rule(rf=rf, sp={"R": set_rows, "P": spp, "C": sc, "M": sm},
                           glb_order=order, dram_order=order,
                           shrink=(("N", "M", "C", "P"), ("C", "M", "N", "P")))


def longest_segment(sh: LayerShape, rf_words: dict, rm: int, rc: int, rn: int) -> int:
    """The longest output-row segment Q (<= F) whose tile fits the RFs: filter rows
    rm x rc x S, input window rn x rc x ((Q - 1) stride + S), partial sums rn x rm x Q;
    0 when not even Q = 1 fits."""
    U, S = sh.stride, sh.S
    w, in_base, in_step, ps_step = rm * rc * S, rn * rc * S, rn * rc * U, rn * rm
    if "shared" in rf_words:   # w + in_base + (Q - 1) in_step + Q ps_step <= shared
        room = rf_words["shared"] - w - in_base + in_step
        q = room // (in_step + ps_step) if room > 0 else 0
    else:
        if w > rf_words["weights"] or in_base > rf_words["inputs"]:
            return 0
        q = min((rf_words["inputs"] - in_base) // in_step + 1, rf_words["psums"] // ps_step)
    return max(0, min(q, sh.F))
