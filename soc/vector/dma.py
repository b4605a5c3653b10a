"""DMA engines: one per stream (inputs, weights, output tiles opening, output tiles
closing). Each serves its queue in program order; a load first claims a free half of
every buffer it fills (waiting while both halves are in use: ping-pong back-pressure),
then moves its real bytes over the shared DRAM channel, then books the buffer writes.
"""
from __future__ import annotations

import numpy as np
import simpy

from soc.vector.tokens import OutputVisit, ResidentTile


class LoadEngine:
    """Moves input or weight tiles from DRAM into their buffers."""

    def __init__(self, env, name: str, dram, queue: simpy.Store, fill, activity: list):
        self.env, self.name, self.dram, self.queue, self.fill = env, name, dram, queue, fill
        self.activity = activity
        self.proc = env.process(self.run())

    def run(self):
        while True:
            resident: ResidentTile = yield self.queue.get()
            start = self.env.now
            # fill(tile) -> label, [(buffer, bytes claimed per copy, bytes written in all copies)]
            label, parts = self.fill(resident.tile)
            for buf, claimed, _ in parts:
                resident.claims.append((buf, (yield from buf.claim(label, claimed))))
            yield from self.dram.transfer(sum(w for _, _, w in parts), write=False, label=label,
                                          data=[(buf.data_type, w) for buf, _, w in parts if w])
            for buf, _, written in parts:
                buf.write(buf.words(written))
            self.activity.append((self.name, start, self.env.now, label))
            resident.ready.succeed()


class OutputOpener:
    """Claims an NBout half for an output tile and reloads its partial sums if needed."""

    def __init__(self, env, cfg, dram, nbout, queue: simpy.Store, activity: list):
        self.env, self.cfg, self.dram, self.nbout, self.queue = env, cfg, dram, nbout, queue
        self.activity = activity
        self.proc = env.process(self.run())

    def run(self):
        while True:
            visit: OutputVisit = yield self.queue.get()
            start = self.env.now
            n = visit.rows * visit.outs
            visit.claim = yield from self.nbout.claim(f"out p{visit.op.p} o{visit.op.o}", n * visit.entry_bytes)
            if visit.op.reload_partial:
                visit.psums = self.dram.regions.pop(("psum", (visit.op.p, visit.op.o)))
                yield from self.dram.transfer(n * self.cfg.acc_bits // 8, write=False,
                                              label=f"psum p{visit.op.p} o{visit.op.o}", data="psums")
                self.nbout.write(n * self.cfg.acc_bits / 16, "psums")
            else:
                visit.psums = np.zeros((visit.rows, visit.outs), np.int64)
            self.activity.append(("dma-out", start, self.env.now, f"open p{visit.op.p} o{visit.op.o}"))
            visit.ready.succeed()


class OutputCloser:
    """Waits for an output tile's last compute, then drains it through the encoder."""

    def __init__(self, env, encoder, nbout, queue: simpy.Store, activity: list):
        self.env, self.encoder, self.nbout, self.queue, self.activity = env, encoder, nbout, queue, activity
        self.proc = env.process(self.run())

    def run(self):
        while True:
            visit, final = yield self.queue.get()
            yield visit.computed
            start = self.env.now
            yield from self.encoder.close(visit, final)
            self.nbout.release(visit.claim)
            self.activity.append(("encoder", start, self.env.now, f"{'final' if final else 'psum'} p{visit.op.p} o{visit.op.o}"))
