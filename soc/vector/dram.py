"""Off-chip DRAM: one channel shared by every DMA stream, so transfers contend.

A transfer is rounded up to whole bursts and holds the channel for bytes / bandwidth
cycles, in the order the requests are made (a request waits for the transfers asked
for before it); a read completes ``latency_cycles`` after its data crossed the channel
(the latency of one transfer overlaps the next transfer's occupancy: the channel is
pipelined), a write is posted (the writer goes on once its data has crossed the
channel). Energy is booked per byte at the technology's pJ/bit, with the data type(s) the
transfer carries: a transfer of several parts (a weight tile's codes and its synapse
index) books each part's share of the bytes moved, burst padding shared in proportion to
the parts' bytes (stated simplification). The DRAM also really stores what is written to
it (named regions holding NumPy arrays), so layer outputs are read back from simulated
DRAM.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from energy.ledger import Tally
from soc.arch.vector import VectorArch


class Dram:
    def __init__(self, timeline, cfg: VectorArch, ledger: Tally, pj_per_byte: float, activity: list):
        self.timeline, self.cfg, self.ledger = timeline, cfg.dram, ledger
        self.pj_per_byte = pj_per_byte
        self.free_at = 0            # the channel is busy until this cycle
        self.bytes_read = 0
        self.bytes_written = 0
        self.busy_cycles = 0
        self.regions: dict[Any, Any] = {}
        self.activity = activity
        self._keys: dict[tuple[bool, str], tuple] = {}

    def transfer(self, nbytes: int, write: bool, label: str,
                 data: str | Sequence[tuple[str, float]] = "unattributed") -> int:
        """Request a transfer of ``nbytes`` to (write) or from DRAM in the current cycle;
        returns the cycle at which the requester may go on (a read's data has arrived, a
        write's data has left). ``data`` is the data type carried, or ``[(data type,
        bytes), ...]`` parts of the transfer."""
        now = self.timeline.now
        if nbytes <= 0:
            return now
        cfg = self.cfg
        moved = math.ceil(nbytes / cfg.burst_bytes) * cfg.burst_bytes
        cycles = math.ceil(moved / cfg.bandwidth_bytes_per_cycle)
        start = now if now > self.free_at else self.free_at
        end = self.free_at = start + cycles
        self.activity.append(("dram", start, end, label))
        self.busy_cycles += cycles
        if write:
            self.bytes_written += moved
        else:
            self.bytes_read += moved
        add = self.ledger.add
        if isinstance(data, str):
            add(self._key(write, data), moved)
        else:
            total = sum([b for _, b in data])
            for dtype, part in data:
                add(self._key(write, dtype), moved * part / total)
        return end if write else end + cfg.latency_cycles

    def _key(self, write: bool, data_type: str) -> tuple:
        """The ledger key of a DRAM read or write carrying ``data_type`` (per byte moved)."""
        key = self._keys.get((write, data_type))
        if key is None:
            key = self._keys[(write, data_type)] = self.ledger.account(
                "dram", "write" if write else "read", self.pj_per_byte, data_type)
        return key
