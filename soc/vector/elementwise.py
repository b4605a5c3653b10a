"""Element-wise layers (pooling, activation, LRN, batch norm, residual add, the gate
arithmetic of LSTM/GRU cells) on the vector accelerator's NFU: a transaction-level cost
model plus the fixed-point outputs.

Cost model (one layer = one stream of tiles, loads overlapping compute by ping-pong):

* DRAM in: every input tensor is read once. ``coarse-sparse`` stores activations
  compressed (non-zero 16-bit values + a 1-bit-per-position mask, as its encoder wrote
  them); the baselines store them dense. Each tile of one NBin half is rounded up to
  whole DRAM bursts, as the DMA moves it.
* NBin: every stored input word is written once (DMA) and read once (NFU); the mask
  bits go through NIBin the same way (coarse-sparse).
* NFU: the layer's element operations (``ops``: compare / add / multiply /
  nonlinear-table look-up) run on the Tn x Tm multiplier-adder lanes, one operation per
  lane per cycle: ``ceil(sum(ops) / (Tn * Tm))`` cycles.
* NBout: every output word is written once and read once by the encoder.
* DRAM out: ``coarse-sparse``'s encoder compares every output with zero and compacts the
  non-zeros (values + mask written); the baselines write dense outputs.
* Cycles = max(DRAM transfer, NBin, NFU, NBout cycles) + one DRAM latency (the first
  load is not hidden; everything after overlaps).
* Energy: every access and operation above is booked at the design table's prices
  (``soc.vector.pricing``): DRAM pJ/byte of the configured technology, NBin/NIBin/NBout per
  16-bit word, PE ``mac`` per multiply, ``add`` per add, ``nonlinear`` per table
  look-up; a compare is priced as an add (a comparator is an adder's carry chain:
  stated simplification). The CP decodes three instructions (load, compute, store) per
  tile. Static energy: every component's leakage (and eDRAM refresh) as a matrix layer,
  over the layer's cycles.
* Data types: input values are ``inputs``, output values ``outputs``, masks ``indexes``
  (a DRAM burst's bytes shared between values and masks in proportion), NFU operations
  ``compute``, CP decode ``control``, leakage ``static``.
"""
from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import numpy as np

from energy.ledger import EnergyLedger
from soc.arch.vector import VectorArch
from soc.result import LayerResult, merge_entries
from soc.vector.pricing import Pricing

OPS = ("compare", "add", "multiply", "nonlinear")
_ACTION = {"compare": ("pe", "add"), "add": ("pe", "add"), "multiply": ("pe", "mac"),
           "nonlinear": ("pe", "nonlinear")}


def stored_bytes(x: np.ndarray, cfg: VectorArch) -> tuple[int, int]:
    """(value bytes, mask bytes) of an activation tensor as stored in DRAM by a design."""
    n = int(x.size)
    if cfg.compressed_neurons:
        return int(np.count_nonzero(x)) * cfg.word_bytes, math.ceil(n / 8)
    return n * cfg.word_bytes, 0


def _burst_rounded(nbytes: int, tile_bytes: int, burst: int) -> int:
    """Bytes moved when ``nbytes`` go in tiles of ``tile_bytes``, each rounded to bursts."""
    if nbytes <= 0:
        return 0
    full, rest = divmod(nbytes, tile_bytes)
    per_tile = math.ceil(tile_bytes / burst) * burst
    return full * per_tile + (math.ceil(rest / burst) * burst if rest else 0)


def book_static(ledger: EnergyLedger, cfg: VectorArch, price: Pricing, cycles: int) -> None:
    """Leakage of every component (and eDRAM refresh) over ``cycles``: the same blocks a
    matrix layer books."""
    price.book_static(ledger, cycles)


