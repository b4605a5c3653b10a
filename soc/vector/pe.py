"""The NFU: Tn processing elements in lock-step behind the H-tree.

Each PE has a private SB (synapse buffer), a WDM (look-up weight decoder), an SSM
(synapse selector) and a PEFU (Tm multipliers, adder tree, non-linear unit). PE j
computes outputs j, j + Tn, ... of each output tile (time-multiplexed). All PEs receive
the same broadcast and start and stop together, so the NFU is one SimPy process that
keeps the Tn PEs' own state (work done, busy cycles); a burst lasts its lock-step cycle
count, and a PE with less work than the slowest one idles (that is the load imbalance
of the weight-sparse baseline).

Booked per burst, summed over the PEs: SB reads and WDM decodes of every stored weight
each PE walks (once per input row), SSM selections (coarse-sparse) or step-index walks
(weight-sparse), multiplies and adder-tree adds per useful product, and NBout
writes (final words, or partial sums at accumulator width read back and rewritten).
Data types: SB reads, decodes and SSM selections serve weights, step-index walks serve
indexes, multiplies and adds are compute, NBout accesses serve outputs (final words) or
partial sums.
"""
from __future__ import annotations

import numpy as np
import simpy


class NeuralFunctionalUnit:
    def __init__(self, env: simpy.Environment, cfg, ledger, price, buffers, inbox: simpy.Store, finish,
                 activity: list):
        self.env, self.cfg, self.ledger, self.price = env, cfg, ledger, price
        self.buffers, self.inbox, self.finish, self.activity = buffers, inbox, finish, activity
        self.useful_macs = np.zeros(cfg.tn, np.int64)   # per PE
        self.busy_cycles = np.zeros(cfg.tn, np.int64)   # per PE: cycles with work
        self.cycles = 0                                  # lock-step cycles of the NFU
        self.proc = env.process(self.run())

    def run(self):
        while True:
            token = yield self.inbox.get()
            start = self.env.now
            self.compute(token)
            if token.cycles:
                yield self.env.timeout(token.cycles)
            self.activity.append(("nfu", start, self.env.now, f"p{token.visit.op.p} o{token.visit.op.o}"))
            self.finish(token)

    def compute(self, token) -> None:
        working = token.pe_outputs > 0
        if not working.any():
            return
        token.accumulate()
        useful, walked = int(token.pe_useful.sum()), int(token.pe_walked.sum())
        rows = token.inputs.neurons.rows
        self.useful_macs += token.pe_useful
        self.busy_cycles += np.where(working, token.pe_busy, 0)
        self.cycles += token.cycles
        self.buffers["sb"].read(walked * self.cfg.weight_code_bits / 16)
        book, price = self.ledger.book, self.price
        if self.cfg.entropy_decoder.enabled:
            book("entropy-decoder", "decode", walked, price("entropy-decoder", "decode"), data_type="weights")
        if self.cfg.weight_decoder == "lut":
            book("pe", "decode", walked, price("pe", "decode"), data_type="weights")
        if self.cfg.has_nsm:  # the SSM picks the weights named by the synapse flags
            book("pe", "select", useful, price("pe", "select"), data_type="weights")
        elif self.cfg.step_indexed:
            book("pe", "index-step", walked, price("pe", "index-step"), data_type="indexes")
            # the indexing module picks each weight's neuron out of the broadcast inputs
            book("pe", "neuron-select", useful, price("pe", "neuron-select"), data_type="inputs")
        book("pe", "mac", useful, price("pe", "mac"), data_type="compute")
        book("pe", "add", useful, price("pe", "add"), data_type="compute")
        # NBout: a final word per output when the burst holds the whole reduction, else a
        # partial sum at accumulator width read back (after the first burst) and rewritten
        entry_words = rows * int(token.pe_outputs.sum()) * token.visit.entry_bytes / 2
        held = "outputs" if token.visit.entry_bytes == self.cfg.word_bytes else "psums"
        if not token.compute.first:
            self.buffers["nbout"].read(entry_words, held)
        self.buffers["nbout"].write(entry_words, held)
