"""DMA engines: one per stream (inputs, weights, output tiles opening, output tiles
closing). Each serves its queue in program order; a load first claims a free half of
every buffer it fills (waiting while both halves are in use: ping-pong back-pressure),
then moves its real bytes over the shared DRAM channel, then books the buffer writes.

Each engine is a state machine (:class:`soc.vector.timeline.Actor`): it takes its next
entry when it is free and the entry is there, works out when its claims are granted,
and makes its DRAM request at that cycle (one timed event when that cycle is still to
come); the tile is ready when the data has arrived, a fact the compute pipeline reads.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soc.vector.timeline import Actor, DispatchQueue


@dataclass(frozen=True, slots=True)
class Load:
    """What loading one tile moves: ``parts`` are (buffer, bytes claimed per copy, bytes
    written in all copies); ``nbytes`` their sum (one DRAM transfer), ``data`` the data
    type of each non-empty part, as the DRAM books them, and ``writes`` the (buffer, words
    written) of each part."""
    label: str
    parts: tuple
    nbytes: int
    data: tuple
    writes: tuple

    @classmethod
    def of(cls, label: str, parts: list) -> "Load":
        return cls(label, tuple(parts), sum(w for _, _, w in parts),
                   tuple((buf.data_type, w) for buf, _, w in parts if w),
                   tuple((buf, buf.words(w)) for buf, _, w in parts))


def _later(actor: Actor, cycle: int, now: int) -> None:
    """Sleep until the cycle of a DRAM request (never one already past)."""
    if cycle < now:  # pragma: no cover - every fact is known no later than the cycle it names
        raise RuntimeError(f"{type(actor).__name__}: a DRAM request for cycle {cycle} found at cycle {now}")
    actor.wake_at(cycle)


class LoadEngine(Actor):
    """Moves input or weight tiles from DRAM into their buffers."""

    def __init__(self, timeline, name: str, dram, queue: DispatchQueue, fill, activity: list):
        super().__init__(timeline)
        self.name, self.dram, self.queue, self.fill, self.activity = name, dram, queue, fill, activity
        queue.consumer = self
        self.free = 0          # cycle at which the engine has finished its last load

    def advance(self) -> None:
        now = self.timeline.now
        while True:
            if self._cur is None:
                nxt = self.take(self.queue, self.free)
                if nxt is None:
                    return
                resident, start = nxt
                load = self.fill(resident.tile)   # fill(tile) -> Load
                self._cur = [resident, load, start, start, 0]
            resident, load, start, t, k = self._cur
            label, parts = load.label, load.parts
            while k < len(parts):           # claim a half of each buffer, in order
                buf, claimed, _ = parts[k]
                cycle, certain = buf.grant(t, self)
                if cycle is None:
                    self._waiting = buf.describe_wait
                    return                   # resumed when a half's release is known
                if not certain:
                    self.wake_at(cycle)
                    return
                resident.claims.append((buf, buf.claim(label, claimed, cycle)))
                t = self._cur[3] = cycle
                k = self._cur[4] = k + 1
            if t != now:                     # the DRAM request is made in its own cycle
                _later(self, t, now)
                return
            done = self.dram.transfer(load.nbytes, write=False, label=label, data=load.data)
            for buf, words in load.writes:
                buf.write(words)
            self.activity.append((self.name, start, done, label))
            self.free = done
            self._cur = None
            resident.ready.set(done)


class OutputOpener(Actor):
    """Claims an NBout half for an output tile and reloads its partial sums if needed."""
    name = "dma-out (open)"

    def __init__(self, timeline, cfg, dram, nbout, queue: DispatchQueue, activity: list):
        super().__init__(timeline)
        self.cfg, self.dram, self.nbout, self.queue, self.activity = cfg, dram, nbout, queue, activity
        queue.consumer = self
        self.free = 0

    def advance(self) -> None:
        now = self.timeline.now
        while True:
            if self._cur is None:
                self._cur = self.take(self.queue, self.free)
                if self._cur is None:
                    return
            visit, start = self._cur
            op = visit.op
            n = visit.rows * visit.outs
            if visit.claim is None:
                cycle, certain = self.nbout.grant(start, self)
                if cycle is None:
                    self._waiting = self.nbout.describe_wait
                    return
                if not certain:
                    self.wake_at(cycle)
                    return
                visit.claim = self.nbout.claim(f"out p{op.p} o{op.o}", n * visit.entry_bytes, cycle)
            granted = visit.claim.granted
            if op.reload_partial:
                if granted != now:
                    _later(self, granted, now)
                    return
                visit.psums = self.dram.regions.pop(("psum", (op.p, op.o)))
                done = self.dram.transfer(n * self.cfg.acc_bits // 8, write=False, label=f"psum p{op.p} o{op.o}",
                                          data="psums")
                self.nbout.write(n * self.cfg.acc_bits / 16, "psums")
            else:
                visit.psums = np.zeros((visit.rows, visit.outs), np.int64)
                done = granted
            self.activity.append(("dma-out", start, done, f"open p{op.p} o{op.o}"))
            self.free = done
            self._cur = None
            visit.ready.set(done)


class OutputCloser(Actor):
    """Waits for an output tile's last compute, then drains it through the encoder."""
    name = "encoder (close)"

    def __init__(self, timeline, encoder, nbout, queue: DispatchQueue, activity: list):
        super().__init__(timeline)
        self.encoder, self.nbout, self.queue, self.activity = encoder, nbout, queue, activity
        queue.consumer = self
        self.free = 0

    def advance(self) -> None:
        now = self.timeline.now
        while True:
            if self._cur is None:
                self._cur = self.take(self.queue, self.free)
                if self._cur is None:
                    return
            (visit, final), taken = self._cur
            computed = visit.computed.time
            if computed is None:
                visit.computed.watch(self.kick)
                self._waiting = "the last compute of its output tile (from the PEs)"
                return
            start = max(taken, computed)
            request = start + self.encoder.read_cycles(visit)   # NBout is read out first
            if request != now:
                _later(self, request, now)
                return
            done = self.encoder.close(visit, final)
            self.nbout.release(visit.claim, done)
            self.activity.append(("encoder", start, done,
                                  f"{'final' if final else 'psum'} p{visit.op.p} o{visit.op.o}"))
            self.free = done
            self._cur = None
