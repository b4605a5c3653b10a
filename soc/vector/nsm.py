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
import simpy

from soc.arch.vector import VectorArch
from soc.compiler.program import Compute
from soc.vector.buffer import Buffer
from soc.vector.tokens import OutputVisit, ResidentTile, Selection


def decode_per_slice(weight_bits: int) -> int:
    return 16 if weight_bits <= 4 else 8 if weight_bits <= 8 else 1


class NeuronSelector:
    def __init__(self, env: simpy.Environment, cfg: VectorArch, ledger, price, buffers: dict[str, Buffer],
                 inbox: simpy.Store, outbox: simpy.Store, activity: list):
        self.env, self.cfg, self.ledger, self.price = env, cfg, ledger, price
        self.buffers, self.inbox, self.outbox, self.activity = buffers, inbox, outbox, activity
        self.stall = price.refresh_stall()   # eDRAM refresh steals this fraction of buffer cycles
        self.proc = env.process(self.run())

    def run(self):
        while True:
            compute, inp, wgt, visit = yield self.inbox.get()
            inp: ResidentTile
            wgt: ResidentTile
            visit: OutputVisit
            yield simpy.AllOf(self.env, [inp.ready, wgt.ready, visit.ready])
            start = self.env.now
            token = self.select(compute, inp, wgt, visit)
            nsm_cycles = token.nsm_cycles
            if nsm_cycles:
                yield self.env.timeout(nsm_cycles)
            self.activity.append(("nsm", start, self.env.now, f"p{compute.inp.p} i{compute.inp.i} o{compute.wgt.o}"))
            yield self.outbox.put(token)

    def select(self, compute: Compute, inp: ResidentTile, wgt: ResidentTile, visit: OutputVisit) -> Selection:
        cfg, tm, tn = self.cfg, self.cfg.tm, self.cfg.tn
        itile, wtile = inp.tile, wgt.tile
        rows, cols = itile.neurons.mask.shape
        outs = wtile.outputs
        groups = -(-outs // tn)
        stored = wtile.out_stored                                   # (outs,)
        walked = wtile.per_pe(stored, tn) * rows
        n_out_pe = wtile.per_pe(np.ones(outs, np.int64), tn)
        nsm_cycles = 0
        if cfg.has_nsm:
            sm = wtile.group_mask if cfg.shared_index else np.ones((groups, cols), np.uint8)
            # AND + prefix counts: the number of positions selected per (row, group)
            sel = (itile.neurons.mask.astype(np.float32) @ sm.T.astype(np.float32)).astype(np.int64)
            bits = rows * groups * cols
            masks = 0
            if cfg.compressed_neurons:
                self.buffers["nibin"].read(bits / 16)
                masks += 1
            if cfg.shared_index:
                self.buffers["sib"].read(bits / 16)
                masks += 1
            if masks == 2:
                self.ledger.book("nsm", "mask-and", bits, self.price("nsm", "mask-and"), data_type="indexes")
            self.ledger.book("nsm", "prefix-count", masks * bits, self.price("nsm", "prefix-count"),
                             data_type="indexes")
            gathered = int(sel.sum())
            self.ledger.book("nsm", "gather", gathered, self.price("nsm", "gather"), data_type="inputs")
            self.buffers["nbin"].read(gathered)
            per_out = np.repeat(sel.sum(axis=0), tn)[:outs]
            useful = wtile.per_pe(per_out, tn)
            g_stored = sm.sum(axis=1)[None, :]
            scan = math.ceil(cols / (16 * tm))
            pe = np.ceil(sel / tm)
            sb = np.ceil(g_stored * cfg.weight_code_bits / cfg.sb.bandwidth_bits)
            wdm = (np.ceil(g_stored / (tm * decode_per_slice(cfg.weight_bits)))
                   if cfg.weight_decoder == "lut" else np.zeros_like(g_stored))
            if cfg.entropy_decoder.enabled:  # one code word per cycle per decoder instance
                wdm = np.maximum(wdm, np.ceil(g_stored / cfg.entropy_decoder.per_pe))
            per = np.maximum(np.maximum(pe, scan), np.maximum(sb, wdm))      # (rows, groups)
            cycles = int(per.sum())
            has = (np.arange(groups * tn).reshape(groups, tn) < outs)         # PE j has an output in group g
            busy = per.sum(axis=0) @ has
            nsm_cycles = rows * groups * scan
            words = gathered
        else:
            # every neuron is broadcast once per row; the PEs advance in lock-step per group
            self.buffers["nbin"].read(rows * cols)
            padded = np.zeros(groups * tn, np.int64)
            padded[:outs] = stored
            per_group = padded.reshape(groups, tn)
            slowest = np.ceil(per_group / tm).max(axis=1)
            if cfg.entropy_decoder.enabled:
                slowest = np.maximum(slowest, np.ceil(per_group / cfg.entropy_decoder.per_pe).max(axis=1))
            sb = np.ceil(per_group.max(axis=1) * cfg.weight_code_bits / cfg.sb.bandwidth_bits)
            cycles = int(rows * np.maximum(slowest, sb).sum())
            busy = rows * np.ceil(per_group / tm).sum(axis=0)
            useful = walked
            words = rows * cols
        if self.stall:
            cycles = math.ceil(cycles * (1 + self.stall))
            nsm_cycles = math.ceil(nsm_cycles * (1 + self.stall))
        return Selection(compute, itile, wtile, visit, useful, walked, n_out_pe, busy.astype(np.int64), words, cycles,
                         release=(inp, wgt), nsm_cycles=nsm_cycles)
