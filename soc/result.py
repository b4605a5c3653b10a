"""Results of simulating layers: plain data, no SimPy, ready for reports."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from soc.compiler.program import Program, Tiling


@dataclass
class MatrixRun:
    """One matrix product of a layer run on the accelerator."""
    name: str
    cycles: int
    useful_macs: int       # multiplies performed (positions where both hardware masks are set)
    dense_macs: int        # multiplies of the dense layer
    effectual_macs: int    # multiplies whose two operands are both non-zero
    dram_bytes_read: int
    dram_bytes_written: int
    sim_events: int
    wall_s: float
    outputs: np.ndarray
    outputs_match_reference: bool
    tiling: Tiling
    program: Program
    activity: list
    buffer_peak_bytes: dict[str, int]


@dataclass
class LayerResult:
    """Per-layer result. Energies in pJ, time in s, traffic in bytes."""
    name: str
    kind: str
    preset: str
    cycles: int
    time_s: float
    energy_pj: float
    energy_by_component: dict[str, float]
    energy_by_action: dict[str, float]
    useful_macs: int
    skipped_macs: int
    effectual_macs: int
    dense_macs: int
    dram_bytes_read: int
    dram_bytes_written: int
    utilization: float
    outputs_match_reference: bool
    sim_events: int
    wall_s: float
    strategy: str
    tiling: dict[str, int]
    traffic_estimate: dict[str, dict[str, float]]
    buffer_peak_bytes: dict[str, int]
    entropy_decoder_area_mm2: float = 0.0
    # where the layer's tensors came from (set by network runs; see workloads.sparsity.LayerTensors)
    weights_source: str = ""
    weight_density: float | None = None
    activations_source: str = ""
    input_density: float | None = None
    activity: list = field(default_factory=list, repr=False)
    outputs: np.ndarray | None = field(default=None, repr=False)

    @property
    def dram_bytes(self) -> int:
        return self.dram_bytes_read + self.dram_bytes_written

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k not in ("activity", "outputs")}
        d["dram_bytes"] = self.dram_bytes
        return d
