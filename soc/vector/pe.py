"""The NFU: Tn processing elements in lock-step behind the H-tree.

Each PE has a private SB (synapse buffer), a WDM (look-up weight decoder), an SSM
(synapse selector) and a PEFU (Tm multipliers, adder tree, non-linear unit). PE j
computes outputs j, j + Tn, ... of each output tile (time-multiplexed). All PEs receive
the same broadcast and start and stop together, so the NFU is one unit that keeps the
Tn PEs' own state (work done, busy cycles); a burst lasts its lock-step cycle
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


class NeuralFunctionalUnit:
    def __init__(self, cfg, ledger, price, buffers):
        self.cfg, self.ledger, self.price, self.buffers = cfg, ledger, price, buffers
        self.useful_macs = np.zeros(cfg.tn, np.int64)   # per PE
        self.busy_cycles = np.zeros(cfg.tn, np.int64)   # per PE: cycles with work
        self.cycles = 0                                  # lock-step cycles of the NFU
        self.code_bits, self.word_bytes = cfg.weight_code_bits, cfg.word_bytes
        self._sb_read = buffers["sb"].account("read")
        self._actions = self._per_burst_actions(cfg, ledger, price)
        self._nbout: dict[str, tuple] = {}   # data type held -> NBout (read, write) keys

    @staticmethod
    def _per_burst_actions(cfg, ledger, price) -> list[tuple[tuple, bool]]:
        """The PE actions of a burst after its SB reads, in booking order: (ledger key,
        True when counted per stored weight walked, False per useful product)."""
        actions = []   # (component, action, data type, per weight walked)
        if cfg.entropy_decoder.enabled:
            actions.append(("entropy-decoder", "decode", "weights", True))
        if cfg.weight_decoder == "lut":
            actions.append(("pe", "decode", "weights", True))
        if cfg.has_nsm:  # the SSM picks the weights named by the synapse flags
            actions.append(("pe", "select", "weights", False))
        elif cfg.step_indexed:
            actions.append(("pe", "index-step", "indexes", True))
            # the indexing module picks each weight's neuron out of the broadcast inputs
            actions.append(("pe", "neuron-select", "inputs", False))
        actions += [("pe", "mac", "compute", False), ("pe", "add", "compute", False)]
        return [(ledger.account(c, a, price(c, a), d), walked) for c, a, d, walked in actions]

    def compute(self, token) -> None:
        """Book one burst's PE work (its products are already in the partial sums)."""
        if not token.outputs:
            return
        useful, walked = token.useful, token.walked
        rows = token.inputs.neurons.mask.shape[0]
        self.useful_macs += token.pe_useful
        self.busy_cycles += token.pe_busy
        self.cycles += token.cycles
        add = self.ledger.add
        add(self._sb_read, walked * self.code_bits / 16)
        for key, per_walked in self._actions:
            add(key, walked if per_walked else useful)
        # NBout: a final word per output when the burst holds the whole reduction, else a
        # partial sum at accumulator width read back (after the first burst) and rewritten
        entry_bytes = token.visit.entry_bytes
        read, write = self._nbout_keys("outputs" if entry_bytes == self.word_bytes else "psums")
        entry_words = rows * token.outputs * entry_bytes / 2
        if not token.compute.first:
            add(read, entry_words)
        add(write, entry_words)

    def _nbout_keys(self, held: str) -> tuple:
        keys = self._nbout.get(held)
        if keys is None:
            nbout = self.buffers["nbout"]
            keys = self._nbout[held] = (nbout.account("read", held), nbout.account("write", held))
        return keys
