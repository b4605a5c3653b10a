"""The spatial array as SimPy actors, run transaction by transaction.

Actors: :class:`Dram` (off-chip, bandwidth + latency), :class:`~soc.spatial.glb.GlobalBuffer`,
:class:`~soc.spatial.noc.ArrayNetwork` and :class:`PEArray` (the PE grid with its RFs).
A controller process walks the mapping's DRAM-level loops; one *burst* is one GLB tile:

1. DRAM -> GLB: the tiles the reuse rule says must be fetched at this burst (weights,
   inputs, and partial sums read back if this output tile was evicted before), after
   writing back the previous output tile when the output tile changes;
2. the array processes every pass of the GLB tile (on real data when the run is given
   tensors: the PE array computes the burst's passes then): the GLB streams, the network
   delivers and the PEs compute concurrently; the burst takes the longest of the three.
   Cycles inside a burst come by formula: compute cycles = sum over passes of the
   per-PE MACs of the pass; GLB and network cycles = words / words-per-cycle.

DRAM traffic and compute cycles are exact per burst (walked tile by tile). On-chip
traffic (GLB, network, RF) is counted exactly for the layer by the loop-nest formula
(:func:`soc.spatial.loopnest.count_words`) and booked burst by burst in proportion to
the burst's MACs (a simplification for the timeline; totals are exact). Bursts are
sequential (the GLB is not double-buffered, consistent with the capacity check).
When a mapping has more than ``max_events`` bursts, consecutive bursts are merged into
equal transactions (same totals, coarser timeline).
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from math import ceil, prod

import simpy

from energy.ledger import EnergyLedger
from soc.arch.spatial import SpatialArch
from soc.spatial.accounting import accesses, book, breakdown
from soc.spatial.functional import Execution, new_execution, run_bursts
from soc.spatial.glb import GlobalBuffer
from soc.spatial.loopnest import DTYPES, RELEVANT, Mapping, count_words
from soc.spatial.noc import ArrayNetwork


class Dram:
    """SimPy actor: one channel, ``latency`` cycles per transfer plus bytes / bandwidth."""

    def __init__(self, env: simpy.Environment, cfg: SpatialArch) -> None:
        self.env = env
        self.cfg = cfg
        self.port = simpy.Resource(env, capacity=1)
        self.bytes_moved = 0.0

    def cycles(self, nbytes: float) -> int:
        """Cycles of one transfer (0 for none)."""
        return self.cfg.dram_latency_cycles + ceil(nbytes / self.cfg.dram_bytes_per_cycle) if nbytes > 0 else 0

    def transfer(self, nbytes: float):
        if nbytes <= 0:
            return
        with self.port.request() as req:
            yield req
            yield self.env.timeout(self.cycles(nbytes))
        self.bytes_moved += nbytes


class PEArray:
    """SimPy actor: the PE grid; a burst of passes keeps it busy ``cycles`` cycles."""

    def __init__(self, env: simpy.Environment, pes: int) -> None:
        self.env = env
        self.pes = pes
        self.busy_cycles = 0

    @staticmethod
    def cycles(cycles: float) -> int:
        return ceil(cycles)

    def compute(self, cycles: float):
        yield self.env.timeout(self.cycles(cycles))
        self.busy_cycles += self.cycles(cycles)


@dataclass
class Burst:
    dram_read: dict[str, float]      # words read from DRAM per data type
    dram_write: float                # partial-sum words written back to DRAM
    macs: float
    compute_cycles: float
    count: int = 1                   # bursts merged into this transaction


def bursts(m: Mapping) -> list[Burst]:
    """Walk the DRAM-level loops of one group; DRAM words and compute cycles per GLB tile."""
    D, t0, t1, g, n2 = m.D, m.t0, m.t1, m.g, m.n2
    per_dim = {}
    for x in D:
        rows = []
        for gi in range(n2[x]):
            lo = gi * g[x] * t1[x]
            e2 = min(lo + g[x] * t1[x], D[x]) - lo
            full, rem = divmod(e2, t1[x])
            rows.append((e2, full * t0[x] + (min(t0[x], rem) if rem else 0)))
        per_dim[x] = rows
    order = m.dram_order
    rel_pos = {d: [order.index(x) for x in sorted(RELEVANT[d])] for d in DTYPES}
    last: dict[str, tuple | None] = dict.fromkeys(DTYPES)
    seen_out: set[tuple] = set()
    out: list[Burst] = []
    prev_out_words = 0.0
    for idx in itertools.product(*(range(n2[x]) for x in order)):
        ext = {x: per_dim[x][i][0] for x, i in zip(order, idx)}
        words = m.tile_words(ext)
        reads = dict.fromkeys(DTYPES, 0.0)
        write = 0.0
        for d in DTYPES:
            key = tuple(idx[p] for p in rel_pos[d])
            if key != last[d]:
                last[d] = key
                if d == "psums":
                    write += prev_out_words
                    prev_out_words = words[d]
                    if key in seen_out:
                        reads[d] = words[d]
                    seen_out.add(key)
                else:
                    reads[d] = words[d]
        macs = prod(ext.values())
        cyc = prod(per_dim[x][i][1] for x, i in zip(order, idx))
        out.append(Burst(reads, write, macs, cyc))
    out[-1].dram_write += prev_out_words  # final outputs leave the chip
    return out


def _merge(items: list[Burst], max_events: int) -> list[Burst]:
    if len(items) <= max_events:
        return items
    k = ceil(len(items) / max_events)
    merged = []
    for i in range(0, len(items), k):
        chunk = items[i:i + k]
        merged.append(Burst({d: sum(b.dram_read[d] for b in chunk) for d in DTYPES},
                            sum(b.dram_write for b in chunk), sum(b.macs for b in chunk),
                            sum(b.compute_cycles for b in chunk), len(chunk)))
    return merged


@dataclass
class SimResult:
    mapping: Mapping
    cycles: int
    time_s: float
    ledger: EnergyLedger
    energy: dict[str, float]           # energy_per_mac and e_* (units of one ALU MAC)
    dram_accesses_per_mac: float
    utilization: float
    sim_events: int
    bursts: int
    activity: list[tuple[str, int, int, str]] = field(default_factory=list)
    wall_s: float = 0.0
    execution: Execution | None = None   # outputs and observed counts when run on tensors
    array_cycles: int = 0              # cycles of the array phases (compute, GLB and NoC overlapped)
    dram_cycles: int = 0               # cycles of DRAM transfers (not overlapped with the array)


def simulate_mapping(m: Mapping, cfg: SpatialArch, max_events: int = 2000,
                     trace: bool = False, tensors: tuple | None = None) -> SimResult:
    """Run a mapping on the actors; book every access in a fresh ledger.

    With ``tensors`` = (weights (groups*M, C, R, S), inputs (N, groups*C, H, W)) the PE
    array computes each burst's passes on the data as the burst is processed
    (:func:`soc.spatial.functional.run_bursts`); the result's ``execution.outputs`` are
    then the array's outputs."""
    t_start = time.perf_counter()
    env = simpy.Environment()
    dram, glb = Dram(env, cfg), GlobalBuffer(env, m.glb_bytes, cfg.glb_words_per_cycle)
    noc, array = ArrayNetwork(env, cfg.noc_words_per_cycle), PEArray(env, cfg.pes)
    ledger = EnergyLedger()
    layer = m.shape.name
    counts = count_words(m)
    acc = accesses(m, counts)
    onchip = {k: v for k, v in acc.items() if k[0] != "dram"}
    glb_words = sum(v for (lvl, _), v in acc.items() if lvl == "glb") / m.shape.groups
    # words the GLB puts on the network: a multicast word once, else once per destination PE
    injected = sum(counts.F1[d] if m.multicast or d == "psums" else counts.F0[d] for d in DTYPES)
    per_pe = max(counts.F0.values()) / max(1, m.pes_used)    # busiest port of an average PE
    walk = bursts(m)
    events = _merge(walk, max(1, max_events // m.shape.groups))
    total_macs = counts.macs
    wb = cfg.word_bytes
    activity: list[tuple[str, int, int, str]] = []
    n_events = [0]
    phase = {"dram": 0, "array": 0}
    execution = new_execution(m) if tensors is not None else None
    arithmetic = run_bursts(m, tensors[0], tensors[1], execution) if tensors is not None else None

    def controller():
        # Bursts run one after another and nothing else uses the DRAM, the GLB or the
        # network, so a burst is one timed event: its DRAM write-back and reads, then the
        # longest of the array, the GLB and the network (each actor's own cycle formula).
        for gi in range(m.shape.groups):
            for i, b in enumerate(events):
                t0 = env.now
                dram_cycles = 0
                if b.dram_write:
                    dram_cycles += dram.cycles(b.dram_write * wb)
                    dram.bytes_moved += b.dram_write * wb
                    book(ledger, m, {("dram", "write:psums"): b.dram_write}, cfg, layer=layer)
                rd = sum(b.dram_read.values())
                if rd:
                    dram_cycles += dram.cycles(rd * wb)
                    dram.bytes_moved += rd * wb
                    book(ledger, m, {("dram", f"read:{d}"): w for d, w in b.dram_read.items() if w},
                         cfg, layer=layer)
                t1 = t0 + dram_cycles
                share = b.macs / total_macs
                if arithmetic is not None:
                    for _ in range(b.count):
                        next(arithmetic)
                burst = max(array.cycles(b.compute_cycles), glb.cycles(glb_words * share),
                            noc.cycles(injected * share, per_pe * share))
                array.busy_cycles += array.cycles(b.compute_cycles)
                if dram_cycles + burst:
                    yield env.timeout(dram_cycles + burst)
                phase["dram"] += int(t1 - t0)
                phase["array"] += int(env.now - t1)
                book(ledger, m, onchip, cfg, share=share / m.shape.groups, layer=layer)
                n_events[0] += 5
                if trace:
                    activity.append(("dram", int(t0), int(t1), f"g{gi} burst {i}"))
                    activity.append(("array", int(t1), int(env.now), f"g{gi} burst {i}"))

    env.process(controller())
    env.run()
    cycles = int(env.now)
    energy = breakdown(ledger, m, cfg)
    dram_acc = sum(v for (lvl, _), v in ledger_counts(ledger).items() if lvl == "dram")
    return SimResult(m, cycles, cycles * cfg.cycle_s, ledger, energy, dram_acc / m.shape.macs,
                     m.shape.macs / (cfg.pes * cycles) if cycles else 0.0, n_events[0],
                     len(walk) * m.shape.groups, activity, time.perf_counter() - t_start, execution,
                     phase["array"], phase["dram"])


def ledger_counts(ledger: EnergyLedger) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for b in ledger.bookings():
        out[(b.component, b.action)] = out.get((b.component, b.action), 0.0) + b.count
    return out