def run_elementwise(name: str, kind: str, inputs: Sequence[np.ndarray], outputs: np.ndarray,
                    ops: Mapping[str, int], cfg: VectorArch, *, matches: bool,
                    ledger: EnergyLedger | None = None, wall_start: float | None = None) -> LayerResult:
    """Cost of one element-wise layer that read ``inputs`` and produced ``outputs`` (int16
    arrays as stored), doing ``ops`` {compare|add|multiply|nonlinear: count}.
    ``matches`` is the caller's check of the outputs against the reference."""
    wall = time.perf_counter() if wall_start is None else wall_start
    for op, count in ops.items():
        if op not in OPS:
            raise ValueError(f"{name}: unknown element operation {op!r}; allowed: {', '.join(OPS)}")
        if count < 0:
            raise ValueError(f"{name}: operation count {op} must be >= 0, got {count}")
    own = EnergyLedger()
    own.layer = name
    price = Pricing(cfg)
    word, burst, half = cfg.word_bytes, cfg.dram.burst_bytes, cfg.nbin.half_bytes
    read_values = read_masks = 0
    for x in inputs:
        v, m = stored_bytes(x, cfg)
        read_values += v
        read_masks += m
    write_values, write_masks = stored_bytes(outputs, cfg)
    dram_read = _burst_rounded(read_values + read_masks, half, burst)
    dram_written = _burst_rounded(write_values + write_masks, cfg.nbout.half_bytes, burst)
    # DRAM bursts carry values and masks: each gets its share of the bytes moved
    for action, moved, values, masks, dtype in (("read", dram_read, read_values, read_masks, "inputs"),
                                                ("write", dram_written, write_values, write_masks, "outputs")):
        if moved:
            for part, kind in ((values, dtype), (masks, "indexes")):
                if part:
                    own.book("dram", action, moved * part / (values + masks), price.dram_pj_per_byte,
                             data_type=kind)

    in_words = read_values / word
    out_words = int(outputs.size)
    own.book("nbin", "write", in_words, price("nbin", "write"), data_type="inputs")
    own.book("nbin", "read", in_words, price("nbin", "read"), data_type="inputs")
    if read_masks:
        own.book("nibin", "write", read_masks / 2, price("nibin", "write"), data_type="indexes")
        own.book("nibin", "read", read_masks / 2, price("nibin", "read"), data_type="indexes")
    own.book("nbout", "write", out_words, price("nbout", "write"), data_type="outputs")
    own.book("nbout", "read", out_words, price("nbout", "read"), data_type="outputs")
    for op, count in ops.items():
        comp, action = _ACTION[op]
        own.book(comp, action, count, price(comp, action), data_type="compute")
    if cfg.compressed_neurons:
        own.book("encoder", "compare", out_words, price("encoder", "compare"), data_type="outputs")
        own.book("encoder", "compact", write_values // word, price("encoder", "compact"), data_type="outputs")
    tiles = max(1, math.ceil((read_values + read_masks) / half), math.ceil(out_words * word / cfg.nbout.half_bytes))
    own.book("cp", "decode", 3 * tiles, price("cp", "decode"), data_type="control")

    lanes = cfg.tn * cfg.tm
    nfu_cycles = math.ceil(sum(ops.values()) / lanes)
    dram_cycles = math.ceil((dram_read + dram_written) / cfg.dram.bandwidth_bytes_per_cycle)
    nbin_cycles = math.ceil(in_words * 16 / cfg.nbin.bandwidth_bits)
    nbout_cycles = math.ceil(out_words * 16 / cfg.nbout.bandwidth_bits)
    cycles = max(nfu_cycles, dram_cycles, nbin_cycles, nbout_cycles) + cfg.dram.latency_cycles
    book_static(own, cfg, price, cycles)
    if ledger is not None:
        ledger.merge(own, layer=name)
    return LayerResult(
        name=name, kind=kind, arch=cfg.name, cycles=cycles, time_s=cycles * cfg.cycle_s,
        energy_pj=own.total_pj(), energy_by_component=own.component_totals(),
        energy_by_action=own.action_totals(), energy_by_data_type=own.data_type_totals(),
        energy_entries=own.entries(), useful_macs=0, skipped_macs=0, effectual_macs=0,
        dense_macs=0, dram_bytes_read=dram_read, dram_bytes_written=dram_written, utilization=0.0,
        outputs_match_reference=bool(matches), sim_events=0, wall_s=time.perf_counter() - wall,
        strategy="elementwise",
        tiling={"tiles": tiles, "nfu_cycles": nfu_cycles, "dram_cycles": dram_cycles},
        traffic_estimate={}, buffer_peak_bytes={"nbin": min(half, read_values + read_masks),
                                               "nbout": min(cfg.nbout.half_bytes, out_words * word)},
        area_by_component_mm2=price.area_by_component_mm2, outputs=outputs)


def combine(name: str, kind: str, parts: Sequence[LayerResult], cfg: VectorArch) -> LayerResult:
    """One record for a layer made of several steps run one after another (an LSTM or GRU
    cell: its matrix products and its element-wise gate arithmetic): cycles, energy,
    MACs and bytes add up; outputs match only if every step matched."""
    if not parts:
        raise ValueError(f"{name}: nothing to combine")
    comp: dict[str, float] = {}
    act: dict[str, float] = {}
    dtypes: dict[str, float] = {}
    peaks: dict[str, int] = {}
    for p in parts:
        for total, part in ((comp, p.energy_by_component), (act, p.energy_by_action),
                            (dtypes, p.energy_by_data_type)):
            for k, v in part.items():
                total[k] = total.get(k, 0.0) + v
        for k, v in p.buffer_peak_bytes.items():
            peaks[k] = max(peaks.get(k, 0), v)
    cycles = sum(p.cycles for p in parts)
    useful = sum(p.useful_macs for p in parts)
    strategies = [p.strategy for p in parts if p.strategy != "elementwise"]
    return LayerResult(
        name=name, kind=kind, arch=cfg.name, cycles=cycles, time_s=cycles * cfg.cycle_s,
        energy_pj=sum(p.energy_pj for p in parts), energy_by_component=comp, energy_by_action=act,
        energy_by_data_type=dtypes, energy_entries=merge_entries(*(p.energy_entries for p in parts)),
        useful_macs=useful, skipped_macs=sum(p.skipped_macs for p in parts),
        effectual_macs=sum(p.effectual_macs for p in parts), dense_macs=sum(p.dense_macs for p in parts),
        dram_bytes_read=sum(p.dram_bytes_read for p in parts),
        dram_bytes_written=sum(p.dram_bytes_written for p in parts),
        utilization=min(1.0, useful / (cycles * cfg.tn * cfg.tm)) if cycles else 0.0,
        outputs_match_reference=all(p.outputs_match_reference for p in parts),
        sim_events=sum(p.sim_events for p in parts), wall_s=sum(p.wall_s for p in parts),
        strategy="+".join(dict.fromkeys(strategies)) or "elementwise",
        tiling={}, traffic_estimate={}, buffer_peak_bytes=peaks, outputs=parts[-1].outputs,
        area_by_component_mm2=dict(parts[0].area_by_component_mm2),
        activity=_after_each_other(parts, "activity"), counters=_after_each_other(parts, "counters"),
        activity_dropped=sum(p.activity_dropped for p in parts))


def _after_each_other(parts: Sequence[LayerResult], attr: str) -> list:
    """Activity records or counter samples of steps run one after another, each step's
    cycles shifted by the cycles of the steps before it."""
    out, offset = [], 0
    for p in parts:
        for rec in getattr(p, attr):
            out.append((rec[0], rec[1] + offset, rec[2] + offset, *rec[3:]) if attr == "activity"
                       else (rec[0], rec[1] + offset, rec[2]))
        offset += p.cycles
    return out
