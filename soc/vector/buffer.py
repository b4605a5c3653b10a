"""On-chip buffers (SRAM or eDRAM) with ping-pong halves.

A tile claims one half for as long as it is in use; a buffer without ping-pong has a
single half the size of the whole buffer. Claiming more bytes than a half holds is an
error naming the buffer, the tile and both sizes: never a silent wrap. Accesses are
booked per 16-bit word with the data type the buffer holds (:data:`HOLDS`: NBin inputs,
NIBin and SIB indexes, SB weights; NBout holds partial sums or final outputs, and its
accesses name which); static energy (leakage, eDRAM refresh) is booked at the end of a
run from the simulated time.
"""
from __future__ import annotations

import simpy

from energy.ledger import EnergyLedger
from soc.arch.vector import BufferConfig

#: The data type each buffer holds (docs/hardware.md §2.2, 6): the data type of its accesses.
HOLDS = {"nbin": "inputs", "nibin": "indexes", "sib": "indexes", "sb": "weights", "nbout": "psums",
         "ib": "control"}


class BufferOverflowError(RuntimeError):
    """A tile larger than the buffer half it must fit into."""


class Buffer:
    def __init__(self, env: simpy.Environment, name: str, cfg: BufferConfig, ledger: EnergyLedger,
                 pj_read: float, pj_write: float, word_bytes: int, copies: int = 1, counters: list | None = None):
        self.env, self.name, self.cfg, self.ledger = env, name, cfg, ledger
        self.pj_read, self.pj_write, self.word_bytes = pj_read, pj_write, word_bytes
        self.copies = copies  # identical private instances (one SB per PE)
        self.data_type = HOLDS.get(name, "unattributed")
        self.halves = simpy.Resource(env, capacity=2 if cfg.ping_pong else 1)
        self.peak_bytes = 0
        self._held = 0
        self.counters = counters  # (buffer, cycle, bytes held per copy) at every claim and release
    @property
    def capacity(self) -> int:
        return self.cfg.half_bytes

    def check_fits(self, tile: str, nbytes: int) -> None:
        if nbytes > self.capacity:
            raise BufferOverflowError(
                f"buffer {self.name}: tile {tile} needs {nbytes} bytes but one "
                f"{'ping-pong half' if self.cfg.ping_pong else 'buffer'} holds {self.capacity} bytes "
                f"(buffer size {self.cfg.size_bytes} bytes)")

    def claim(self, tile: str, nbytes: int):
        """SimPy process: wait for a free half and occupy it; returns the claim."""
        self.check_fits(tile, nbytes)
        req = self.halves.request()
        yield req
        req.nbytes = nbytes  # type: ignore[attr-defined]
        self._held += nbytes
        self.peak_bytes = max(self.peak_bytes, self._held)
        if self.counters is not None:
            self.counters.append((self.name, self.env.now, self._held))
        return req

    def release(self, claim) -> None:
        self._held -= claim.nbytes
        self.halves.release(claim)
        if self.counters is not None:
            self.counters.append((self.name, self.env.now, self._held))

    def words(self, nbytes: float) -> float:
        return nbytes / self.word_bytes

    def read(self, words: float, data_type: str | None = None) -> None:
        self.ledger.book(self.name, "read", words, self.pj_read, data_type=data_type or self.data_type)

    def write(self, words: float, data_type: str | None = None) -> None:
        self.ledger.book(self.name, "write", words, self.pj_write, data_type=data_type or self.data_type)
