"""The array network: delivers words from the GLB to PEs, multicasting, and carries
partial sums PE to PE.

Timing: the network injects ``noc_words_per_cycle`` distinct words per cycle (a
multicast word is injected once) and each PE takes at most one word per cycle per data
type (separate weight, input and partial-sum ports); a burst's network time is the
larger of the two. Energy: one NoC
access per word per destination PE (Eyeriss convention: array-level reuse is paid per
receiving PE); a partial sum sent to a neighbour or to the GLB is one access.

:func:`patterns` names what the network does for a mapping: a word is multicast to
all PEs along the spatial dimensions its data type does not depend on (rows, columns,
or the whole array), along diagonals when output rows and filter rows are both spread
(an input row is shared by the PEs with equal p*stride + r), and partial sums are
accumulated along the spatial dimensions they reduce over.
"""
from __future__ import annotations

from math import ceil

import simpy

from soc.spatial.loopnest import RELEVANT, Mapping


class ArrayNetwork:
    """SimPy actor: a shared network with a fixed delivery rate."""

    def __init__(self, env: simpy.Environment, words_per_cycle: int) -> None:
        self.env = env
        self.words_per_cycle = words_per_cycle
        self.port = simpy.Resource(env, capacity=1)
        self.busy_cycles = 0

    def cycles(self, injected_words: float, per_pe_words: float) -> int:
        """Cycles to inject ``injected_words`` and fill the busiest PE port with ``per_pe_words``."""
        return ceil(max(injected_words / self.words_per_cycle, per_pe_words))

    def deliver(self, injected_words: float, per_pe_words: float):
        """Process: inject ``injected_words`` distinct words; the busiest PE port receives
        ``per_pe_words`` words (cycles = the larger of the two rates' times)."""
        cycles = self.cycles(injected_words, per_pe_words)
        with self.port.request() as req:
            yield req
            yield self.env.timeout(cycles)
        self.busy_cycles += cycles


def patterns(m: Mapping) -> dict[str, str]:
    """How the network moves each data type in this mapping (one short phrase each)."""
    sp = {x: v for x, v in m.spx.items() if v > 1}
    out = {}
    for d in ("weights", "inputs"):
        shared = [x for x in sp if x not in RELEVANT[d]]
        diag = d == "inputs" and (("P" in sp and "R" in sp) or ("Q" in sp and "S" in sp))
        parts = []
        if shared:
            parts.append("multicast along " + "x".join(f"{x}({sp[x]})" for x in shared))
        if diag:
            parts.append("diagonal multicast (p*stride+r)")
        out[d] = "; ".join(parts) or "unicast"
    red = [x for x in sp if x not in RELEVANT["psums"]]
    out["psums"] = ("accumulated PE to PE along " + "x".join(f"{x}({sp[x]})" for x in red)) if red else "stay in PE, sent when final or evicted"
    return out
