"""A dataflow mapping as a loop nest, and the access counts it implies.

A mapping tiles every loop dimension x of a layer (N, M, C, P, Q, R, S) at four levels:

* ``rf[x]``  (t0): extent one PE iterates temporally with its operands in its RF;
* ``sp[x]``: PEs the pass spreads x over (spatial); a pass tile is t1 = t0 * sp;
* ``glb[x]`` (g): pass tiles per global-buffer tile; a GLB tile is t2 = g * t1;
* the rest are DRAM-level iterations over GLB tiles.

g is rounded down to a divisor of the number of pass tiles so that every GLB tile
runs the same loop bounds (only the last pass tile along a dimension may be short).

Loops run in ``dram_order`` (outer -> inner) over GLB tiles, and inside each GLB tile in
``glb_order`` over passes. Edge tiles are exact: along x the pass tiles are
t1, t1, ..., D mod t1 and the GLB tiles g*t1, ..., D mod (g*t1).

Reuse rule (one rule for every level and data type). A data type's tile at a level is
fetched again only when one of the dimensions it depends on changes: its refetch count
is the product of the loops of the concatenated nest (DRAM loops then GLB loops) up to
the innermost loop over a dimension it depends on; trailing loops over dimensions it
does not depend on reuse it in place (stationarity). Weights depend on M, C, R, S;
inputs on N, C and the sliding windows (P, R) -> rows h = (p - 1) * stride + r and
(Q, S) -> columns; partial sums (outputs) on N, M, P, Q. With no RF (NLR) nothing
stays in a PE: every pass delivers all its operands.

Counts per data type (words):

* F2 = words moved DRAM <-> GLB (GLB tile fetches),
* F1 = words moved GLB <-> array (distinct words of a pass: one GLB read feeds all
  PEs that share it: multicast),
* F0 = words delivered over the array network to PEs (sum over PEs: each destination
  counts), which for partial sums are the words each PE sends out (to a neighbour for
  spatial accumulation, or to the GLB),
* every MAC reads its weight and its input from the RF and reads and writes its
  partial sum there (no RF: operands come straight off the network, products leave
  on it).

Partial sums: an output tile is drained upwards every time it leaves a level and is
read back on every later fetch (the first fetch of an output starts at zero, no read).

Simplifications (stated here, used everywhere):

* halo and padding positions of an input window are counted as words (a small
  overcount at layer borders; padding zeros are not stored in DRAM in reality);
* a GLB tile holds one tile of each data type (no double buffering);
* every data type passes through the GLB (no DRAM -> RF bypass).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from math import ceil, prod

from soc.spatial.shapes import DIMS, LayerShape

DTYPES = ("weights", "inputs", "psums")
RELEVANT = {
    "weights": frozenset("MCRS"),
    "inputs": frozenset("NCPQRS"),
    "psums": frozenset("NMPQ"),
}
WINDOWS = (("P", "R"), ("Q", "S"))


@dataclass
class Mapping:
    """One dataflow's mapping of one layer shape (see module docstring)."""
    dataflow: str
    shape: LayerShape
    rf: dict[str, int]
    sp: dict[str, int]
    glb: dict[str, int]
    glb_order: tuple[str, ...]
    dram_order: tuple[str, ...]
    has_rf: bool
    rf_bytes: int
    glb_bytes: int
    word_bytes: int = 2
    notes: dict[str, str] = field(default_factory=dict)
    # --- hardware the mapping runs on (see soc.arch.spatial) ---
    rf_split: dict[str, int] | None = None   # bytes per data type of a split RF (fixed storage); None: one RF
    glb_banks: int = 1                       # the GLB's banks (an access touches one)
    multicast: bool = True                   # one GLB read reaches every PE that shares a word
    zero_macs: float = 0.0                   # MACs (all groups) whose gating operand is zero; 0: no gating
    gated_read: str | None = None            # the data type whose RF read a zero operand gates

    def __post_init__(self) -> None:
        for name, order in (("glb_order", self.glb_order), ("dram_order", self.dram_order)):
            if sorted(order) != sorted(DIMS):
                raise ValueError(f"Mapping.{name} must be a permutation of {DIMS}, got {order}")
        for name in ("rf", "sp", "glb"):
            for x, v in getattr(self, name).items():
                if x not in DIMS or int(v) < 1:
                    raise ValueError(f"Mapping.{name}[{x!r}] must be a dimension of {DIMS} with value >= 1, got {v!r}")
        if not self.has_rf and any(v > 1 for v in self.rf.values()):
            raise ValueError("Mapping.rf: a dataflow without RF cannot tile temporally inside a PE")

    # -- tile sizes -----------------------------------------------------------------
    @cached_property
    def D(self) -> dict[str, int]:
        return self.shape.dims

    @cached_property
    def t0(self) -> dict[str, int]:
        return {x: min(self.rf.get(x, 1), self.D[x]) for x in DIMS}

    @cached_property
    def spx(self) -> dict[str, int]:
        """Spatial extent actually used (no more PEs than the dimension needs)."""
        return {x: min(self.sp.get(x, 1), ceil(self.D[x] / self.t0[x])) for x in DIMS}

    @cached_property
    def t1(self) -> dict[str, int]:
        return {x: self.t0[x] * self.spx[x] for x in DIMS}

    @cached_property
    def n1(self) -> dict[str, int]:
        return {x: ceil(self.D[x] / self.t1[x]) for x in DIMS}

    @cached_property
    def g(self) -> dict[str, int]:
        """Pass tiles per GLB tile: the largest divisor of n1 not above the requested value,
        so that every GLB tile has the same number of passes along each dimension."""
        out = {}
        for x in DIMS:
            n, want = self.n1[x], min(self.glb.get(x, 1), self.n1[x])
            out[x] = max(d for d in range(1, want + 1) if n % d == 0)
        return out

    @cached_property
    def t2(self) -> dict[str, int]:
        return {x: min(self.g[x] * self.t1[x], self.D[x]) for x in DIMS}

    @cached_property
    def n2(self) -> dict[str, int]:
        return {x: ceil(self.D[x] / self.t2[x]) for x in DIMS}

    @property
    def pes_used(self) -> int:
        return prod(self.spx.values())

    @property
    def passes(self) -> int:
        return prod(self.n1.values()) * self.shape.groups

    @property
    def bursts(self) -> int:
        return prod(self.n2.values()) * self.shape.groups

    # -- loops ------------------------------------------------------------------------
    @cached_property
    def loops(self) -> list[tuple[str, str]]:
        """The concatenated nest, outer -> inner: ("dram", x) then ("glb", x); bound-1 loops dropped."""
        out = [("dram", x) for x in self.dram_order if self.n2[x] > 1]
        out += [("glb", x) for x in self.glb_order if self.g[x] > 1]
        return out

    def prefix(self, dtype: str, level: str) -> list[tuple[str, str]]:
        """Loops that cause a refetch of ``dtype`` into the RFs (level "rf") or the GLB ("glb")."""
        loops = self.loops if level == "rf" else [lp for lp in self.loops if lp[0] == "dram"]
        if level == "rf" and not self.has_rf:
            return loops
        rel = RELEVANT[dtype]
        last = max((i for i, (_, x) in enumerate(loops) if x in rel), default=-1)
        return loops[:last + 1]

    # -- capacity ---------------------------------------------------------------------
    def tile_words(self, t: dict[str, int]) -> dict[str, int]:
        U = self.shape.stride
        h = (t["P"] - 1) * U + t["R"]
        w = (t["Q"] - 1) * U + t["S"]
        return {"weights": t["M"] * t["C"] * t["R"] * t["S"],
                "inputs": t["N"] * t["C"] * h * w,
                "psums": t["N"] * t["M"] * t["P"] * t["Q"]}

    @property
    def rf_words_needed(self) -> int:
        return sum(self.tile_words(self.t0).values()) if self.has_rf else 0

    def rf_fits(self) -> bool:
        """The PE tile fits the RF: each data type its own RF (split), or all together (one RF)."""
        if not self.has_rf:
            return True
        words = self.tile_words(self.t0)
        if self.rf_split is not None:
            return all(words[d] * self.word_bytes <= self.rf_split[d] for d in DTYPES)
        return sum(words.values()) * self.word_bytes <= self.rf_bytes

    @property
    def glb_words_needed(self) -> int:
        return sum(self.tile_words(self.t2).values())

    def fits(self, pes: int) -> bool:
        return (self.pes_used <= pes and self.rf_fits()
                and self.glb_words_needed * self.word_bytes <= self.glb_bytes)

    def describe(self) -> str:
        def fmt(d: dict[str, int]) -> str:
            return " ".join(f"{x}{v}" for x, v in d.items() if v > 1) or "-"
        rf = (f"RF={self.rf_bytes}B" if self.rf_split is None or not self.has_rf else
              "RF=" + "+".join(f"{self.rf_split[d]}" for d in DTYPES) + "B")
        return (f"rf[{fmt(self.t0)}] sp[{fmt(self.spx)}] glb[{fmt(self.t2)}] "
                f"glb_order={''.join(self.glb_order)} dram_order={''.join(self.dram_order)} "
                f"{rf} GLB={self.glb_bytes}B")


