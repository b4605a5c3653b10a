"""The neuron selector (NSM) and, for designs without one, the plain neuron broadcaster.

With an NSM (a shared synapse index, or zero activations skipped): for each input row
and each group of Tn outputs, AND the neuron mask with the group's synapse mask,
prefix-count the masks and gather the neurons at the set positions (docs/hardware.md §2.2). With
dense weights the synapse mask is all ones (only the neuron mask is counted); with dense
neurons the neuron mask is all ones (only the synapse mask is counted). The counts that set the PEs' work are computed here from
the real masks. The cycles of a burst, per (row, group), are the slowest of: NSM mask
scan (16 x Tm mask bits per cycle), the PEs' multiplies (ceil(selected / Tm)), the SB
read of the group's stored weights (SB bandwidth) and the WDM decode rate (a 64-bit
slice per multiplier decodes 16, 8 or 1 weights for codes of <= 4, <= 8, <= 16 bits),
and, with the optional entropy decoders, one code word per decoder per cycle.

Without an NSM (step-indexed or dense weights, dense neurons): every neuron is broadcast;
with step-indexed weights each PE's own indexing module walks them, and the PEs advance in lock-step per output group, so a
group takes as long as its PE with the most weights (load imbalance).
Dense: every PE multiplies every input: ceil(N_in / Tm) cycles per output.
"""
from __future__ import annotations

import math

import numpy as np

from soc.arch.vector import VectorArch
from soc.compiler.program import Compute
from soc.kernels import nsm_accumulate, sparse_mac_accumulate
from soc.vector.buffer import Buffer
from soc.vector.tokens import OutputVisit, ResidentTile, Selection


def decode_per_slice(weight_bits: int) -> int:
    return 16 if weight_bits <= 4 else 8 if weight_bits <= 8 else 1


