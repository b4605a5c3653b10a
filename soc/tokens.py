"""The data tokens the actors pass to each other: real arrays and masks, not counts."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from soc.compiler.program import Compute, OpenOutput
from soc.compiler.tiles import InputTile, WeightTile


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


@dataclass(eq=False)
class Selection:
    """What the NSM sends down the H-tree for one compute burst: the input tile, the
    selected-neuron counts per (row, output group), and the burst's cycle budget."""
    compute: Compute
    inputs: InputTile
    weights: WeightTile
    visit: OutputVisit
    selected: np.ndarray          # int (rows, groups): AND of neuron and synapse masks
    broadcast_words: int          # neurons sent down the H-tree
    cycles: int                   # lock-step cycles of the PEs for this burst
    done: simpy.Event | None = None
    pes_left: int = 0
