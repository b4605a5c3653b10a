"""Wires the actors of a design and runs a layer's instruction stream on them.

Data flows one way: layer + tensors -> lowering -> tiling/program (compiler) -> actors
(booking into the ledger) -> :class:`LayerResult`. One SimPy environment per matrix
layer; a grouped convolution runs its groups one after the other.
"""
from __future__ import annotations

import time
from operator import itemgetter

import numpy as np
import simpy

from energy.ledger import EnergyLedger, Tally
from soc.arch.vector import VectorArch
from soc.compiler.lowering import MatrixLayer
from soc.compiler.program import Tiling, generate
from soc.compiler.tiles import InputTile, TileMaker, WeightTile
from soc.kernels import count_effectual, reference_mac
from soc.result import MatrixRun
from soc.vector.buffer import Buffer
from soc.vector.cp import QUEUE_DEPTH, ControlProcessor
from soc.vector.dma import Load, LoadEngine, OutputCloser, OutputOpener
from soc.vector.dram import Dram
from soc.vector.encoder import Encoder, activate, read_outputs
from soc.vector.htree import HTree
from soc.vector.nsm import NeuronSelector
from soc.vector.pe import NeuralFunctionalUnit
from soc.vector.pipeline import ComputePipeline
from soc.vector.pricing import Pricing
from soc.vector.timeline import DispatchQueue, Timeline
from soc.vector.watchdog import SimulationStall, cycle_bound, describe_wait, injected_fault, run_watched


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
        cfg, price = self.cfg, self.price
        ledger = Tally(self.ledger)   # the actors' bookings, summed per action and written at the end
        env = CountingEnvironment()
        tl = Timeline(env)
        activity: list = []
        counters: list = []   # buffer occupancy samples (buffer, cycle, bytes), for traces
        tiles = tiles if tiles is not None and tiles.tiling == tiling else TileMaker(layer, cfg, tiling)
        program = generate(tiling, layer.p, layer.n_in, layer.n_out)
        word = cfg.word_bytes
        buffers = {name: Buffer(tl, name, getattr(cfg, name), ledger, price(name, "read"), price(name, "write"),
                                word, copies=cfg.tn if name == "sb" else 1, counters=counters)
                   for name in cfg.present_buffers}
        dram = Dram(tl, cfg, ledger, price.dram_pj_per_byte, activity)
        queues = {k: DispatchQueue(tl, QUEUE_DEPTH, k) for k in ("input", "weight", "open", "compute", "close")}

        loads: dict[int, Load] = {}   # per tile (by id; tiles outlive the run): a reloaded tile moves the same

        def fill_input(t: InputTile) -> Load:
            load = loads.get(id(t))
            if load is None:
                parts = [(buffers["nbin"], t.nbin_bytes, t.nbin_bytes)]
                if t.nibin_bytes:
                    parts.append((buffers["nibin"], t.nibin_bytes, t.nibin_bytes))
                load = loads[id(t)] = Load.of(f"in p{t.p} i{t.i}", parts)
            return load

        def fill_weights(t: WeightTile) -> Load:
            load = loads.get(id(t))
            if load is None:
                parts = [(buffers["sb"], int(t.sb_bytes.max()), int(t.sb_bytes.sum()))]
                if t.sib_bytes:
                    parts.append((buffers["sib"], t.sib_bytes, t.sib_bytes))
                load = loads[id(t)] = Load.of(f"w o{t.o} i{t.i}", parts)
            return load

        fault = injected_fault()
        LoadEngine(tl, "dma-in", dram, queues["input"], fill_input, activity)
        LoadEngine(tl, "dma-w", dram, queues["weight"], fill_weights, activity)
        OutputOpener(tl, cfg, dram, buffers["nbout"], queues["open"], activity)
        encoder = Encoder(cfg, ledger, price, buffers["nbout"], dram, self.activation, layer.shift)
        OutputCloser(tl, encoder, buffers["nbout"], queues["close"], activity)
        nfu = NeuralFunctionalUnit(cfg, ledger, price, buffers)
        ComputePipeline(tl, NeuronSelector(cfg, ledger, price, buffers), HTree(cfg, ledger, price), nfu,
                        queues["compute"], activity, hold=fault is not None)  # test hook: the PEs free nothing
        cp = ControlProcessor(tl, ledger, price, queues, tiles, program)
        wall = time.perf_counter()
        spinners = {"spinner (injected fault)": env.process(_spin(env))} if fault == "livelock" else {}
        onchip = sum(getattr(cfg, n).size_bytes * (cfg.tn if n == "sb" else 1) for n in cfg.present_buffers)
        bound = cycle_bound(instructions=len(program.instructions), dense_macs=layer.p * layer.n_in * layer.n_out,
                            tm=cfg.tm, onchip_bytes=onchip, bytes_per_cycle=cfg.dram.bandwidth_bytes_per_cycle,
                            latency_cycles=cfg.dram.latency_cycles, hop_cycles=cfg.htree.hop_cycles,
                            levels=cfg.htree_levels)
        tl.start(cp.advance)
        # ends when no actor has anything left to do (the last output is in DRAM); a stall is an error
        run_watched(env, layer=layer.name, bound=bound, watch=ActorWatch(cp, queues, spinners))
        for queue in queues.values():
            queue.detach()
        ledger.flush()
        activity.sort(key=itemgetter(2))       # in the order the activities end
        counters.sort(key=itemgetter(1))       # occupancy samples in cycle order
        cycles = int(activity[-1][2]) if activity else 0   # the last activity's end
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


class ActorWatch:
    """:class:`soc.vector.watchdog.Watch` of the state-machine actors: the layer is finished
    when the control processor has dispatched its whole program, every dispatch queue is
    empty and no actor holds work; the report names what each busy actor waits for (and
    any SimPy process added by a test hook)."""

    def __init__(self, cp, queues: dict, processes: dict[str, simpy.Process]):
        self.cp, self.queues, self.processes = cp, queues, processes
        self.actors = {"cp": cp, **{q.consumer.name: q.consumer for q in queues.values()}}

    def finished(self) -> bool:
        return (self.cp.done and not any(q.entries for q in self.queues.values())
                and all(a.waiting_for() is None for a in self.actors.values())
                and not any(p.is_alive for p in self.processes.values()))

    def report(self) -> str:
        waiting = [f"{n} waits for {w}" for n, a in self.actors.items() if (w := a.waiting_for()) is not None]
        waiting += [f"{n} waits for {describe_wait(p.target, {})}" for n, p in self.processes.items() if p.is_alive]
        idle = [n for n, a in self.actors.items() if a.waiting_for() is None]
        tail = f"; idle: {', '.join(idle)}" if idle else ""
        return f"{'; '.join(waiting) if waiting else 'no actor is blocked'}{tail}"


def _spin(env: simpy.Environment):
    """Test hook (livelock): a process that keeps simulated time moving forever."""
    while True:
        yield env.timeout(1000)
