"""The compute pipeline: NSM -> H-tree -> NFU, joined by one-entry queues.

Each compute burst passes three stages in program order: the NSM takes the burst from
the CP's compute queue, waits until its input tile, weight tile and output tile are in
their buffers, scans the masks (``nsm_cycles``) and hands the selection to the H-tree;
the H-tree takes it when it has passed on the previous one, spends ``latency`` cycles
and hands it to the NFU; the NFU takes it when the previous burst is done and computes
for ``cycles`` cycles. A stage that has finished waits until the next stage has taken
its burst (a one-entry queue between stages). With, for burst k, g the cycle the NSM
takes it, r the cycle its tiles are all ready, and s, L, c its NSM, H-tree and NFU
cycles::

    g[k]  = max(P[k-1], queued[k])      NSM takes burst k (P: NSM handed on its burst)
    r[k]  = max(g[k], ready(inputs, weights, outputs))
    e[k]  = r[k] + s[k]                 NSM done
    H[k]  = max(e[k], HP[k-1])          H-tree takes it (HP: H-tree handed on its burst)
    P[k]  = max(e[k], H[k-1])           the NSM's hand-over completes
    HP[k] = max(H[k] + L, N[k-1])       the H-tree's hand-over completes
    N[k]  = max(HP[k], F[k-1])          NFU starts
    F[k]  = N[k] + c[k]                 NFU done: tiles used for the last time are freed,
                                        an output tile whose last burst this is is complete

These are the cycles at which three SimPy processes joined by stores of capacity one
would do the same, computed without the seven events per burst such processes cost:
the pipeline shares nothing with the other actors but facts (tiles ready, halves freed,
output tiles complete), so a burst costs no event at all.
"""
from __future__ import annotations

from soc.vector.timeline import Actor, DispatchQueue


class ComputePipeline(Actor):
    name = "nsm -> htree -> pe"

    def __init__(self, timeline, nsm, htree, nfu, queue: DispatchQueue, activity: list, hold: bool = False):
        super().__init__(timeline)
        self.nsm, self.htree, self.nfu, self.queue, self.activity = nsm, htree, nfu, queue, activity
        queue.consumer = self
        self.latency = htree.latency
        self.hold = hold   # test hook (soc.vector.watchdog.inject_fault): the PEs never free what they hold
        self.P = self.H = self.HP = self.N = self.F = 0

    def advance(self) -> None:
        while True:
            if self._cur is None:
                self._cur = self.take(self.queue, self.P)
                if self._cur is None:
                    return
            (compute, inp, wgt, visit), taken = self._cur
            ready = taken
            for fact in (inp.ready, wgt.ready, visit.ready):
                if fact.time is None:
                    fact.watch(self.kick)
                    self._waiting = self._signals_missing
                    return
                if fact.time > ready:
                    ready = fact.time
            token = self.nsm.select(compute, inp, wgt, visit)
            e = ready + token.nsm_cycles
            h = max(e, self.HP)
            self.P = max(e, self.H)
            hp = max(h + self.latency, self.N)
            n = max(hp, self.F)
            f = n + token.cycles
            self.htree.broadcast(token)
            self.nfu.compute(token)
            self.H, self.HP, self.N, self.F = h, hp, n, f
            label = f"p{compute.inp.p} i{compute.inp.i} o{compute.wgt.o}"
            self.activity.append(("nsm", ready, e, label))
            self.activity.append(("htree", h, h + self.latency, "broadcast"))
            self.activity.append(("nfu", n, f, f"p{visit.op.p} o{visit.op.o}"))
            self._cur = None
            self._waiting = ""   # (a bound method of this actor: kept, it would make a reference cycle)
            if not self.hold:
                self.finish(inp, wgt, visit, f)

    def _signals_missing(self) -> str:
        (_, inp, wgt, visit), _ = self._cur
        pending = sum(f.time is None for f in (inp.ready, wgt.ready, visit.ready))
        return f"{pending} of 3 signals (its input tile, weight tile and output tile in their buffers) that never came"

    @staticmethod
    def finish(inp, wgt, visit, cycle: int) -> None:
        """The NFU is done with a burst at ``cycle``: free what it held for the last
        time, complete the output tile after its last burst."""
        for r in (inp, wgt):
            r.uses_left -= 1
            if r.uses_left == 0:
                for buf, claim in r.claims:
                    buf.release(claim, cycle)
        visit.computes_left -= 1
        if visit.computes_left == 0:
            visit.computed.set(cycle)
