"""Off-chip DRAM: one channel shared by every DMA stream, so transfers contend.

A transfer is rounded up to whole bursts and holds the channel for bytes / bandwidth
cycles; a read completes ``latency_cycles`` later (the latency of one transfer overlaps
the next transfer's occupancy: the channel is pipelined), a write is posted (the
writer goes on once its data has crossed the channel). Energy is booked per byte at
the technology's pJ/bit, with the data type(s) the transfer carries: a transfer of several
parts (a weight tile's codes and its synapse index) books each part's share of the bytes
moved, burst padding shared in proportion to the parts' bytes (stated simplification).
The DRAM also really stores what is written to it (named
regions holding NumPy arrays), so layer outputs are read back from simulated DRAM.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import simpy

from energy.ledger import EnergyLedger
from soc.arch.vector import VectorArch


class Dram:
    def __init__(self, env: simpy.Environment, cfg: VectorArch, ledger: EnergyLedger, pj_per_byte: float,
                 activity: list):
        self.env, self.cfg, self.ledger = env, cfg.dram, ledger
        self.pj_per_byte = pj_per_byte
        self.channel = simpy.Resource(env, capacity=1)
        self.bytes_read = 0
        self.bytes_written = 0
        self.busy_cycles = 0
        self.regions: dict[Any, Any] = {}
        self.activity = activity

    def transfer(self, nbytes: int, write: bool, label: str, data: str | Sequence[tuple[str, float]] = "unattributed"):
        """SimPy process: move ``nbytes`` to (write) or from DRAM. ``data`` is the data type
        carried, or ``[(data type, bytes), ...]`` parts of the transfer."""
        if nbytes <= 0:
            return
        moved = math.ceil(nbytes / self.cfg.burst_bytes) * self.cfg.burst_bytes
        cycles = math.ceil(moved / self.cfg.bandwidth_bytes_per_cycle)
        with self.channel.request() as req:
            yield req
            start = self.env.now
            yield self.env.timeout(cycles)
            self.activity.append(("dram", start, self.env.now, label))
        self.busy_cycles += cycles
        if write:
            self.bytes_written += moved
        else:
            self.bytes_read += moved
        action = "write" if write else "read"
        if isinstance(data, str):
            self.ledger.book("dram", action, moved, self.pj_per_byte, data_type=data)
        else:
            total = sum(b for _, b in data)
            for dtype, part in data:
                self.ledger.book("dram", action, moved * part / total, self.pj_per_byte, data_type=dtype)
        if self.cfg.latency_cycles and not write:  # writes are posted: the writer does not wait
            yield self.env.timeout(self.cfg.latency_cycles)
