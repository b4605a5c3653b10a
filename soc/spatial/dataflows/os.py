"""OS, output stationary, in three variants (Eyeriss sec. V-B).

RF: each PE keeps its partial sum in its RF until it is final (the only data with RF
reuse); weights and inputs stream, one of each per MAC off the array network. The PE
iterates a block of the reduction (``rf`` over C, R, S) per pass; the reduction loops
(C, R, S) are innermost wherever they could evict a partial sum (see :func:`_rules`),
so a partial sum never leaves the RF before it is complete. Inputs stream through
(each PE's window; neighbours' windows overlap, so one GLB read is multicast to the
PEs that share it) and each weight is multicast to every PE computing the same
output channel.

* OSA: PEs over output rows x columns (P x Q) of one or a few channels: conv reuse
  (weights broadcast to the whole array, inputs shared by neighbours).
* OSB: PEs over a few output channels x a smaller output plane (M x P x Q).
* OSC: PEs over many output channels (and batch): one output position of many
  channels, the FC-friendly variant (inputs broadcast, weights unicast).
"""
from __future__ import annotations

from typing import Iterator

from soc.spatial.dataflows import Rule, pow2
from soc.spatial.shapes import LayerShape

ORDER = ("N", "M", "P", "Q", "C", "R", "S")
FIXED = {"N": 1, "M": 1, "P": 1, "Q": 1}


def _operand_tiles(sh: LayerShape):
    for rc in pow2(min(4, sh.C)):
        for rr, rs in {(1, 1), (1, sh.S), (sh.R, sh.S)}:
            yield {"C": rc, "R": rr, "S": rs}


ORDER_M_INNER = ("N", "P", "Q", "M", "C", "R", "S")


def _rules(rf: dict, sp: dict) -> Iterator[Rule]:
    """Two ways to keep partial sums in the RF until final: (1) a GLB tile holds one
    pass's outputs and any slice of the reduction; (2) a GLB tile holds the whole
    reduction (C, R, S) for several passes' outputs, so inputs and weights can stay in
    the GLB across output tiles (M innermost at DRAM level: inputs stay across filters)."""
    yield Rule(rf=rf, sp=sp, glb_order=ORDER, dram_order=ORDER,
               shrink=(("C", "R", "S"), ("R", "S", "C")), fixed_glb=FIXED)
    for dram_order in (ORDER, ORDER_M_INNER):
        yield Rule(rf=rf, sp=sp, glb_order=ORDER, dram_order=dram_order,
                   shrink=(("M", "N", "P", "Q"), ("N", "P", "Q", "M"), ("P", "Q", "N", "M")))


def rules_a(sh: LayerShape, pes: int, rf_words: dict | None = None) -> Iterator[Rule]:
    for op in _operand_tiles(sh):
        for spp in pow2(min(pes, sh.E)):
            yield from _rules(op, {"P": spp, "Q": max(1, pes // spp)})


def rules_b(sh: LayerShape, pes: int, rf_words: dict | None = None) -> Iterator[Rule]:
    for op in _operand_tiles(sh):
        for sm in (2, 4, 8, 16):
            if sm >= pes:
                continue
            for spp in pow2(min(pes // sm, sh.E)):
                yield from _rules(op, {"M": sm, "P": spp, "Q": max(1, pes // (sm * spp))})


def rules_c(sh: LayerShape, pes: int, rf_words: dict | None = None) -> Iterator[Rule]:
    for op in _operand_tiles(sh):
        for sn in pow2(min(16, sh.N)):
            yield from _rules(op, {"N": sn, "M": max(1, pes // sn)})
