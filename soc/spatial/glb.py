"""The global buffer actor: a single SRAM with ``glb_words_per_cycle`` words per cycle
(reads and writes share the ports). Capacity is enforced by the mapping search
(:meth:`soc.spatial.loopnest.Mapping.fits`), not at run time."""
from __future__ import annotations

from math import ceil

import simpy


class GlobalBuffer:
    def __init__(self, env: simpy.Environment, size_bytes: int, words_per_cycle: int) -> None:
        self.env = env
        self.size_bytes = size_bytes
        self.words_per_cycle = words_per_cycle
        self.port = simpy.Resource(env, capacity=1)
        self.busy_cycles = 0

    def cycles(self, words: float) -> int:
        """Cycles to read or write ``words`` words."""
        return ceil(words / self.words_per_cycle)

    def access(self, words: float):
        """Process: read or write ``words`` words."""
        cycles = self.cycles(words)
        with self.port.request() as req:
            yield req
            yield self.env.timeout(cycles)
        self.busy_cycles += cycles
