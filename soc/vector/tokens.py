"""The data tokens the actors pass to each other: real arrays and masks, not counts."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from soc.compiler.program import Compute, OpenOutput
from soc.compiler.tiles import InputTile, WeightTile
from soc.kernels import sparse_mac_raw


@dataclass(eq=False)
class ResidentTile:
    """A tile that has arrived in its buffer(s): the claims it holds and when it is ready."""
    tile: Any
    ready: simpy.Event
    claims: list = field(default_factory=list)
    uses_left: int = 0


@dataclass(eq=False)
class OutputVisit:
    """An output tile open in NBout: its partial sums (int64, exact) and completion."""
    op: OpenOutput
    rows: int
    outs: int
    ready: simpy.Event
    computed: simpy.Event
    psums: np.ndarray | None = None
    claim: Any = None
    computes_left: int = 0
    entry_bytes: int = 6          # bytes per output held in NBout (final word or partial sum)


@dataclass(eq=False)
class Selection:
    """What the NSM sends down the H-tree for one compute burst: the input tile, the
    selected-neuron counts per (row, output group), and the burst's cycle budget."""
    compute: Compute
    inputs: InputTile
    weights: WeightTile
    visit: OutputVisit
    pe_useful: np.ndarray         # (Tn,) multiplies each PE performs in this burst
    pe_walked: np.ndarray         # (Tn,) stored weights each PE reads from SB and decodes
    pe_outputs: np.ndarray        # (Tn,) outputs each PE computes in this burst
    pe_busy: np.ndarray           # (Tn,) cycles each PE has work in this burst (<= cycles)
    broadcast_words: int          # neurons sent down the H-tree
    cycles: int                   # lock-step cycles of the PEs for this burst
    release: tuple = ()           # resident tiles this burst uses (freed by their last use)
    nsm_cycles: int = 0           # cycles the NSM spends scanning masks for this burst
    _accumulated: bool = False

    def accumulate(self) -> None:
        """The arithmetic of the burst: every PE multiplies the broadcast neurons by the
        weights in its SB and adds the exact sums into its outputs in NBout. The Tn PEs'
        work runs as one kernel call over the whole weight tile (the integer results are
        identical to Tn separate calls)."""
        if not self._accumulated:
            acc, _ = sparse_mac_raw(self.inputs.neurons, self.weights.synapses)
            self.visit.psums += acc
            self._accumulated = True
