"""The data tokens the actors pass to each other: real arrays and masks, not counts."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from soc.compiler.program import Compute, OpenOutput
from soc.compiler.tiles import InputTile, WeightTile
from soc.vector.timeline import Fact


@dataclass(eq=False, slots=True)
class ResidentTile:
    """A tile that has arrived in its buffer(s): the claims it holds and when it is ready."""
    tile: Any
    ready: Fact                   # the cycle the tile is in its buffer(s)
    claims: list = field(default_factory=list)
    uses_left: int = 0


@dataclass(eq=False, slots=True)
class OutputVisit:
    """An output tile open in NBout: its partial sums (int64, exact) and completion."""
    op: OpenOutput
    rows: int
    outs: int
    ready: Fact                   # the cycle NBout holds it (partial sums reloaded)
    computed: Fact                # the cycle its last burst is done
    psums: np.ndarray | None = None
    claim: Any = None
    computes_left: int = 0
    entry_bytes: int = 6          # bytes per output held in NBout (final word or partial sum)


@dataclass(eq=False, slots=True)
class Selection:
    """What the NSM sends down the H-tree for one compute burst: the tiles, the work the
    selected positions give the PEs, and the burst's cycle budget. The burst's products
    are already in ``visit.psums`` (computed with the selection)."""
    compute: Compute
    inputs: InputTile
    weights: WeightTile
    visit: OutputVisit
    useful: int                   # multiplies of the burst, all PEs
    walked: int                   # stored weights read from SB and decoded, all PEs
    outputs: int                  # outputs of the burst (PE j has j, j + Tn, ...)
    pe_useful: np.ndarray         # (Tn,) multiplies each PE performs in this burst
    pe_busy: np.ndarray           # (Tn,) cycles each PE has work in this burst (<= cycles)
    broadcast_words: int          # neurons sent down the H-tree
    cycles: int                   # lock-step cycles of the PEs for this burst
    nsm_cycles: int = 0           # cycles the NSM spends scanning masks for this burst