class NeuronSelector:
    """Selects the work of each burst and books the NSM's accesses (its timing is kept by
    :class:`soc.vector.pipeline.ComputePipeline`)."""

    def __init__(self, cfg: VectorArch, ledger, price, buffers: dict[str, Buffer]):
        self.cfg, self.ledger, self.price, self.buffers = cfg, ledger, price, buffers
        self.stall = price.refresh_stall()   # eDRAM refresh steals this fraction of buffer cycles
        self.has_nsm, self.tn, self.tm = cfg.has_nsm, cfg.tn, cfg.tm
        self.masks = int(cfg.compressed_neurons) + int(cfg.shared_index)   # masks the NSM ANDs and counts
        # ledger keys of the accesses of every burst, in the order they are booked
        self._nbin_read = buffers["nbin"].account("read")
        if self.has_nsm:
            self._mask_reads = [buffers[n].account("read") for n, present in
                                (("nibin", cfg.compressed_neurons), ("sib", cfg.shared_index)) if present]
            self._mask_and = (ledger.account("nsm", "mask-and", price("nsm", "mask-and"), "indexes")
                              if self.masks == 2 else None)
            self._prefix_count = ledger.account("nsm", "prefix-count", price("nsm", "prefix-count"), "indexes")
            self._gather = ledger.account("nsm", "gather", price("nsm", "gather"), "inputs")

    def tile_costs(self, wtile) -> dict:
        """What a burst's cost needs from its weight tile alone (kept per tile: a
        stationary weight tile serves many bursts)."""
        costs = getattr(wtile, "_burst_costs", None)   # kept on the tile (shared by a batch's images)
        if costs is not None:
            return costs
        cfg, tm, tn = self.cfg, self.cfg.tm, self.cfg.tn
        stored = wtile.out_stored                                   # (outs,)
        outs = wtile.outputs
        groups = -(-outs // tn)
        cols = wtile.synapses.n_in
        costs = {"walked_row": int(stored.sum()), "outs": outs, "groups": groups, "cols": cols}
        if cfg.has_nsm:
            g_stored = (wtile.group_mask.sum(axis=1, dtype=np.int64) if cfg.shared_index
                        else np.full(groups, cols, np.int64))
            scan = math.ceil(cols / (16 * tm))
            sb = np.ceil(g_stored * cfg.weight_code_bits / cfg.sb.bandwidth_bits)
            wdm = (np.ceil(g_stored / (tm * decode_per_slice(cfg.weight_bits)))
                   if cfg.weight_decoder == "lut" else np.zeros(groups))
            if cfg.entropy_decoder.enabled:  # one code word per cycle per decoder instance
                wdm = np.maximum(wdm, np.ceil(g_stored / cfg.entropy_decoder.per_pe))
            costs["floor"] = np.maximum(np.maximum(sb, wdm), scan).astype(np.int64)   # per group
            costs["scan"] = scan
        else:
            padded = np.zeros(groups * tn, np.int64)
            padded[:outs] = stored
            per_group = padded.reshape(groups, tn)
            slowest = np.ceil(per_group / tm).max(axis=1)
            if cfg.entropy_decoder.enabled:
                slowest = np.maximum(slowest, np.ceil(per_group / cfg.entropy_decoder.per_pe).max(axis=1))
            sb = np.ceil(per_group.max(axis=1) * cfg.weight_code_bits / cfg.sb.bandwidth_bits)
            costs["cycles_row"] = int(np.maximum(slowest, sb).sum())
            costs["busy_row"] = np.ceil(per_group / tm).sum(axis=0).astype(np.int64)
            costs["stored_pe"] = wtile.per_pe(stored, tn)   # every stored weight is multiplied
        wtile._burst_costs = costs
        return costs

    def select(self, compute: Compute, inp: ResidentTile, wgt: ResidentTile, visit: OutputVisit) -> Selection:
        """One burst: the masks' AND + prefix counts (with the burst's arithmetic, in one
        call of the compiled kernel: each PE adds its exact products into the partial
        sums of its outputs), the NSM's accesses, and the cycles of the PEs."""
        itile, wtile = inp.tile, wgt.tile
        rows = itile.neurons.mask.shape[0]
        c = self.tile_costs(wtile)
        walked = c["walked_row"] * rows
        if self.has_nsm:
            # the kernel counts the selected positions per (row, group of Tn outputs), from
            # which the burst's cycles and per-PE work follow (the tiles of designs with a
            # shared index, or dense weights, group outputs by Tn)
            cycles, words, useful, pe_useful, pe_busy = nsm_accumulate(
                itile.neurons, wtile.synapses, visit.psums, c["floor"], c["outs"], self.tn, self.tm)
            self._book_nsm(rows * c["groups"] * c["cols"], words)
            nsm_cycles = rows * c["groups"] * c["scan"]
        else:
            cycles, nsm_cycles, useful, pe_useful, pe_busy, words = self._broadcast(itile, wtile, visit, rows, c,
                                                                                    walked)
        if self.stall:
            cycles = math.ceil(cycles * (1 + self.stall))
            nsm_cycles = math.ceil(nsm_cycles * (1 + self.stall))
        return Selection(compute, itile, wtile, visit, useful, walked, c["outs"], pe_useful, pe_busy, words, cycles,
                         nsm_cycles=nsm_cycles)

    def _book_nsm(self, bits: int, gathered: int) -> None:
        """The NSM's accesses of a burst: its masks (neuron and/or synapse) read, ``bits``
        positions of each, ANDed when there are two, prefix-counted, and the ``gathered``
        selected neurons read from NBin."""
        add = self.ledger.add
        for key in self._mask_reads:
            add(key, bits / 16)
        if self.masks == 2:
            add(self._mask_and, bits)
        add(self._prefix_count, self.masks * bits)
        add(self._gather, gathered)
        add(self._nbin_read, gathered)

    def _broadcast(self, itile, wtile, visit: OutputVisit, rows: int, c: dict, walked: int) -> tuple:
        """Without an NSM: every neuron is broadcast once per row; the PEs advance in
        lock-step per group (each PE adds its exact products into its partial sums: the
        kernel's selected counts are not needed, the PEs' work follows from the tile)."""
        sparse_mac_accumulate(itile.neurons, wtile.synapses, visit.psums)
        self.ledger.add(self._nbin_read, rows * c["cols"])
        return rows * c["cycles_row"], 0, walked, rows * c["stored_pe"], rows * c["busy_row"], rows * c["cols"]