# -- chunk sums (exact edges) ------------------------------------------------------------
def _chunks(D: int, t: int) -> list[tuple[int, int]]:
    """(extent, how many) of the tiles of size t covering D."""
    out = [(t, D // t)] if D // t else []
    if D % t:
        out.append((D % t, 1))
    return out


def _active(D: int, t1: int, t0: int) -> int:
    """Sum over pass tiles of the PEs active along a dimension (ceil(extent / t0))."""
    return sum(k * ceil(e / t0) for e, k in _chunks(D, t1))


def _first_active_per_group(D: int, t2: int, t1: int, t0: int) -> int:
    """Sum over GLB tiles of the PEs active along a dimension in their first pass."""
    return sum(k * ceil(min(e, t1) / t0) for e, k in _chunks(D, t2))


@dataclass
class Counts:
    """Words moved per data type at each boundary (one group; see module docstring)."""
    F2: dict[str, float]
    F1: dict[str, float]
    F0: dict[str, float]
    macs: int
    outputs: int
    compute_cycles: float


def count_words(m: Mapping) -> Counts:
    """Closed-form sums of the loop nest (one group of the layer)."""
    D, U = m.D, m.shape.stride
    t0, t1, t2, n1, n2 = m.t0, m.t1, m.t2, m.n1, m.n2
    F2: dict[str, float] = {}
    F1: dict[str, float] = {}
    F0: dict[str, float] = {}
    for d in DTYPES:
        rel = RELEVANT[d]
        pre_rf = m.prefix(d, "rf")
        pre_glb = m.prefix(d, "glb")
        rf_glb = {x for lvl, x in pre_rf if lvl == "glb"}
        rf_dram = {x for lvl, x in pre_rf if lvl == "dram"}
        glb_dram = {x for _, x in pre_glb}
        f2 = f1 = f0 = 1.0
        done: set[str] = set()
        if d == "inputs":
            for a, b in WINDOWS:  # sliding windows couple an output dim and a filter dim
                f2 *= U * (D[a] - n2[a]) * n2[b] + n2[a] * D[b]
                f1 *= U * (D[a] - n1[a]) * n1[b] + n1[a] * D[b]
                Aa, Ab = _active(D[a], t1[a], t0[a]), _active(D[b], t1[b], t0[b])
                f0 *= U * Ab * (D[a] - Aa) + Aa * D[b]
                done |= {a, b}
        for x in DIMS:
            if x in done:
                continue
            if x in rel:
                f2 *= D[x]
                f1 *= D[x]
                f0 *= D[x]
                continue
            f2 *= n2[x] if x in glb_dram else 1
            if x in rf_glb:
                f1 *= n1[x]
                f0 *= _active(D[x], t1[x], t0[x])
            elif x in rf_dram:
                f1 *= n2[x]
                f0 *= _first_active_per_group(D[x], t2[x], t1[x], t0[x])
            else:
                f0 *= ceil(min(D[x], t1[x]) / t0[x])
        F2[d], F1[d], F0[d] = f2, f1, f0
    cycles = 1.0
    for x in DIMS:
        cycles *= sum(k * min(t0[x], e) for e, k in _chunks(D[x], t1[x]))
    sh = m.shape
    return Counts(F2, F1, F0, sh.N * sh.M * sh.C * sh.E * sh.F * sh.R * sh.S,
                  sh.N * sh.M * sh.E * sh.F, cycles)
