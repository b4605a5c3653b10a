"""Wires the actors of a design and runs a layer's instruction stream on them.

Data flows one way: layer + tensors -> lowering -> tiling/program (compiler) -> actors
(booking into the ledger) -> :class:`LayerResult`. One SimPy environment per matrix
layer; a grouped convolution runs its groups one after the other.
"""
from __future__ import annotations

import time

import numpy as np
import simpy

from energy.ledger import EnergyLedger
from soc.arch.vector import VectorArch
from soc.compiler.lowering import MatrixLayer
from soc.compiler.program import Tiling, generate
from soc.compiler.tiles import InputTile, TileMaker, WeightTile
from soc.kernels import count_effectual, reference_mac
from soc.result import MatrixRun
from soc.vector.buffer import Buffer
from soc.vector.cp import QUEUE_DEPTH, ControlProcessor
from soc.vector.dma import LoadEngine, OutputCloser, OutputOpener
from soc.vector.dram import Dram
from soc.vector.encoder import Encoder, activate, read_outputs
from soc.vector.htree import HTree
from soc.vector.nsm import NeuronSelector
from soc.vector.pe import NeuralFunctionalUnit
from soc.vector.pricing import Pricing
from soc.vector.watchdog import ProcessWatch, SimulationStall, cycle_bound, injected_fault, run_watched


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes."""

    def __init__(self) -> None:
        super().__init__()
        self.events_processed = 0

    def step(self) -> None:
        self.events_processed += 1
        super().step()


class VectorAccelerator:
    """A vector accelerator design (its capabilities choose the data path), for one matrix layer."""

    def __init__(self, cfg: VectorArch, ledger: EnergyLedger, activation: str = "relu", activity_limit: int = 20000):
        self.cfg, self.ledger, self.activation = cfg, ledger, activation
        self.price = Pricing(cfg)
        self.activity_limit = activity_limit

    def run(self, layer: MatrixLayer, tiling: Tiling, tiles: TileMaker | None = None) -> MatrixRun:
        cfg, ledger, price = self.cfg, self.ledger, self.price
        env = CountingEnvironment()
        activity: list = []
        counters: list = []   # buffer occupancy samples (buffer, cycle, bytes), for traces
        tiles = tiles if tiles is not None and tiles.tiling == tiling else TileMaker(layer, cfg, tiling)
        program = generate(tiling, layer.p, layer.n_in, layer.n_out)
        word = cfg.word_bytes
        buffers = {name: Buffer(env, name, getattr(cfg, name), ledger, price(name, "read"), price(name, "write"),
                                word, copies=cfg.tn if name == "sb" else 1, counters=counters)
                   for name in cfg.present_buffers}
        dram = Dram(env, cfg, ledger, price.dram_pj_per_byte, activity)
        queues = {k: simpy.Store(env, capacity=QUEUE_DEPTH) for k in ("input", "weight", "open", "compute", "close")}
        to_htree = simpy.Store(env, capacity=1)
        to_nfu = simpy.Store(env, capacity=1)

        def fill_input(t: InputTile):
            parts = [(buffers["nbin"], t.nbin_bytes, t.nbin_bytes)]
            if t.nibin_bytes:
                parts.append((buffers["nibin"], t.nibin_bytes, t.nibin_bytes))
            return f"in p{t.p} i{t.i}", parts

        def fill_weights(t: WeightTile):
            parts = [(buffers["sb"], int(t.sb_bytes.max()), int(t.sb_bytes.sum()))]
            if t.sib_bytes:
                parts.append((buffers["sib"], t.sib_bytes, t.sib_bytes))
            return f"w o{t.o} i{t.i}", parts

        fault = injected_fault()

        def finish(token) -> None:
            """The NFU is done with a burst: free what it held, complete the output tile."""
            if fault is not None:  # test hook (soc.vector.watchdog.inject_fault): hold everything forever
                return
            for r in token.release:
                r.uses_left -= 1
                if r.uses_left == 0:
                    for buf, claim in r.claims:
                        buf.release(claim)
            token.visit.computes_left -= 1
            if token.visit.computes_left == 0:
                token.visit.computed.succeed()

        dma_in = LoadEngine(env, "dma-in", dram, queues["input"], fill_input, activity)
        dma_w = LoadEngine(env, "dma-w", dram, queues["weight"], fill_weights, activity)
        opener = OutputOpener(env, cfg, dram, buffers["nbout"], queues["open"], activity)
        encoder = Encoder(env, cfg, ledger, price, buffers["nbout"], dram, self.activation, layer.shift)
        closer = OutputCloser(env, encoder, buffers["nbout"], queues["close"], activity)
        nsm = NeuronSelector(env, cfg, ledger, price, buffers, queues["compute"], to_htree, activity)
        htree = HTree(env, cfg, ledger, price, to_htree, to_nfu, activity)
        nfu = NeuralFunctionalUnit(env, cfg, ledger, price, buffers, to_nfu, finish, activity)
        cp = ControlProcessor(env, ledger, price, queues, tiles)
        wall = time.perf_counter()
        actors = {"cp": env.process(cp.run(program)), "dma-in": dma_in.proc, "dma-w": dma_w.proc,
                  "dma-out (open)": opener.proc, "encoder (close)": closer.proc, "nsm": nsm.proc,
                  "htree": htree.proc, "pe": nfu.proc}
        if fault == "livelock":  # test hook: time moves on, nothing progresses
            actors["spinner (injected fault)"] = env.process(_spin(env))
        names = {id(q): k for k, q in queues.items()}
        names.update({id(to_htree): "nsm->htree", id(to_nfu): "htree->pe", id(dram.channel): "the DRAM channel"})
        names.update({id(b.halves): f"a free {'half' if b.cfg.ping_pong else 'copy'} of buffer {n}"
                      for n, b in buffers.items()})
        onchip = sum(getattr(cfg, n).size_bytes * (cfg.tn if n == "sb" else 1) for n in cfg.present_buffers)
        bound = cycle_bound(instructions=len(program.instructions), dense_macs=layer.p * layer.n_in * layer.n_out,
                            tm=cfg.tm, onchip_bytes=onchip, bytes_per_cycle=cfg.dram.bandwidth_bytes_per_cycle,
                            latency_cycles=cfg.dram.latency_cycles, hop_cycles=cfg.htree.hop_cycles,
                            levels=cfg.htree_levels)
        # ends when no actor has anything left to do (the last output is in DRAM); a stall is an error
        watch = ProcessWatch(actors, "cp", names,
                             signals={"encoder (close)": "the last compute of its output tile (from the PEs)"})
        run_watched(env, layer=layer.name, bound=bound, watch=watch)
        cycles = int(env.now)
        self._book_static(buffers, cycles)
        try:
            outputs = read_outputs(dram.regions, (layer.p, layer.n_out), tiles.pr, tiles.orr)
        except KeyError as exc:
            raise SimulationStall(f"layer {layer.name!r}: simulation ended at cycle {cycles:,} with output tile "
                                  f"{exc.args[0]!r} never written to DRAM") from None
        reference = activate(reference_mac(layer.rows, layer.weights, layer.shift), self.activation)
        effectual = count_effectual(layer.rows, layer.weights)
        return MatrixRun(
            name=layer.name, cycles=cycles, useful_macs=int(nfu.useful_macs.sum()),
            dense_macs=layer.p * layer.n_in * layer.n_out, effectual_macs=effectual,
            dram_bytes_read=dram.bytes_read, dram_bytes_written=dram.bytes_written,
            sim_events=env.events_processed, wall_s=time.perf_counter() - wall,
            outputs=outputs, outputs_match_reference=bool(np.array_equal(outputs, reference)),
            tiling=tiling, program=program, activity=activity[: self.activity_limit],
            activity_dropped=max(0, len(activity) - self.activity_limit),
            counters=counters[: self.activity_limit],
            buffer_peak_bytes={n: b.peak_bytes for n, b in buffers.items()})

    def _book_static(self, buffers: dict[str, Buffer], cycles: int) -> None:
        """Leakage of every component and eDRAM refresh over the run (see Pricing.book_static)."""
        self.price.book_static(self.ledger, cycles)


def _spin(env: simpy.Environment):
    """Test hook (livelock): a process that keeps simulated time moving forever."""
    while True:
        yield env.timeout(1000)
