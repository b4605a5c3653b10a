"""The instruction stream of the control processor (docs/hardware.md §2.2 CP + IB, docs/hardware.md §6).

A program is a list of instructions for one matrix layer; operands are tiles:

* ``LoadInput(tile)``   DRAM -> NBin (+ NIBin masks)        input tile (p, i)
* ``LoadWeights(tile)`` DRAM -> each PE's SB (+ SIB masks)  weight tile (o, i)
* ``OpenOutput(visit)`` claim an NBout half for output tile (p, o); read its partial sums
  from DRAM when an earlier visit left them there
* ``Compute(...)``      NSM -> H-tree -> PEs over input tile x weight tile into the open
  output tile
* ``CloseOutput(visit)`` final: non-linear unit -> encoder -> DRAM (compressed);
  not final: partial sums -> DRAM

Loads name the number of computes that use them (``uses``), so the buffer half they
occupy is freed by the last one: that is how a stationary tile stays resident and how
ping-pong buffering lets the load of tile i+1 overlap the compute of tile i.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

STRATEGIES = ("output-reuse", "synapse-reuse", "input-reuse")
# loop order, outermost first: the stationary operand's loops enclose the inner loop
LOOP_ORDER = {
    "output-reuse": ("o", "p", "i"),   # output tile (p, o) stays in NBout over all i
    "synapse-reuse": ("o", "i", "p"),  # weight tile (o, i) stays in SB over all p
    "input-reuse": ("p", "i", "o"),    # input tile (p, i) stays in NBin over all o
}


@dataclass(frozen=True)
class Tiling:
    p_tile: int   # rows (conv output positions / FC batch rows) per tile
    i_tile: int   # input positions (matrix columns) per tile
    o_tile: int   # outputs per tile (a multiple of Tn unless it is the whole layer)
    strategy: str

    def ranges(self, n: int, step: int) -> list[tuple[int, int]]:
        return [(s, min(s + step, n)) for s in range(0, n, step)]


@dataclass(eq=False, slots=True)
class LoadInput:
    p: int
    i: int
    uses: int = 0


@dataclass(eq=False, slots=True)
class LoadWeights:
    o: int
    i: int
    uses: int = 0


@dataclass(eq=False, slots=True)
class OpenOutput:
    p: int
    o: int
    reload_partial: bool      # partial sums of an earlier visit come back from DRAM
    computes: int = 0


@dataclass(eq=False, slots=True)
class Compute:
    inp: LoadInput
    wgt: LoadWeights
    out: OpenOutput
    first: bool               # first contribution to these outputs (accumulators start at 0)
    last: bool                # last contribution: outputs become final


@dataclass(eq=False, slots=True)
class CloseOutput:
    visit: OpenOutput
    final: bool


Instruction = LoadInput | LoadWeights | OpenOutput | Compute | CloseOutput


@dataclass
class Program:
    tiling: Tiling
    n_p: int
    n_i: int
    n_o: int
    instructions: list[Instruction] = field(default_factory=list)

    def count(self, kind: type) -> int:
        return sum(isinstance(x, kind) for x in self.instructions)


def generate(tiling: Tiling, rows: int, n_in: int, n_out: int) -> Program:
    """Walk the strategy's loop nest and emit loads, computes and output open/close.

    A load is skipped when the tile it would bring is the one already resident (the last
    one loaded into that buffer); partial sums go to DRAM only when an output tile is
    left before it is final, and come back when it is revisited.
    """
    if tiling.strategy not in LOOP_ORDER:
        raise ValueError(f"strategy: unknown {tiling.strategy!r}; allowed: {', '.join(STRATEGIES)}")
    pr = tiling.ranges(rows, tiling.p_tile)
    ir = tiling.ranges(n_in, tiling.i_tile)
    orr = tiling.ranges(n_out, tiling.o_tile)
    prog = Program(tiling, len(pr), len(ir), len(orr))
    counts = {"p": len(pr), "i": len(ir), "o": len(orr)}
    order = LOOP_ORDER[tiling.strategy]
    # the loop nest, outermost axis first (the innermost one runs fastest), as (p, i, o)
    at = [order.index(axis) for axis in ("p", "i", "o")]
    steps = ((k[at[0]], k[at[1]], k[at[2]]) for k in product(*(range(counts[axis]) for axis in order)))
    last_i = len(ir) - 1
    cur_in: LoadInput | None = None
    cur_w: LoadWeights | None = None
    cur_out: OpenOutput | None = None
    started: set[tuple[int, int]] = set()
    out = prog.instructions
    for p, i, o in steps:
        if cur_out is not None and (cur_out.p, cur_out.o) != (p, o):
            out.append(CloseOutput(cur_out, final=False))
            cur_out = None
        if cur_in is None or (cur_in.p, cur_in.i) != (p, i):
            cur_in = LoadInput(p, i)
            out.append(cur_in)
        if cur_w is None or (cur_w.o, cur_w.i) != (o, i):
            cur_w = LoadWeights(o, i)
            out.append(cur_w)
        if cur_out is None:
            cur_out = OpenOutput(p, o, reload_partial=(p, o) in started)
            out.append(cur_out)
        first = (p, o) not in started
        started.add((p, o))
        cur_in.uses += 1
        cur_w.uses += 1
        cur_out.computes += 1
        out.append(Compute(cur_in, cur_w, cur_out, first=first, last=(i == last_i)))
        if i == last_i:
            out.append(CloseOutput(cur_out, final=True))
            cur_out = None
    return prog
