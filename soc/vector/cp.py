"""The control processor: decodes the instruction stream from the instruction buffer
and dispatches each instruction to the actor that carries it out, in program order.

Dispatch queues are short (``QUEUE_DEPTH``), so the CP runs ahead of the compute
pipeline only as far as the queues and the ping-pong halves allow; loads for tile i+1
are issued while tile i computes. Each decoded instruction is booked (``cp``, ``decode``).
Decoding takes no cycles: the CP's own clock only advances while it waits for a slot
in a full queue.
"""
from __future__ import annotations

from typing import Any

from soc.compiler.program import CloseOutput, Compute, LoadInput, LoadWeights, OpenOutput, Program
from soc.compiler.tiling import nbout_entry_bytes
from soc.vector.timeline import Actor, DispatchQueue, Fact
from soc.vector.tokens import OutputVisit, ResidentTile

QUEUE_DEPTH = 2


class ControlProcessor(Actor):
    name = "cp"

    def __init__(self, timeline, ledger, price, queues: dict[str, DispatchQueue], tiles, program: Program):
        super().__init__(timeline)
        self.ledger, self.price, self.queues = ledger, price, queues
        self.tiles = tiles  # TileMaker: the real contents of each tile
        self.entry_bytes = nbout_entry_bytes(tiles.cfg, tiles.whole_reduction)
        self.program = program
        self.instructions = 0
        self.clock = 0            # the cycle of the CP's next dispatch
        self._resident: dict[int, ResidentTile] = {}
        self._visits: dict[int, OutputVisit] = {}
        self._pending: Any = None  # (queue, entry) decoded but not yet dispatched
        self._compute_queue = queues["compute"]
        self._load_queues = {LoadInput: queues["input"], LoadWeights: queues["weight"]}

    def _decode(self, ins) -> tuple[DispatchQueue, Any]:
        """The queue an instruction goes to and the entry its actor receives."""
        kind = type(ins)
        if kind is Compute:
            return self._compute_queue, (ins, self._resident[id(ins.inp)], self._resident[id(ins.wgt)],
                                         self._visits[id(ins.out)])
        if kind is LoadInput or kind is LoadWeights:
            tile = (self.tiles.input_tile(ins.p, ins.i) if kind is LoadInput
                    else self.tiles.weight_tile(ins.o, ins.i))
            r = ResidentTile(tile, Fact(self.timeline), uses_left=ins.uses)
            self._resident[id(ins)] = r
            return self._load_queues[kind], r
        if kind is OpenOutput:
            rows, outs = self.tiles.output_shape(ins.p, ins.o)
            v = OutputVisit(ins, rows, outs, Fact(self.timeline), Fact(self.timeline), computes_left=ins.computes,
                            entry_bytes=self.entry_bytes)
            self._visits[id(ins)] = v
            return self.queues["open"], v
        if kind is CloseOutput:
            return self.queues["close"], (self._visits.pop(id(ins.visit)), ins.final)
        raise TypeError(f"unknown instruction {ins!r}")  # pragma: no cover - the compiler emits only these

    @property
    def done(self) -> bool:
        """Every instruction dispatched."""
        return self.instructions == len(self.program.instructions)

    def waiting_for(self) -> str | None:
        return None if self.done else (self.waiting_words() or "nothing: it was never started")

    def advance(self) -> None:
        instructions = self.program.instructions
        while self.instructions < len(instructions):
            if self._pending is None:
                self._pending = self._decode(instructions[self.instructions])
            queue, entry = self._pending
            cycle = queue.room_at(self.clock)
            if cycle is None:
                queue.producer = self        # resumed when the consumer takes an entry
                self._waiting = queue.describe_full
                return
            self.clock = cycle
            self._pending = None
            self.instructions += 1
            queue.put(cycle, entry)
            if self.instructions == len(instructions):
                self.ledger.book("cp", "decode", self.instructions, self.price("cp", "decode"), data_type="control")
