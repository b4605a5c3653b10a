"""A processing element: SB (private synapse buffer), WDM (look-up weight decoder),
SSM (synapse selector) and PEFU (Tm multipliers, adder tree, non-linear unit).

PE j of Tn computes outputs j, j + Tn, ... of each output tile (time-multiplexed). On a
broadcast it runs the real arithmetic on its own SB contents with the compiled kernel,
adding exact partial sums into its columns of the open NBout tile, and stays busy for
the burst's lock-step cycle count. Booked: SB reads and WDM decodes of every stored
weight it walks (per input row), SSM selections, multiplies and adder-tree adds per
useful product, and NBout partial-sum traffic.
"""
from __future__ import annotations

import simpy



class ProcessingElement:
    def __init__(self, env: simpy.Environment, index: int, cfg, ledger, price, buffers, inbox: simpy.Store,
                 finish, activity: list):
        self.env, self.index, self.cfg, self.ledger, self.price = env, index, cfg, ledger, price
        self.buffers, self.inbox, self.finish, self.activity = buffers, inbox, finish, activity
        self.busy_cycles = 0
        self.useful_macs = 0
        self.proc = env.process(self.run())

    def run(self):
        while True:
            token = yield self.inbox.get()
            start = self.env.now
            self.compute(token)
            if token.cycles:
                yield self.env.timeout(token.cycles)
            if self.index == 0:
                self.activity.append(("pe-array", start, self.env.now, f"{token.visit.rows}x{token.visit.outs}"))
            token.pes_left -= 1
            if token.pes_left == 0:
                self.finish(token)

    def compute(self, token) -> None:
        j = self.index
        n_out = int(token.pe_outputs[j])
        if n_out == 0:
            return
        token.accumulate()
        useful, walked = int(token.pe_useful[j]), int(token.pe_walked[j])
        rows = token.inputs.neurons.rows
        self.useful_macs += useful
        self.busy_cycles += token.cycles
        self.buffers["sb"].read(walked * self.cfg.weight_bits / 16)
        self.ledger.book("pe", "decode", walked, self.price("pe", "decode"))
        if self.cfg.preset == "coarse-sparse":
            self.ledger.book("pe", "select", useful, self.price("pe", "select"))
        elif self.cfg.preset == "weight-sparse":
            self.ledger.book("pe", "index-step", walked, self.price("pe", "index-step"))
        self.ledger.book("pe", "mac", useful, self.price("pe", "mac"))
        self.ledger.book("pe", "add", useful, self.price("pe", "add"))
        psum_words = rows * n_out * self.cfg.acc_bits / 16
        if not token.compute.first:
            self.buffers["nbout"].read(psum_words)
        self.buffers["nbout"].write(psum_words)
