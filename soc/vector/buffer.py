"""On-chip buffers (SRAM or eDRAM) with ping-pong halves.

A tile claims one half for as long as it is in use; a buffer without ping-pong has a
single half the size of the whole buffer. Claiming more bytes than a half holds is an
error naming the buffer, the tile and both sizes: never a silent wrap. Accesses are
booked per 16-bit word with the data type the buffer holds (:data:`HOLDS`: NBin inputs,
NIBin and SIB indexes, SB weights; NBout holds partial sums or final outputs, and its
accesses name which); static energy (leakage, eDRAM refresh) is booked at the end of a
run from the simulated time.

Each buffer has one claimer (NBin and NIBin: the input DMA; SB and SIB: the weight DMA;
NBout: the output opener), served in order. A half is either free from a known cycle
on, or held by a claim whose release cycle is not known yet; a claim is granted at the
first cycle a half is free (:meth:`Buffer.grant`).
"""
from __future__ import annotations

from dataclasses import dataclass

from energy.ledger import Tally
from soc.arch.vector import BufferConfig

#: The data type each buffer holds (docs/hardware.md §2.2, 6): the data type of its accesses.
HOLDS = {"nbin": "inputs", "nibin": "indexes", "sib": "indexes", "sb": "weights", "nbout": "psums",
         "ib": "control"}


class BufferOverflowError(RuntimeError):
    """A tile larger than the buffer half it must fit into."""


@dataclass(eq=False, slots=True)
class Claim:
    half: int
    nbytes: int
    granted: int


def _earliest_free(free_at: list[int | None], cycle: int) -> int:
    """The half free at ``cycle`` that has been free the longest (the first such half on a tie)."""
    best = -1
    for i, f in enumerate(free_at):
        if f is not None and f <= cycle and (best < 0 or f < free_at[best]):  # type: ignore[operator]
            best = i
    if best < 0:
        raise ValueError(f"no half is free at cycle {cycle}")
    return best


class Buffer:
    def __init__(self, timeline, name: str, cfg: BufferConfig, ledger: Tally,
                 pj_read: float, pj_write: float, word_bytes: int, copies: int = 1, counters: list | None = None):
        self.timeline, self.name, self.cfg, self.ledger = timeline, name, cfg, ledger
        self.pj_read, self.pj_write, self.word_bytes = pj_read, pj_write, word_bytes
        self.copies = copies  # identical private instances (one SB per PE)
        self.data_type = HOLDS.get(name, "unattributed")
        self.counters = counters  # (buffer, cycle, bytes held per copy) at every claim and release
        n = 2 if cfg.ping_pong else 1
        self.free_at: list[int | None] = [0] * n      # None: held, release not known yet
        self.holders: list[Claim | None] = [None] * n
        self.peak_bytes = 0
        self._waiter = None
        self._keys: dict[tuple[str, str | None], tuple] = {}   # (action, data type) -> ledger key
        self.capacity: int = cfg.half_bytes   # bytes one half holds

    def check_fits(self, tile: str, nbytes: int) -> None:
        if nbytes > self.capacity:
            raise BufferOverflowError(
                f"buffer {self.name}: tile {tile} needs {nbytes} bytes but one "
                f"{'ping-pong half' if self.cfg.ping_pong else 'buffer'} holds {self.capacity} bytes "
                f"(buffer size {self.cfg.size_bytes} bytes)")

    def describe_wait(self) -> str:
        """What a claimer waiting for this buffer waits for, in words."""
        return f"a free {'half' if self.cfg.ping_pong else 'copy'} of buffer {self.name}"

    def grant(self, t: int, actor) -> tuple[int | None, bool]:
        """When a claim asked for at cycle ``t`` gets a half: ``(cycle, True)`` when
        known; ``(cycle, False)`` when a half is free at that cycle but a held one, whose
        release is not known yet, could still free earlier (known for certain once the
        clock reaches that cycle); ``(None, False)`` when every half is held with an
        unknown release. ``actor`` is resumed when a release becomes known."""
        free_at = self.free_at
        if len(free_at) == 2:            # ping-pong (the common case), without building lists
            a, b = free_at
            if a is not None and b is not None:
                return (t if t > a or t > b else min(a, b)), True
            self._waiter = actor
            first = a if b is None else b
            if first is None:
                return None, False
        else:
            first = free_at[0]
            if first is None:
                self._waiter = actor
                return None, False
            return max(t, first), True
        return max(t, first), first <= max(t, self.timeline.now)

    def claim(self, tile: str, nbytes: int, cycle: int) -> Claim:
        """Take the half that is free at ``cycle`` (from :meth:`grant`)."""
        if nbytes > self.capacity:
            self.check_fits(tile, nbytes)
        free_at = self.free_at
        half = _earliest_free(free_at, cycle)
        free_at[half] = None
        held = nbytes + self._other_held(half, cycle)
        if held > self.peak_bytes:
            self.peak_bytes = held
        claim = Claim(half, nbytes, cycle)
        self.holders[half] = claim
        if self.counters is not None:
            self.counters.append((self.name, cycle, held))
        return claim

    def _other_held(self, half: int, cycle: int) -> int:
        """Bytes of the other half's tile if it is held at ``cycle``."""
        held = 0
        free_at = self.free_at
        for i, c in enumerate(self.holders):
            if c is not None and i != half and c.granted <= cycle:
                f = free_at[i]
                if f is None or f > cycle:
                    held += c.nbytes
        return held

    def release(self, claim: Claim, cycle: int) -> None:
        """The half of ``claim`` is free from ``cycle`` on."""
        self.free_at[claim.half] = cycle
        if self.counters is not None:
            self.counters.append((self.name, cycle, self._other_held(claim.half, cycle)))
        if self._waiter is not None:
            waiter, self._waiter = self._waiter, None
            waiter.kick()

    def words(self, nbytes: float) -> float:
        return nbytes / self.word_bytes

    def account(self, action: str, data_type: str | None = None) -> tuple:
        """The ledger key of ``action`` ("read" or "write", per 16-bit word) on data of
        ``data_type`` (default: what the buffer holds), for ``Tally.add``: an actor that
        reads a buffer in every burst takes the key once."""
        key = self._keys.get((action, data_type))
        if key is None:
            price = {"read": self.pj_read, "write": self.pj_write}[action]
            key = self._keys[(action, data_type)] = self.ledger.account(self.name, action, price,
                                                                        data_type or self.data_type)
        return key

    def read(self, words: float, data_type: str | None = None) -> None:
        self.ledger.add(self.account("read", data_type), words)

    def write(self, words: float, data_type: str | None = None) -> None:
        self.ledger.add(self.account("write", data_type), words)
