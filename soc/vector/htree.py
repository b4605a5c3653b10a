"""The H-tree from the NSM to the Tn PEs.

Every PE sits log2(Tn) levels from the root, so one broadcast reaches all PEs at the
same time, ``levels x hop_cycles`` after it enters the tree (the tree is pipelined: a
new burst may enter while the previous one is in flight). A broadcast word is driven
down every branch of the tree, 2 + 4 + ... + Tn = 2 Tn - 2 hops, each booked at the
per-hop energy of the table, as energy spent on inputs (the broadcast neurons).
"""
from __future__ import annotations

import simpy


class HTree:
    def __init__(self, env: simpy.Environment, cfg, ledger, price, inbox: simpy.Store, nfu_inbox: simpy.Store,
                 activity: list):
        self.env, self.cfg, self.ledger, self.price = env, cfg, ledger, price
        self.inbox, self.nfu_inbox, self.activity = inbox, nfu_inbox, activity
        self.latency = cfg.htree_levels * cfg.htree.hop_cycles
        self.hops_per_word = 2 * cfg.tn - 2 if cfg.tn > 1 else 1
        self.proc = env.process(self.run())

    def run(self):
        while True:
            token = yield self.inbox.get()
            start = self.env.now
            self.ledger.book("htree", "hop", token.broadcast_words * self.hops_per_word, self.price("htree", "hop"),
                             data_type="inputs")  # the broadcast carries the selected neurons
            if self.latency:
                yield self.env.timeout(self.latency)
            self.activity.append(("htree", start, self.env.now, "broadcast"))
            yield self.nfu_inbox.put(token)  # reaches every PE at the same time
