"""Results of simulating layers and networks: plain data, no SimPy, ready for reports."""
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
    activity_dropped: int = 0  # activity records beyond the kept cap (counted, not stored)


@dataclass
class LayerResult:
    """Per-layer result. Energies in pJ, time in s, traffic in bytes."""
    name: str
    kind: str
    arch: str
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
    # Chip area by component (mm^2, from the design's price table). area_mm2, power_mw
    # (average on-chip power: leakage, refresh and dynamic energy of every on-chip
    # component over the layer's time, DRAM excluded), dram_energy_pj and
    # entropy_decoder_area_mm2 follow from it and from the energies (__post_init__).
    area_by_component_mm2: dict[str, float] = field(default_factory=dict)
    area_mm2: float = 0.0
    power_mw: float = 0.0
    dram_energy_pj: float = 0.0
    entropy_decoder_area_mm2: float = 0.0
    activity: list = field(default_factory=list, repr=False)
    outputs: np.ndarray | None = field(default=None, repr=False)
    activity_dropped: int = field(default=0, repr=False)  # records beyond the cap, counted not kept

    def __post_init__(self) -> None:
        self.area_mm2 = float(sum(self.area_by_component_mm2.values()))
        self.entropy_decoder_area_mm2 = float(self.area_by_component_mm2.get("entropy-decoder", 0.0))
        self.dram_energy_pj = float(self.energy_by_component.get("dram", 0.0))
        self.power_mw = on_chip_power_mw(self.energy_pj, self.dram_energy_pj, self.time_s)

    @property
    def dram_bytes(self) -> int:
        return self.dram_bytes_read + self.dram_bytes_written

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k not in ("activity", "outputs", "activity_dropped")}
        d["dram_bytes"] = self.dram_bytes
        return d


def on_chip_power_mw(energy_pj: float, dram_energy_pj: float, time_s: float) -> float:
    """Average on-chip power (mW): energy without DRAM over time (pJ/s x 1e-9 = mW)."""
    return (energy_pj - dram_energy_pj) / time_s * 1e-9 if time_s > 0 else 0.0


# Quantities of a network that are sums over its layers (layers run one after another).
SUMMED = ("cycles", "time_s", "energy_pj", "dram_energy_pj", "useful_macs", "skipped_macs", "dram_bytes_read",
          "dram_bytes_written", "dram_bytes", "sim_events", "wall_s")


def summarize(results: list[LayerResult]) -> dict[str, Any]:
    """Network totals of layer results: the sums of :data:`SUMMED`, the cycle-weighted
    multiplier utilization, whether every layer matched its reference, energy by
    component and by action (pJ, largest first), the chip's area and its breakdown
    (mm^2), and the average on-chip power over the whole run (mW, DRAM excluded)."""
    if not results:
        return {"layers": 0}
    out: dict[str, Any] = {"layers": len(results)}
    for key in SUMMED:
        out[key] = sum(getattr(r, key) for r in results)
    cycles = out["cycles"]
    out["utilization"] = (sum(r.utilization * r.cycles for r in results) / cycles) if cycles else 0.0
    out["outputs_match_reference"] = all(r.outputs_match_reference for r in results)
    for attr in ("energy_by_component", "energy_by_action"):
        totals: dict[str, float] = {}
        for r in results:
            for k, v in getattr(r, attr).items():
                totals[k] = totals.get(k, 0.0) + float(v)
        out[attr] = dict(sorted(totals.items(), key=lambda kv: -kv[1]))
    areas = next((r.area_by_component_mm2 for r in results if r.area_by_component_mm2), {})
    out["area_mm2"] = float(sum(areas.values()))
    out["area_by_component_mm2"] = dict(areas)
    out["power_mw"] = on_chip_power_mw(out["energy_pj"], out["dram_energy_pj"], out["time_s"])
    return out
