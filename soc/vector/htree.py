"""The H-tree from the NSM to the Tn PEs.

Every PE sits log2(Tn) levels from the root, so one broadcast reaches all PEs at the
same time, ``levels x hop_cycles`` after it enters the tree (the tree is pipelined: a
new burst may enter while the previous one is in flight). A broadcast word is driven
down every branch of the tree, 2 + 4 + ... + Tn = 2 Tn - 2 hops, each booked at the
per-hop energy of the table, as energy spent on inputs (the broadcast neurons).
"""
from __future__ import annotations


class HTree:
    def __init__(self, cfg, ledger, price):
        self.cfg, self.ledger, self.price = cfg, ledger, price
        self.latency = cfg.htree_levels * cfg.htree.hop_cycles
        self.hops_per_word = 2 * cfg.tn - 2 if cfg.tn > 1 else 1
        # the broadcast carries the selected neurons
        self._hop = ledger.account("htree", "hop", price("htree", "hop"), "inputs")

    def broadcast(self, token) -> None:
        """Book one burst's broadcast: every word down every branch."""
        self.ledger.add(self._hop, token.broadcast_words * self.hops_per_word)
