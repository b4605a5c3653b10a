"""The control processor: decodes the instruction stream from the instruction buffer
and dispatches each instruction to the actor that carries it out, in program order.

Dispatch queues are short (``QUEUE_DEPTH``), so the CP runs ahead of the compute
pipeline only as far as the queues and the ping-pong halves allow; loads for tile i+1
are issued while tile i computes. Each decoded instruction is booked (``cp``, ``decode``).
"""
from __future__ import annotations

import simpy

from soc.compiler.program import CloseOutput, Compute, LoadInput, LoadWeights, OpenOutput, Program
from soc.compiler.tiling import nbout_entry_bytes
from soc.vector.tokens import OutputVisit, ResidentTile

QUEUE_DEPTH = 2


class ControlProcessor:
    def __init__(self, env, ledger, price, queues: dict[str, simpy.Store], tiles):
        self.env, self.ledger, self.price, self.queues = env, ledger, price, queues
        self.tiles = tiles  # TileMaker: the real contents of each tile
        self.entry_bytes = nbout_entry_bytes(tiles.cfg, tiles.whole_reduction)
        self.instructions = 0

    def run(self, program: Program):
        resident: dict[int, ResidentTile] = {}
        visits: dict[int, OutputVisit] = {}
        env = self.env
        for ins in program.instructions:
            self.instructions += 1
            if isinstance(ins, (LoadInput, LoadWeights)):
                data = (self.tiles.input_tile(ins.p, ins.i) if isinstance(ins, LoadInput)
                        else self.tiles.weight_tile(ins.o, ins.i))
                r = ResidentTile(data, env.event(), uses_left=ins.uses)
                resident[id(ins)] = r
                yield self.queues["input" if isinstance(ins, LoadInput) else "weight"].put(r)
            elif isinstance(ins, OpenOutput):
                rows, outs = self.tiles.output_shape(ins.p, ins.o)
                v = OutputVisit(ins, rows, outs, env.event(), env.event(), computes_left=ins.computes,
                                entry_bytes=self.entry_bytes)
                visits[id(ins)] = v
                yield self.queues["open"].put(v)
            elif isinstance(ins, Compute):
                yield self.queues["compute"].put((ins, resident[id(ins.inp)], resident[id(ins.wgt)], visits[id(ins.out)]))
            elif isinstance(ins, CloseOutput):
                yield self.queues["close"].put((visits.pop(id(ins.visit)), ins.final))
            else:  # pragma: no cover - the compiler emits only the kinds above
                raise TypeError(f"unknown instruction {ins!r}")
        self.ledger.book("cp", "decode", self.instructions, self.price("cp", "decode"), data_type="control")
